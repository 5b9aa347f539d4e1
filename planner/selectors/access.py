"""Who may see and change what: members see a workspace, editors change it, others get 404."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from ..models import Membership, Run, Scenario, Workspace


def membership_for_user(user, workspace_id: int) -> Membership | None:
    """The user's membership of the workspace, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (Membership.objects.select_related("workspace")
            .filter(workspace_id=workspace_id, user=user).first())


def workspace_for_user(user, workspace_id: int, *, edit: bool = False) -> Workspace:
    """The workspace if ``user`` is a member (404 otherwise); with ``edit`` an editor (403 for viewers)."""
    membership = membership_for_user(user, workspace_id)
    if membership is None:
        raise Http404("No such workspace")
    if edit and not membership.can_edit:
        raise PermissionDenied("Viewers cannot change this workspace")
    workspace = membership.workspace
    workspace.user_can_edit = membership.can_edit
    return workspace


def scenario_for_user(user, workspace_id: int, scenario_id: int, *, edit: bool = False) -> Scenario:
    """A scenario of a workspace the user belongs to (same rules as ``workspace_for_user``)."""
    workspace = workspace_for_user(user, workspace_id, edit=edit)
    scenario = Scenario.objects.filter(workspace=workspace, pk=scenario_id).first()
    if scenario is None:
        raise Http404("No such scenario")
    scenario.workspace = workspace
    return scenario


def run_for_user(user, workspace_id: int, run_id: int, *, edit: bool = False) -> Run:
    """A run of a workspace the user belongs to (same rules as ``workspace_for_user``)."""
    workspace = workspace_for_user(user, workspace_id, edit=edit)
    run = Run.objects.filter(workspace=workspace, pk=run_id).first()
    if run is None:
        raise Http404("No such run")
    run.workspace = workspace
    return run
