"""Celery tasks: take an export id, call the service (progress lives in the ReportExport row).

The services import these tasks to enqueue them, so a task imports its service inside its body.
"""

from celery import shared_task


@shared_task(name="decisions.render_report_export", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def render_report_export(export_id: int) -> None:
    """Render one report export; running it twice leaves one file (the service is idempotent)."""
    from decisions.services import export_render

    export_render(export_id=export_id)
