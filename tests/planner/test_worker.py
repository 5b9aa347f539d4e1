"""A run through a REAL Celery worker subprocess: on Redis and on the filesystem broker.

The worker uses this test's database (transactional test, so it can see the
committed rows) and is always stopped: TERM, a bounded wait, then KILL of its
process group. Under CI=true a missing Redis fails the test instead of skipping it.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import kombu
import pytest
from django.db import connection

from config.celery import app as celery_app
from planner.logs import request_id_var
from planner.models import Run
from planner.services.runs import run_create

REPO = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
STOP_WAIT_S = 10
RUN_TIMEOUT_S = 90

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _database_url() -> str:
    """The URL of the database this test runs on (the test database), for the worker."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _redis_or_skip() -> None:
    try:
        with kombu.Connection(REDIS_URL, connect_timeout=1, transport_options={"socket_connect_timeout": 1}) as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
    except Exception as error:  # noqa: BLE001
        message = f"Redis at {REDIS_URL} is not reachable: {error}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


@contextmanager
def _producer(broker_url: str, transport_options: dict, queue: str):
    """Point this process's Celery app at the test broker and queue; restore it afterwards.

    Celery reads the ``CELERY_BROKER_URL`` environment variable before its configuration, so that changes too.
    """
    keys = ("broker_url", "broker_transport_options", "task_default_queue")
    saved = {k: celery_app.conf[k] for k in keys}
    saved_env = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = broker_url
    celery_app.conf.update(broker_url=broker_url, broker_transport_options=transport_options,
                           task_default_queue=queue)
    celery_app._pool = None  # connections and producers are cached per broker
    celery_app.amqp._producer_pool = None
    try:
        yield
    finally:
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env
        celery_app.conf.update(saved)
        if celery_app._pool is not None:
            celery_app._pool.force_close_all()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None


@contextmanager
def _worker(env: dict, queue: str, log_path: Path):
    """A prefork worker (one child) consuming ``queue``; stopped with TERM → bounded wait → KILL."""
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", "--concurrency=1",
               "-Q", queue, "-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        yield process
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_WAIT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_WAIT_S)


def _watch(run: Run, log_path: Path) -> list[tuple[str, float]]:
    """Poll the run's row until it finishes; the (status, progress) pairs seen on the way."""
    seen: list[tuple[str, float]] = []
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        status, progress = Run.objects.values_list("status", "progress").get(pk=run.pk)
        if not seen or seen[-1] != (status, progress):
            seen.append((status, progress))
        if status in Run.FINISHED:
            return seen
        time.sleep(0.02)
    pytest.fail(f"run still {seen[-1]} after {RUN_TIMEOUT_S} s; worker log:\n{log_path.read_text()[-4000:]}")


def _run_on_worker(scenario, owner, tmp_path: Path, broker_url: str, transport_options: dict,
                   extra_env: dict) -> tuple[Run, list]:
    queue = f"test-{uuid.uuid4().hex[:10]}"
    env = {**os.environ, "DATABASE_URL": _database_url(), "CELERY_BROKER_URL": broker_url, "CELERY_QUEUE": queue,
           "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_LEVEL": "INFO", **extra_env}
    log_path = tmp_path / "worker.log"
    token = request_id_var.set("req-from-the-web")
    try:
        with _worker(env, queue, log_path), _producer(broker_url, transport_options, queue):
            run = run_create(scenario=scenario, user=owner, trials=2_000, seed=5)  # autocommit: queued at once
            seen = _watch(run, log_path)
    finally:
        request_id_var.reset(token)
    run.refresh_from_db()
    assert run.status == Run.Status.DONE, f"{run.error}\n{log_path.read_text()[-4000:]}"
    started = [json.loads(line) for line in log_path.read_text().splitlines() if '"run started"' in line]
    assert [(e["run_id"], e["request_id"]) for e in started] == [(run.pk, "req-from-the-web")]
    return run, seen


def _assert_progress(run: Run, seen: list) -> None:
    statuses = [s for s, _ in seen]
    assert statuses[0] == "queued" and "running" in statuses and statuses[-1] == "done"
    progress = [p for _, p in seen]
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert any(0 < p < 1 for p in progress), seen  # the bar moved while the worker ran
    assert run.results["trials_per_type"] == 2_000 and run.results["seed"] == 5
    assert run.chunks_done == run.chunks_total > 1


def test_it_runs_on_a_real_worker_with_redis(scenario, owner, tmp_path):
    _redis_or_skip()
    run, seen = _run_on_worker(scenario, owner, tmp_path, REDIS_URL,
                               {"socket_connect_timeout": 2, "visibility_timeout": 3600}, {})
    _assert_progress(run, seen)


def test_it_runs_on_a_real_worker_with_the_filesystem_broker(scenario, owner, tmp_path):
    folder = tmp_path / "broker"
    for name in ("queue", "processed"):
        (folder / name).mkdir(parents=True)
    options = {"data_folder_in": str(folder / "queue"), "data_folder_out": str(folder / "queue"),
               "processed_folder": str(folder / "processed"), "store_processed": False}
    run, seen = _run_on_worker(scenario, owner, tmp_path, "filesystem://", options, {"BROKER_DIR": str(folder)})
    _assert_progress(run, seen)
