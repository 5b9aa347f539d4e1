"""Who may see and change what: members see a workspace, editors change it, others get 404."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from planner.models import Membership, Run, Scenario, Workspace


def membership_for_user(user, workspace_id: int) -> Membership | None:
    """The user's membership of the workspace, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.select_related("workspace").filter(workspace_id=workspace_id, user=user).first()


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


def object_for_user(model, user, workspace_id: int, object_id: int, *, edit: bool = False, defer: tuple[str, ...] = ()):
    """An object of ``model`` (with a ``workspace`` field) in a workspace the user belongs to.

    Same rules as ``workspace_for_user``; 404 when the object is not in that workspace. Fields in ``defer``
    are read only when used.
    """
    workspace = workspace_for_user(user, workspace_id, edit=edit)
    found = model.objects.filter(workspace=workspace, pk=object_id).defer(*defer).first()
    if found is None:
        raise Http404(f"No such {model._meta.verbose_name}")
    found.workspace = workspace
    return found


def scenario_for_user(user, workspace_id: int, scenario_id: int, *, edit: bool = False) -> Scenario:
    """A scenario of a workspace the user belongs to (same rules as ``workspace_for_user``)."""
    return object_for_user(Scenario, user, workspace_id, scenario_id, edit=edit)


def run_for_user(user, workspace_id: int, run_id: int, *, edit: bool = False, defer: tuple[str, ...] = ()) -> Run:
    """A run of a workspace the user belongs to (same rules as ``workspace_for_user``)."""
    return object_for_user(Run, user, workspace_id, run_id, edit=edit, defer=defer)
