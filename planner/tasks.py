"""Celery tasks: thin interfaces that take an id and call a service.

The services import these tasks to enqueue them, so a task imports its service inside its body.
"""

from celery import shared_task

from planner.logs import request_id_var


@shared_task(bind=True, name="planner.run_scenario", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_scenario(self, run_id: int) -> None:
    """Execute one run (progress and results are written to its row), logging the request id that queued it."""
    from planner.services.runs import run_execute

    token = request_id_var.set(str(self.request.get("request_id") or f"task-{self.request.id}"))
    try:
        run_execute(run_id=run_id)
    finally:
        request_id_var.reset(token)


@shared_task(name="planner.run_watchdog", ignore_result=True)
def run_watchdog() -> dict:
    """Re-queue or fail stalled runs, and re-send queued runs whose message was lost (Celery beat's task)."""
    from planner.services.watchdog import watchdog_pass

    return watchdog_pass()
