"""Celery tasks: take an export id, call the service (progress lives in the ReportExport row)."""
from celery import shared_task

from .services import export_render


@shared_task(name="decisions.render_report_export", acks_late=True, reject_on_worker_lost=True,
             ignore_result=True)
def render_report_export(export_id: int) -> None:
    """Render one report export; running it twice leaves one file (the service is idempotent)."""
    export_render(export_id=export_id)
