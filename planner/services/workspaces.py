"""Writes about workspaces and their members."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from planner.models import Membership, Workspace, default_targets


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


def workspace_adopt_targets(*, workspace: Workspace, scenario) -> Workspace:
    """Make the targets the scenario proposes the workspace's (every verdict follows, no re-run needed)."""
    if scenario.workspace_id != workspace.pk:
        raise ValidationError("The scenario is not in this workspace.")
    own = scenario.document.get("targets", {})
    workspace.targets = {**default_targets(), **workspace.targets, **{k: own[k] for k in default_targets() if k in own}}
    workspace.save(update_fields=["targets"])
    return workspace


def workspace_set_reference(*, workspace: Workspace, scenario) -> Workspace:
    """Make ``scenario`` the workspace's reference option: the baseline of every premium is recomputed from
    it (a single-region, backups-only version of it) on every screen, with no re-run."""
    if scenario.workspace_id != workspace.pk:
        raise ValidationError({"reference": "The scenario is not in this workspace."})
    workspace.reference_scenario = scenario
    workspace.save(update_fields=["reference_scenario"])
    return workspace


LAST_EDITOR = (
    "{name} is the workspace's last editor: make someone else an editor first, "
    "so that someone can still change the workspace."
)


def _keep_an_editor(*, workspace: Workspace, membership: Membership, field: str | None = None) -> None:
    """``ValidationError`` when ``membership`` holds the workspace's only editor role (rows locked until commit)."""
    editors = list(
        Membership.objects.select_for_update()
        .filter(workspace=workspace, role=Membership.Role.EDITOR)
        .values_list("pk", flat=True)
    )
    if editors == [membership.pk]:
        message = LAST_EDITOR.format(name=membership.user.get_username())
        raise ValidationError({field: message} if field else message)


def membership_set(*, workspace: Workspace, username: str, role: str) -> Membership | None:
    """Give an existing user ``role`` in the workspace (added or changed); None when there is no such user.

    The caller answers both cases alike, so that the page does not tell which user names exist.
    """
    if role not in Membership.Role.values:
        raise ValidationError({"role": "Choose editor or viewer."})
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        return None
    with transaction.atomic():
        membership = Membership.objects.filter(workspace=workspace, user=user).first()
        if membership is not None and role != Membership.Role.EDITOR:
            _keep_an_editor(workspace=workspace, membership=membership, field="role")
        membership, _ = Membership.objects.update_or_create(workspace=workspace, user=user, defaults={"role": role})
    return membership


def membership_remove(*, workspace: Workspace, membership_id: int) -> None:
    """Remove a member; the last editor cannot be removed (someone must be able to edit)."""
    membership = Membership.objects.filter(workspace=workspace, pk=membership_id).select_related("user").first()
    if membership is None:
        raise ValidationError("No such member.")
    with transaction.atomic():
        _keep_an_editor(workspace=workspace, membership=membership)
        membership.delete()
