# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
REDIS_URL ?= redis://127.0.0.1:6379/15
DJANGO_TESTS := tests/planner tests/decisions tests/workshop tests/api tests/drills
FAULT_TESTS := tests/faults

.PHONY: install run serve worker test test-fast test-engine lint bench clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python scripts/run_local.py

# The production start for a team (docs/web.md): gunicorn, a Celery worker and Celery beat, with the
# production environment (PostgreSQL, Redis, SECRET_KEY …) set by the caller.
serve: install
	$(BIN)/python scripts/serve.py

worker: install
	DEBUG=$${DEBUG:-true} $(BIN)/celery -A config worker --loglevel=INFO --concurrency=2 --without-gossip --without-mingle --without-heartbeat

# The whole suite on SQLite and the embedded broker, on both cores (pytest-xdist: each process has its own test
# database; a test that starts a Celery worker gives it a broker folder of its own), then the web app's tests again
# on PostgreSQL and Redis, one at a time, with the fault tests (they need PostgreSQL; they start their own
# redis-server).
# `lint` first: style, imports and types (ruff, mypy strict on the engine) must pass before the tests run.
test: install lint
	$(BIN)/python -m pytest -q -n 2 --ignore=$(FAULT_TESTS)
	DATABASE_URL=$(PG_URL) CELERY_BROKER_URL=$(REDIS_URL) $(BIN)/python -m pytest -q $(DJANGO_TESTS) $(FAULT_TESTS)

# The edit–test loop: everything but the tests marked slow or browser, on every core (about a minute on two).
test-fast: install
	$(BIN)/python -m pytest -q -n auto -m "not slow and not browser"

test-engine: install
	$(BIN)/python -m pytest -q tests/simulation

# Style, imports and types; configured in pyproject.toml.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy simulation

bench: install
	$(BIN)/python benchmarks/engine_speed.py
	$(BIN)/python benchmarks/pages.py
	$(BIN)/python benchmarks/reports.py
	$(BIN)/python benchmarks/workshop.py

clean:
	rm -rf $(VENV) .pytest_cache var
