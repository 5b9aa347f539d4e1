"""Heartbeats, database retries and the watchdog, without real services (the fault tests use real ones)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from planner.models import Run, RunPart
from planner.services import watchdog
from planner.services.db_retry import db_retry
from planner.services.heartbeat import is_stale, stale_after_s
from planner.services.runs import run_create, run_execute
from planner.tasks import run_watchdog


@pytest.fixture
def sent(monkeypatch):
    """Run ids handed to the broker (instead of a real broker)."""
    ids: list[int] = []
    monkeypatch.setattr("planner.tasks.run_scenario.apply_async", lambda args, **kw: ids.append(args[0]))
    return ids


@pytest.fixture
def run(scenario, owner):
    return run_create(scenario=scenario, user=owner, trials=60, seed=11, enqueue=False)


def _set(run: Run, **fields) -> Run:
    Run.objects.filter(pk=run.pk).update(**fields)
    run.refresh_from_db()
    return run


def _ago(seconds: float):
    return timezone.now() - timedelta(seconds=seconds)


def test_a_run_may_stay_silent_for_a_multiple_of_its_measured_chunk_time(run, settings):
    settings.RUN_STALE_MIN_S, settings.RUN_STALE_FACTOR = 30, 10
    started = timezone.now() - timedelta(seconds=100)
    beat = started + timedelta(seconds=40)
    _set(run, status=Run.Status.RUNNING, started_at=started, heartbeat_at=beat, chunks_done=4)
    assert stale_after_s(run) == 100  # 10 s a chunk, 10 chunks' worth
    assert not is_stale(run, now=run.heartbeat_at + timedelta(seconds=99))
    assert is_stale(run, now=run.heartbeat_at + timedelta(seconds=101))
    _set(run, chunks_done=0)
    assert stale_after_s(run) == 30  # no chunk yet: the minimum


def test_the_watchdog_requeues_a_running_run_whose_heartbeat_is_stale(run, sent, settings):
    settings.RUN_STALE_MIN_S = 30
    _set(run, status=Run.Status.RUNNING, attempts=1, started_at=_ago(600), heartbeat_at=_ago(120))
    report = run_watchdog()
    run.refresh_from_db()
    assert report["requeued"] == [run.pk] and sent == [run.pk]
    assert run.status == Run.Status.QUEUED and run.error == ""
    assert (timezone.now() - run.heartbeat_at).total_seconds() < 5  # counts as sent now


def test_the_watchdog_leaves_a_run_with_a_fresh_heartbeat_alone(run, sent, settings):
    settings.RUN_STALE_MIN_S = 30
    _set(run, status=Run.Status.RUNNING, attempts=1, started_at=_ago(600), heartbeat_at=_ago(5))
    assert run_watchdog() == {"requeued": [], "failed": [], "resent": []}
    run.refresh_from_db()
    assert run.status == Run.Status.RUNNING and sent == []


def test_the_watchdog_fails_a_run_that_stalled_on_every_attempt_saying_why(run, sent, settings):
    settings.RUN_STALE_MIN_S, settings.RUN_MAX_ATTEMPTS = 30, 3
    _set(run, status=Run.Status.RUNNING, attempts=3, started_at=_ago(600), heartbeat_at=_ago(120))
    RunPart.objects.create(run=run, kind=RunPart.Kind.CHUNK, key="0", arrays=b"piece")  # an earlier attempt's
    report = run_watchdog()
    run.refresh_from_db()
    assert report["failed"] == [run.pk] and sent == []
    assert run.status == Run.Status.FAILED and run.finished_at is not None
    assert "stopped 3 times" in run.error and "no heartbeat for 120 s" in run.error
    assert not RunPart.objects.filter(run=run).exists()  # dropped, as a cancel or a failure drops them


def test_the_watchdog_resends_a_queued_run_whose_message_was_lost(run, sent, settings, monkeypatch):
    settings.RUN_QUEUED_STALE_S = 60
    monkeypatch.setattr(watchdog, "broker_queue_size", lambda: 0)
    _set(run, heartbeat_at=_ago(120))
    assert run_watchdog()["resent"] == [run.pk] and sent == [run.pk]
    run.refresh_from_db()
    assert run.status == Run.Status.QUEUED and (timezone.now() - run.heartbeat_at).total_seconds() < 5


def test_the_watchdog_does_not_resend_while_the_queue_still_holds_messages(run, sent, settings, monkeypatch):
    """Messages waiting: the run is probably behind them, not lost (a duplicate would be harmless anyway)."""
    settings.RUN_QUEUED_STALE_S = 60
    monkeypatch.setattr(watchdog, "broker_queue_size", lambda: 3)
    _set(run, heartbeat_at=_ago(120))
    assert run_watchdog()["resent"] == [] and sent == []


def test_the_watchdog_does_not_resend_a_recently_queued_run(run, sent, settings, monkeypatch):
    settings.RUN_QUEUED_STALE_S = 60
    monkeypatch.setattr(watchdog, "broker_queue_size", lambda: 0)
    _set(run, heartbeat_at=_ago(10))
    assert run_watchdog()["resent"] == [] and sent == []


def test_a_worker_that_was_replaced_can_no_longer_write_the_run(run, monkeypatch):
    """A stalled worker that wakes up after the watchdog gave its run to another attempt stops at its next chunk."""
    import simulation

    original = simulation.run_chunk
    calls = []

    def chunk_then_takeover(scenario, plan, index):
        calls.append(index)
        Run.objects.filter(pk=run.pk).update(attempts=7)  # another worker claimed the run meanwhile
        return original(scenario, plan, index)

    monkeypatch.setattr(simulation, "run_chunk", chunk_then_takeover)
    result = run_execute(run_id=run.pk)
    assert calls == [0]
    assert result.status == Run.Status.RUNNING and result.chunks_done == 0 and result.results is None


def test_db_retry_waits_out_a_short_outage(settings, monkeypatch):
    monkeypatch.setattr("planner.services.db_retry.time.sleep", lambda s: None)
    failures = [OperationalError("server closed the connection"), OperationalError("connection refused")]

    def write():
        if failures:
            raise failures.pop(0)
        return "written"

    assert db_retry(write, what="test write", window_s=10) == "written"


def test_db_retry_gives_up_after_its_window(monkeypatch):
    clock = {"t": 0.0}
    monkeypatch.setattr("planner.services.db_retry.time.monotonic", lambda: clock["t"])
    monkeypatch.setattr("planner.services.db_retry.time.sleep", lambda s: clock.__setitem__("t", clock["t"] + s))

    def write():
        raise OperationalError("connection refused")

    with pytest.raises(OperationalError):
        db_retry(write, what="test write", window_s=3)
    assert clock["t"] == pytest.approx(3)
