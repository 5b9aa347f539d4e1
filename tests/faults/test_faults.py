"""Runs survive a broker outage, a database outage, a kill -9 of the worker group and a lost message.

Each test starts its own redis-server and Celery worker (with beat, so the watchdog runs every second) and
uses the test's PostgreSQL database, through a proxy it can stop when the database must go away.
"""

from __future__ import annotations

import json
import os
import time

import pytest

from planner.models import Run
from planner.services.runs import run_create, run_execute

from fault_services import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# The old limit was 3 reconnection tries, about 12 s. 20 s is past it, and kombu's backoff has then reached
# 8 s between tries, growing to 30 s at most: a longer outage only repeats 30 s waits, so this is equivalent
# to the 60 s of the issue (FAULT_BROKER_OUTAGE_S=60 runs that).
BROKER_OUTAGE_S = float(os.environ.get("FAULT_BROKER_OUTAGE_S", "20"))
DB_OUTAGE_S = 8.0
RUN_TRIALS = 2_000  # 56 chunks, ~3 s on one worker process


def _status(run: Run) -> str:
    return Run.objects.values_list("status", flat=True).get(pk=run.pk)


def _finished(run: Run):
    return _status(run) in Run.FINISHED


def _canonical(results: dict) -> str:
    return json.dumps(results, sort_keys=True, separators=(",", ":"))


def _clean_results(scenario, owner, seed: int) -> str:
    clean = run_create(scenario=scenario, user=owner, trials=RUN_TRIALS, seed=seed, enqueue=False)
    return _canonical(run_execute(run_id=clean.pk).results)


def test_the_worker_survives_a_broker_outage_and_runs_the_next_run(
    scenario, owner, redis_server, worker_env, make_worker, sending
):
    worker = make_worker(worker_env)
    redis_server.stop()
    outage_ends = time.monotonic() + BROKER_OUTAGE_S
    while time.monotonic() < outage_ends:
        assert worker.alive(), f"the worker exited during the broker outage:\n{worker.log()[-3000:]}"
        time.sleep(0.5)
    redis_server.start()
    run = run_create(scenario=scenario, user=owner, trials=200, seed=3)
    wait_for(lambda: _finished(run), timeout_s=60, what=f"run after the outage\n{worker.log()[-3000:]}")
    assert _status(run) == Run.Status.DONE and worker.alive()
    assert "Cannot connect to redis" in worker.log() or "Connection to broker lost" in worker.log()


def test_a_run_cut_off_from_its_database_ends_within_a_minute(
    scenario, owner, postgres, db_proxy, worker_env, make_worker, sending
):
    env = {**worker_env, "RUN_STALE_MIN_S": "30"}  # the retries, not the watchdog, carry this run through
    env["DATABASE_URL"] = env["DATABASE_URL"].replace(f":{postgres['PORT'] or 5432}/", f":{db_proxy.port}/")
    worker = make_worker(env)
    run = run_create(scenario=scenario, user=owner, trials=RUN_TRIALS, seed=9)
    wait_for(lambda: Run.objects.get(pk=run.pk).chunks_done >= 5, timeout_s=60, what=f"chunks\n{worker.log()[-3000:]}")
    db_proxy.stop()
    time.sleep(DB_OUTAGE_S)
    db_proxy.start()
    wait_for(lambda: _finished(run), timeout_s=60, what=f"run after the outage\n{worker.log()[-3000:]}")
    run.refresh_from_db()
    assert run.status == Run.Status.DONE, run.error  # the writes waited for the database, nothing was lost
    assert "database unreachable during" in worker.log()
    assert _canonical(run.results) == _clean_results(scenario, owner, seed=9)


def test_a_run_completes_once_after_its_worker_group_is_killed(scenario, owner, worker_env, make_worker, sending):
    first = make_worker(worker_env, "first")
    run = run_create(scenario=scenario, user=owner, trials=RUN_TRIALS, seed=21)
    wait_for(lambda: Run.objects.get(pk=run.pk).chunks_done >= 10, timeout_s=60, what="chunks before the kill")
    first.kill_group()
    killed_at = Run.objects.get(pk=run.pk)
    assert killed_at.status == Run.Status.RUNNING and killed_at.chunks_done < killed_at.chunks_total
    restarted_at = time.monotonic()
    second = make_worker(worker_env, "second")
    wait_for(lambda: _finished(run), timeout_s=120, what=f"run after the restart\n{second.log()[-3000:]}")
    completed_in_s = time.monotonic() - restarted_at
    run.refresh_from_db()
    # the chunk tasks still queued go to the new worker; the pieces the killed one held come back either by the
    # broker's redelivery (same attempt) or by the watchdog's re-queue (a second attempt): both finish it once
    assert run.status == Run.Status.DONE and run.attempts in (1, 2), run.error
    assert "run finished in" not in first.log() and second.log().count("run finished in") == 1
    assert _canonical(run.results) == _clean_results(scenario, owner, seed=21)
    assert completed_in_s < 120


def test_a_queued_run_whose_message_was_lost_is_sent_again(
    scenario, owner, redis_server, worker_env, make_worker, sending
):
    run = run_create(scenario=scenario, user=owner, trials=200, seed=4)  # no worker yet: the message waits
    redis_server.stop()  # no persistence: the message is gone
    redis_server.start()
    worker = make_worker(worker_env)
    wait_for(lambda: _finished(run), timeout_s=60, what=f"the lost run\n{worker.log()[-3000:]}")
    assert _status(run) == Run.Status.DONE
    assert "run re-sent: its message was lost" in worker.log()
