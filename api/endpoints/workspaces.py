"""Workspaces (read), their targets (read, replace) and the comparison of runs."""

from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate

import simulation
from api.access import workspace_for_token, workspaces_of_token
from api.schemas import CompareOut, Id, Pages, ProblemsOut, TargetsIn, WorkspaceOut
from planner.models import Membership, Workspace, default_targets
from planner.selectors.compare import ComparisonError, comparison_rows, options_for, runs_to_compare
from planner.services.workspaces import workspace_update

router = Router(tags=["workspaces"])


def _out(workspace: Workspace, user) -> WorkspaceOut:
    role = Membership.objects.filter(workspace=workspace, user=user).values_list("role", flat=True).first()
    return WorkspaceOut(id=workspace.pk, name=workspace.name, targets=workspace.targets, role=role or "viewer")


@router.get("/workspaces", response=list[WorkspaceOut])
@paginate(Pages)
def workspace_list(request: HttpRequest):
    """The workspaces this token may see (its scope, where its user is still a member)."""
    return [_out(w, request.user) for w in workspaces_of_token(request)]


@router.get("/workspaces/{int:workspace_id}", response=WorkspaceOut)
def workspace_get(request: HttpRequest, workspace_id: Id):
    return _out(workspace_for_token(request, workspace_id), request.user)


@router.get("/workspaces/{int:workspace_id}/targets", response=dict)
def targets_get(request: HttpRequest, workspace_id: Id):
    """The targets every option of the workspace is judged against."""
    return {**default_targets(), **workspace_for_token(request, workspace_id).targets}


@router.put("/workspaces/{int:workspace_id}/targets", response={200: dict, 422: ProblemsOut})
def targets_put(request: HttpRequest, workspace_id: Id, payload: TargetsIn):
    """Replace the workspace's targets (editors with a read-write token)."""
    workspace = workspace_for_token(request, workspace_id, edit=True)
    targets = payload.dict()
    problems = simulation.validate_document({"targets": targets})
    if problems:
        raise simulation.ScenarioError(problems)
    workspace_update(workspace=workspace, name=workspace.name, targets=targets)
    return {**default_targets(), **workspace.targets}


@router.get("/workspaces/{int:workspace_id}/compare", response={200: CompareOut, 422: ProblemsOut})
def compare(request: HttpRequest, workspace_id: Id, runs: Query[list[Id]]):
    """Finished runs side by side, judged against the workspace's targets (as the compare page)."""
    workspace = workspace_for_token(request, workspace_id)
    try:
        chosen = runs_to_compare(workspace=workspace, run_ids=runs)
    except ComparisonError as error:
        raise simulation.ScenarioError([simulation.Problem("runs", str(error))]) from None
    options = options_for(runs=chosen, targets=workspace.targets)
    return {
        "targets": workspace.targets,
        "options": [
            {
                "run_id": o.run.pk,
                "label": o.label,
                "targets_met": o.targets_met,
                "premium_usd_per_month": o.premium_usd_per_month,
                "expected_outage_usd_per_month": o.expected_outage_usd_per_month,
                "total_usd_per_month": o.results.costs.total_usd_per_month,
                "verdicts": [v.to_json() for v in o.results.verdicts],
            }
            for o in options
        ],
        "rows": [{"label": row.label, "cells": row.cells} for row in comparison_rows(options)],
    }
