"""Celery tasks of the workshop: thin interfaces that take an id and call a service."""

from celery import shared_task
from django.conf import settings


@shared_task(
    name="workshop.frontier_job",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=settings.WORKSHOP_JOB_TIME_LIMIT_S,
    time_limit=settings.WORKSHOP_JOB_TIME_LIMIT_S + 30,
)
def frontier_job(job_id: int) -> None:
    """Compute a cost frontier too long for a web request (``workshop.jobs.job_execute``)."""
    from workshop.jobs import job_execute

    job_execute(job_id=job_id)
