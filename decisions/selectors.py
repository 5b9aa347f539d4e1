"""Reads about decision records; access follows the workspace (members see, editors change)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from decisions.models import DecisionRecord, ReportExport
from planner.models import Run, Workspace
from planner.selectors.access import object_for_user


def decision_for_user(user, workspace_id: int, decision_id: int, *, edit: bool = False) -> DecisionRecord:
    """A decision of a workspace the user belongs to (404 otherwise); ``edit`` needs an editor (403)."""
    return object_for_user(DecisionRecord, user, workspace_id, decision_id, edit=edit)


def export_for_user(user, workspace_id: int, decision_id: int, export_id: int) -> ReportExport:
    decision = decision_for_user(user, workspace_id, decision_id)
    export = ReportExport.objects.filter(decision=decision, pk=export_id).first()
    if export is None:
        raise Http404("No such export")
    export.decision = decision
    return export


def decision_list(*, workspace: Workspace) -> QuerySet[DecisionRecord]:
    return (
        workspace.decisions.select_related("chosen_run", "created_by")
        .prefetch_related("sign_offs__user", "runs")
        .order_by("-created_at", "-id")
    )


def runs_to_compare(*, workspace: Workspace) -> QuerySet[Run]:
    """Finished runs of the workspace, newest first: the options a decision can compare."""
    return workspace.runs.filter(status=Run.Status.DONE, results__isnull=False).order_by("-created_at", "-id")


def decision_exports(*, decision: DecisionRecord) -> QuerySet[ReportExport]:
    return decision.exports.order_by("-created_at", "-id")


def export_progress(*, export: ReportExport) -> dict:
    """What the polling page needs: status, progress 0..1, and whether the file can be downloaded."""
    return {
        "status": export.status,
        "status_label": export.get_status_display(),
        "progress": round(export.progress, 3),
        "finished": export.is_finished,
        "ready": export.status == ReportExport.Status.DONE and bool(export.file),
        "error": export.error,
    }
