"""A run through a REAL Celery worker subprocess: on Redis and on the filesystem broker.

The worker uses this test's database (transactional test, so it can see the
committed rows) and is always stopped: TERM, a bounded wait, then KILL of its
process group. Under CI=true a missing Redis fails the test instead of skipping it.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

import kombu
import pytest

from planner.logs import request_id_var
from planner.models import Run
from planner.services.runs import run_create, run_execute

from celery_worker import filesystem_broker, producer, worker, worker_database_url

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
RUN_TIMEOUT_S = 90

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _redis_or_skip() -> None:
    try:
        with kombu.Connection(REDIS_URL, connect_timeout=1, transport_options={"socket_connect_timeout": 1}) as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
    except Exception as error:
        message = f"Redis at {REDIS_URL} is not reachable: {error}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


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


def _run_on_worker(
    scenario, owner, tmp_path: Path, broker_url: str, transport_options: dict, extra_env: dict
) -> tuple[Run, list]:
    queue = f"test-{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_QUEUE": queue,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOG_LEVEL": "INFO",
        **extra_env,
    }
    log_path = tmp_path / "worker.log"
    token = request_id_var.set("req-from-the-web")
    try:
        with worker(env, queue, log_path), producer(broker_url, transport_options, queue):
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
    run, seen = _run_on_worker(
        scenario, owner, tmp_path, REDIS_URL, {"socket_connect_timeout": 2, "visibility_timeout": 3600}, {}
    )
    _assert_progress(run, seen)


def test_a_run_split_over_two_workers_gives_the_bytes_of_one_process(scenario, owner, tmp_path):
    """Two worker processes share the run's chunks and variant runs; the results are the bytes of
    the same run executed in this process, chunk after chunk."""
    _redis_or_skip()
    queue = f"test-{uuid.uuid4().hex[:10]}"
    env = {**os.environ, "DATABASE_URL": worker_database_url(), "CELERY_BROKER_URL": REDIS_URL}
    env |= {"CELERY_QUEUE": queue, "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_LEVEL": "INFO"}
    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    options = {"socket_connect_timeout": 2, "visibility_timeout": 3600}
    with worker(env, queue, logs[0], "-a"), worker(env, queue, logs[1], "-b"), producer(REDIS_URL, options, queue):
        run = run_create(scenario=scenario, user=owner, trials=4_000, seed=9)
        _watch(run, logs[0])
    run.refresh_from_db()
    assert run.status == Run.Status.DONE, f"{run.error}\n{logs[0].read_text()[-3000:]}"
    pieces = [log.read_text().count("planner.run_part[") for log in logs]
    assert all(count > 0 for count in pieces), pieces  # both workers took pieces
    single = run_execute(run_id=run_create(scenario=scenario, user=owner, trials=4_000, seed=9, enqueue=False).pk)
    assert json.dumps(run.results, sort_keys=True) == json.dumps(single.results, sort_keys=True)


def test_it_runs_on_a_real_worker_with_the_filesystem_broker(scenario, owner, tmp_path):
    folder = tmp_path / "broker"
    options = filesystem_broker(folder)
    run, seen = _run_on_worker(scenario, owner, tmp_path, "filesystem://", options, {"BROKER_DIR": str(folder)})
    _assert_progress(run, seen)
