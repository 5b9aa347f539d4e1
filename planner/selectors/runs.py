"""Reads about runs: lists and the progress the run page polls."""
from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse

from ..models import Run, Workspace


def run_list(*, workspace: Workspace) -> QuerySet[Run]:
    """Runs of a workspace, newest first, without the heavy JSON columns."""
    return workspace.runs.defer("snapshot", "results").select_related("created_by")


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
    }
    if run.status == Run.Status.DONE:
        data["results_url"] = reverse("run_results", args=[run.workspace_id, run.pk])
    return data


def run_key_figures(*, run: Run) -> dict:
    """Headline numbers of a finished run for lists and the compare table."""
    results = run.results or {}
    annual = results.get("annual") or {}
    costs = results.get("costs") or {}
    worst_p95 = max((t.get("rto_s", {}).get("p95") or 0.0 for t in (results.get("incident_types") or {}).values()),
                    default=None)
    return {
        "availability_mean": (annual.get("availability") or {}).get("mean"),
        "downtime_mean_s": (annual.get("downtime_s") or {}).get("mean"),
        "worst_rto_p95_s": worst_p95,
        "infrastructure_usd_per_month": costs.get("infrastructure_usd_per_month"),
        "premium_usd_per_month": costs.get("premium_usd_per_month"),
        "total_usd_per_month": costs.get("total_usd_per_month"),
        "currency": costs.get("currency", "USD"),
        "targets_met": results.get("targets_met"),
    }
