"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Fixtures other browser tests reuse:
- ``editor`` / ``viewer``: users (``password``); ``editor_page``: a Playwright page logged in as the
  editor; ``login_as(user)``: log the test's ``page`` in as anyone.
- ``demo_workspace``: a workspace (editor + viewer) with two options, each with a finished run.
- ``eager_runs``: runs started in the browser execute at once, in-process (progress rows still update).
- ``real_worker``: a Celery worker subprocess on a private filesystem broker and queue, against the live
  server's database, so a run's progress bar really moves; always stopped (TERM, bounded wait, KILL).
- ``console_errors``: JavaScript errors and console errors the page produced (assert it stays empty).
- ``shoot(page, name)``: a full-page screenshot in test-artifacts/ to look at.

Chromium: ``CHROMIUM_PATH`` or /usr/bin/chromium (``apt-get install -y chromium``; never
``playwright install``). When it is missing the tests are skipped on a workstation and FAIL under CI=true.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from accounts import PASSWORD
from celery_worker import filesystem_worker

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # live_server + ORM from the test thread

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
WORKER_READY_S = 30
DEMO_TRIALS = 300  # per incident type: enough for smooth charts, quick to simulate
BROWSER_TRIAL_CHOICES = {"quick": 300, "full": 600}


def pytest_collection_modifyitems(config, items):
    """Every test under tests/browser is a browser test (``-m "not browser"`` leaves them out)."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM_PATH).exists():
        message = f"Chromium not found at {CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM_PATH,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def base_url(pytestconfig) -> str | None:
    """pytest-playwright's own ``base_url`` (without pytest-base-url) is a session fixture defined on an instance,
    which pytest deprecates; the tests open absolute URLs of the live server, so only ``--base-url`` is kept."""
    return pytestconfig.getoption("--base-url", default=None) or None


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A projector-sized window."""
    return {**browser_context_args, "viewport": {"width": 1366, "height": 900}}


@pytest.fixture
def shoot():
    """``shoot(page, "name")`` saves test-artifacts/<name>.png (the whole page) and returns its path."""
    ARTIFACTS.mkdir(exist_ok=True)

    def _shoot(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shoot


@pytest.fixture
def console_errors(page):
    """JavaScript exceptions and console errors of ``page`` during the test."""
    errors: list[str] = []

    def on_console(message) -> None:
        # the browser's own request for /favicon.ico is not the page's doing
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"console.{message.type}: {message.text} ({message.location.get('url')})")

    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    page.on("console", on_console)
    return errors


@pytest.fixture(autouse=True)
def fresh_workshop_limits():
    """Workshop rate limits and slots live in the cache, keyed by user id: ids repeat from test to test."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def eager_runs(settings):
    """Runs execute inside the request that starts them (Celery eager mode), with small trial counts."""
    from config.celery import app

    settings.RUN_TRIAL_CHOICES = BROWSER_TRIAL_CHOICES
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def _user(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(username=username, password=PASSWORD)


@pytest.fixture
def editor(transactional_db):
    return _user("editor")


@pytest.fixture
def viewer(transactional_db):
    return _user("viewer")


def log_in(page, live_server, user) -> None:
    """Log ``page`` in as ``user`` by handing it a session cookie (no form round trip)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}])


@pytest.fixture
def login_as(page, live_server):
    """``login_as(user)`` logs the test's ``page`` in as ``user``."""
    return lambda user: log_in(page, live_server, user)


@pytest.fixture
def password() -> str:
    """The password of every user these fixtures create."""
    return PASSWORD


@pytest.fixture
def editor_page(page, live_server, editor):
    """A Playwright page logged in as the editor."""
    log_in(page, live_server, editor)
    return page


@dataclass
class DemoWorkspace:
    workspace: object
    scenarios: list
    runs: list  # finished, oldest first

    @property
    def id(self) -> int:
        return self.workspace.pk


def finished_run(*, scenario, user, seed: int, trials: int = DEMO_TRIALS):
    """A run of ``scenario`` executed by the real service and engine, in this process.

    Call it with ``eager_runs`` active, so the run is not also queued for a worker."""
    from planner.models import Run
    from planner.services.runs import run_create, run_execute

    run = run_create(scenario=scenario, user=user, trials=trials, seed=seed)
    run = run_execute(run_id=run.pk)
    assert run.status == Run.Status.DONE, run.error
    return run


@pytest.fixture
def demo_workspace(editor, viewer, eager_runs) -> DemoWorkspace:
    """ "Payments": the editor and a viewer; two options (active-passive, single region), each run once."""
    from planner.models import Membership
    from planner.services.scenarios import scenario_create
    from planner.services.workspaces import workspace_create

    workspace = workspace_create(name="Payments", user=editor)
    Membership.objects.create(workspace=workspace, user=viewer, role=Membership.Role.VIEWER)
    documents = [("Active-passive", {"pattern": "active-passive"}), ("Single region", {"pattern": "single-region"})]
    scenarios = [
        scenario_create(workspace=workspace, name=name, document=document, user=editor) for name, document in documents
    ]
    runs = [finished_run(scenario=scenario, user=editor, seed=100 + i) for i, scenario in enumerate(scenarios)]
    return DemoWorkspace(workspace=workspace, scenarios=scenarios, runs=runs)


@pytest.fixture
def real_worker(live_server, tmp_path):
    """A Celery worker subprocess consuming a private queue on a private filesystem broker.

    This process's Celery app sends to the same broker and queue while the fixture lasts, so runs
    started in the browser go to this worker only. Yields the worker's log path.
    """
    log_path = tmp_path / "worker.log"
    extra = {"CELERY_TASK_ALWAYS_EAGER": "false", "LOG_LEVEL": "INFO"}
    with filesystem_worker(tmp_path, log_path, "browser", **extra) as process:
        deadline = time.monotonic() + WORKER_READY_S
        while b"ready." not in log_path.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the worker did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.1)
        yield log_path
