"""Frontier jobs: a cost frontier too long for a web request is computed by the worker, with progress.

``job_create`` (the view) records what was asked and queues ``workshop.frontier_job``; ``job_execute`` (the
task) computes it, writing its progress after each step; the page polls ``job_status``. Idempotent under
late acknowledgement: a job already finished is left alone, a redelivered one computes again from scratch.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone

import simulation
from planner.models import Scenario, Workspace
from planner.selectors.baseline import workspace_baseline, workspace_rebased
from workshop import services
from workshop.budget import Busy
from workshop.charts import frontier_figures
from workshop.models import FrontierJob, ShareLink
from workshop.selectors import base_document

log = logging.getLogger(__name__)


def frontier_payload(options: list, advice: dict, *, workspace: Workspace) -> dict:
    """The JSON the page draws: the frontier's figures (premiums over the workspace's one baseline), whether the
    base already meets its targets, its fixes."""
    baseline = workspace_baseline(workspace=workspace)
    options = [(label, workspace_rebased(r, workspace=workspace, baseline=baseline)) for label, r in options]
    figures = frontier_figures(options) if options else {"cheapest": None, "points": []}
    return {
        **figures,
        "already_met": advice["already_met"],
        "fixes": [
            {
                "label": " + ".join(c["label"] for c in fix["changes"]),
                "added_usd_per_month": fix["added_usd_per_month"],
                "multi_region": fix["multi_region"],
            }
            for fix in advice["fixes"]
        ],
    }


def job_create(
    *,
    workspace: Workspace,
    scenario: Scenario,
    link: ShareLink | None,
    actor: str,
    variants: list[tuple[str, dict]],
    estimate_s: float,
) -> FrontierJob:
    """Queue a frontier for the worker; ``Busy`` while the actor already has as many jobs as it may."""
    from workshop.tasks import frontier_job

    active = FrontierJob.objects.filter(
        actor=actor,
        status__in=[FrontierJob.Status.QUEUED, FrontierJob.Status.RUNNING],
        created_at__gt=_given_up_before(),  # a job its worker never finished stops counting
    ).count()
    if active >= settings.WORKSHOP_CONCURRENT_PER_ACTOR:
        raise Busy(f"{active} frontier computations are already under way for you or this link.", retry_after_s=10)
    job = FrontierJob.objects.create(
        workspace=workspace,
        scenario=scenario,
        link=link,
        actor=actor,
        variants=[[label, overrides] for label, overrides in variants],
        estimate_s=round(estimate_s, 1),
    )
    transaction.on_commit(lambda: frontier_job.delay(job.pk))
    return job


def job_execute(*, job_id: int) -> None:
    job = FrontierJob.objects.select_related("scenario", "workspace").filter(pk=job_id).first()
    if job is None or job.status in (FrontierJob.Status.DONE, FrontierJob.Status.FAILED):
        return
    FrontierJob.objects.filter(pk=job_id).update(status=FrontierJob.Status.RUNNING, progress=0.0)

    def progress(share: float) -> None:
        FrontierJob.objects.filter(pk=job_id).update(progress=round(share, 3))

    try:
        document = base_document(scenario=job.scenario, targets=job.workspace.targets)
        variants = [(label, overrides) for label, overrides in job.variants]
        options, advice = services.frontier_options(document=document, variants=variants, on_progress=progress)
        result, error, status = frontier_payload(options, advice, workspace=job.workspace), "", FrontierJob.Status.DONE
    except SoftTimeLimitExceeded:
        result, status = None, FrontierJob.Status.FAILED
        error = f"The frontier took longer than {settings.WORKSHOP_JOB_TIME_LIMIT_S} s and was stopped."
    except simulation.ScenarioError as problem:
        result, error, status = None, f"The scenario is not valid: {problem}"[:2000], FrontierJob.Status.FAILED
    except Exception as problem:  # record any engine failure on the job
        log.exception("frontier job failed", extra={"operation": "frontier_job"})
        result, error, status = None, f"{problem.__class__.__name__}: {problem}"[:2000], FrontierJob.Status.FAILED
    FrontierJob.objects.filter(pk=job_id).update(
        status=status, result=result, error=error, finished_at=timezone.now(), progress=1.0
    )


def _given_up_before():
    """Jobs created before this and still unfinished were lost (their worker died): twice the time limit."""
    return timezone.now() - timedelta(seconds=2 * settings.WORKSHOP_JOB_TIME_LIMIT_S)


def job_status(job: FrontierJob) -> dict:
    """``{"status", "progress", "estimate_s", "result"?, "error"?}`` for the page's polling."""
    if job.status in (FrontierJob.Status.QUEUED, FrontierJob.Status.RUNNING) and job.created_at < _given_up_before():
        job.status, job.error = FrontierJob.Status.FAILED, "The worker did not finish this frontier; try again."
        FrontierJob.objects.filter(
            pk=job.pk, status__in=[FrontierJob.Status.QUEUED, FrontierJob.Status.RUNNING]
        ).update(status=job.status, error=job.error, finished_at=timezone.now())
    status = {"job_id": job.pk, "status": job.status, "progress": job.progress, "estimate_s": job.estimate_s}
    if job.status == FrontierJob.Status.DONE:
        status["result"] = job.result
    if job.status == FrontierJob.Status.FAILED:
        status["error"] = job.error
    return status
