"""Celery tasks: thin interfaces that take an id and call a service.

The services import these tasks to enqueue them, so a task imports its service inside its body.
"""

from contextlib import contextmanager

from celery import shared_task

from planner.logs import request_id_var


@shared_task(bind=True, name="planner.run_scenario", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_scenario(self, run_id: int) -> None:
    """Start one run: its chunks become tasks for every worker (progress and results go to its row)."""
    from planner.services.runs_distributed import run_dispatch

    with _request_id(self):
        run_dispatch(run_id=run_id)


@shared_task(bind=True, name="planner.run_part", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_part(self, run_id: int, kind: str, key: str, attempt: int) -> None:
    """One piece of a run under one attempt: a few chunks, or a checklist variant run."""
    from planner.services.runs_distributed import part_execute

    with _request_id(self):
        part_execute(run_id=run_id, kind=kind, key=key, attempt=attempt)


@shared_task(bind=True, name="planner.run_finish", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_finish(self, run_id: int, attempt: int) -> None:
    """Put a run's stored pieces together and write its results (if still running under ``attempt``)."""
    from planner.services.runs_distributed import run_finish as finish

    with _request_id(self):
        finish(run_id=run_id, attempt=attempt)


@contextmanager
def _request_id(task):
    """Log the request id that queued the work (a message header) on every line the task writes."""
    token = request_id_var.set(str(task.request.get("request_id") or f"task-{task.request.id}"))
    try:
        yield
    finally:
        request_id_var.reset(token)


@shared_task(name="planner.run_watchdog", ignore_result=True)
def run_watchdog() -> dict:
    """Re-queue or fail stalled runs, and re-send queued runs whose message was lost (Celery beat's task)."""
    from planner.services.watchdog import watchdog_pass

    return watchdog_pass()
