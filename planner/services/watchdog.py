"""The watchdog: runs that lost their worker or their message are queued again, or failed with a message.

Celery beat queues ``planner.run_watchdog`` every ``RUN_WATCHDOG_INTERVAL_S`` (``make run`` starts beat).
Each pass:

- a *running* run whose heartbeat is stale (``planner.services.heartbeat.is_stale``: its worker was killed,
  or lost the database for longer than the retries) goes back to *queued* with a new message — or, after
  ``RUN_MAX_ATTEMPTS`` attempts, to *failed* with a message saying why;
- a *queued* run last sent more than ``RUN_QUEUED_STALE_S`` ago, while the broker's queue is empty, lost its
  message (a broker restarted without persistence): it is sent again.

Sending twice is harmless: the run's task (``runs_distributed.run_dispatch``, like ``run_execute``) claims a run
only while it is queued (or running with a stale heartbeat), and every write names the attempt that claimed it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from planner.models import Run, RunPart
from planner.services.heartbeat import is_stale, stale_before

log = logging.getLogger(__name__)


def run_requeue(*, run_id: int, attempt: int | None, reason: str) -> str | None:
    """Queue a stalled running run again ("requeued"), or fail it once it used its attempts ("failed")."""
    from planner.services.runs import run_enqueue

    with transaction.atomic():
        rows = Run.objects.select_for_update().filter(pk=run_id, status=Run.Status.RUNNING)
        run = (rows.filter(attempts=attempt) if attempt is not None else rows).first()
        if run is None:
            return None
        now = timezone.now()
        if run.attempts >= settings.RUN_MAX_ATTEMPTS:
            run.status, run.finished_at, run.eta_s = Run.Status.FAILED, now, None
            run.error = (
                f"The run stopped {run.attempts} times before finishing (last: {reason}). "
                "Start it again once the workers and the database are healthy."
            )
            outcome = "failed"
            RunPart.objects.filter(run_id=run_id).delete()  # as a cancel or a failure does: nothing will read them
        else:
            run.status, run.heartbeat_at, run.eta_s = Run.Status.QUEUED, now, None
            outcome = "requeued"
        run.save(update_fields=["status", "finished_at", "eta_s", "error", "heartbeat_at"])
    if outcome == "requeued":  # after the commit: the worker that takes the message must find it queued
        run_enqueue(run_id=run_id, fail_on_error=False)
    log.warning("run %s: %s", outcome, reason, extra={"run_id": run_id, "operation": "watchdog"})
    return outcome


def broker_queue_size() -> int:
    """Messages waiting in the runs' queue (0 when the broker no longer knows the queue)."""
    from config.celery import app

    queue = app.conf.task_default_queue
    with app.connection_for_read() as conn:
        conn.ensure_connection(max_retries=1, timeout=5)
        try:
            return int(conn.default_channel.queue_declare(queue=queue, passive=True).message_count)
        except conn.channel_errors:
            return 0


def watchdog_pass(*, now: datetime | None = None) -> dict[str, list[int]]:
    """One pass over the runs; the ids it re-queued, failed and re-sent."""
    now = now or timezone.now()
    report: dict[str, list[int]] = {"requeued": [], "failed": [], "resent": []}
    stalled = Run.objects.filter(status=Run.Status.RUNNING).filter(
        Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=stale_before(now))
    )
    for run in stalled:
        if is_stale(run, now):
            silent_s = (now - run.heartbeat_at).total_seconds() if run.heartbeat_at else None
            reason = "its worker stopped answering" + (f" (no heartbeat for {silent_s:.0f} s)" if silent_s else "")
            outcome = run_requeue(run_id=run.pk, attempt=run.attempts, reason=reason)
            if outcome:
                report[outcome].append(run.pk)
    lost = list(
        Run.objects.filter(
            status=Run.Status.QUEUED, heartbeat_at__lt=now - timedelta(seconds=settings.RUN_QUEUED_STALE_S)
        ).values_list("pk", flat=True)
    )
    if lost and _queue_is_empty():
        from planner.services.runs import run_enqueue

        for run_id in lost:
            log.warning("run re-sent: its message was lost", extra={"run_id": run_id, "operation": "watchdog"})
            run_enqueue(run_id=run_id, fail_on_error=False)
            report["resent"].append(run_id)
    return report


def _queue_is_empty() -> bool:
    try:
        return broker_queue_size() == 0
    except Exception as error:  # the broker is away: nothing can be re-sent now; the next pass tries again
        log.warning("watchdog could not read the queue: %s", error, extra={"operation": "watchdog"})
        return False
