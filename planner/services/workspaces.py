"""Writes about workspaces and their members."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import Membership, Workspace, default_targets


def workspace_create(*, name: str, user, targets: dict | None = None) -> Workspace:
    """Create a workspace; its creator becomes an editor."""
    with transaction.atomic():
        workspace = Workspace.objects.create(name=name, targets={**default_targets(), **(targets or {})})
        Membership.objects.create(workspace=workspace, user=user, role=Membership.Role.EDITOR)
    return workspace


def workspace_update(*, workspace: Workspace, name: str, targets: dict) -> Workspace:
    workspace.name = name
    workspace.targets = {**default_targets(), **targets}
    workspace.save(update_fields=["name", "targets"])
    return workspace


def membership_set(*, workspace: Workspace, username: str, role: str) -> Membership:
    """Add an existing user to the workspace with ``role``, or change the role of a member."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ValidationError({"username": f"No user called {username!r}."})
    if role not in Membership.Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    membership, _ = Membership.objects.update_or_create(workspace=workspace, user=user, defaults={"role": role})
    return membership


def membership_remove(*, workspace: Workspace, membership_id: int) -> None:
    """Remove a member; the last editor cannot be removed (someone must be able to edit)."""
    membership = Membership.objects.filter(workspace=workspace, pk=membership_id).first()
    if membership is None:
        raise ValidationError("No such member.")
    editors = workspace.memberships.filter(role=Membership.Role.EDITOR)
    if membership.can_edit and editors.count() == 1:
        raise ValidationError("The last editor cannot be removed.")
    membership.delete()
