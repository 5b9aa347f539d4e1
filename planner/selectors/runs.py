"""Reads about runs: lists and the progress the run page polls."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse

from planner.models import Run, Workspace
from simulation.engine.results import RunResults


def run_list(*, workspace: Workspace) -> QuerySet[Run]:
    """Runs of a workspace, newest first, without the heavy JSON columns."""
    return workspace.runs.defer("snapshot", "results", "outcomes").select_related("created_by")


def run_progress(*, run: Run) -> dict:
    """What the progress bar needs, as JSON-able data."""
    data = {
        "id": run.pk,
        "status": run.status,
        "progress": round(run.progress, 4),
        "chunks_done": run.chunks_done,
        "chunks_total": run.chunks_total,
        "eta_s": run.eta_s,
        "error": run.error,
        "finished": run.is_finished,
        "results_url": None,
        "phase": "",
    }
    if run.status == Run.Status.RUNNING and run.chunks_total and run.chunks_done >= run.chunks_total:
        data["phase"] = "Putting the results together (yearly figures, checklist)"
    if run.status == Run.Status.DONE:
        data["results_url"] = reverse("run_results", args=[run.workspace_id, run.pk])
    return data


def run_has_results(*, run: Run) -> bool:
    """Whether the run stored results (asked of the database, so the results themselves are not read)."""
    return Run.objects.filter(pk=run.pk, results__isnull=False).exists()


def run_results(*, run: Run) -> RunResults:
    """The stored results of a finished run (the ``Run.results`` JSON) as ``RunResults``."""
    if not run.results:
        raise ValueError(f"run {run.pk}: no results")
    return RunResults.from_json(run.results)
