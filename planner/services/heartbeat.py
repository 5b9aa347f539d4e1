"""A running run's heartbeat: ``Run.heartbeat_at``, written with each chunk and, during a long step, by a ticker.

A run whose heartbeat is older than ``stale_after_s`` has lost its worker (killed, or cut off from the
database); the watchdog (``planner.services.watchdog``) re-queues it or fails it with a message.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from planner.models import Run

log = logging.getLogger(__name__)


def stale_before(now: datetime | None = None) -> datetime:
    """Heartbeats older than this are stale for any run (the shortest threshold, ``RUN_STALE_MIN_S``)."""
    return (now or timezone.now()) - timedelta(seconds=settings.RUN_STALE_MIN_S)


def stale_after_s(run: Run) -> float:
    """How long this run may go without a heartbeat: ``RUN_STALE_FACTOR`` x its measured chunk time, at least
    ``RUN_STALE_MIN_S`` (a run that has not finished a chunk yet gets the minimum)."""
    per_chunk_s = 0.0
    if run.chunks_done and run.started_at and run.heartbeat_at:
        per_chunk_s = max(0.0, (run.heartbeat_at - run.started_at).total_seconds()) / run.chunks_done
    return max(settings.RUN_STALE_MIN_S, settings.RUN_STALE_FACTOR * per_chunk_s)


def is_stale(run: Run, now: datetime | None = None) -> bool:
    if run.heartbeat_at is None:
        return True
    return ((now or timezone.now()) - run.heartbeat_at).total_seconds() > stale_after_s(run)


@contextmanager
def heartbeat(run_id: int, attempt: int, interval_s: float | None = None) -> Iterator[None]:
    """Beat every ``interval_s`` (``RUN_HEARTBEAT_S``) from a thread while the body computes one long step."""
    interval_s = settings.RUN_HEARTBEAT_S if interval_s is None else interval_s
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(interval_s):
                try:
                    Run.objects.filter(pk=run_id, status=Run.Status.RUNNING, attempts=attempt).update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError as error:  # a missed beat; the next one tries again
                    log.warning("heartbeat not written: %s", error, extra={"run_id": run_id})
                    connection.close()
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, daemon=True, name=f"heartbeat-run-{run_id}")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
