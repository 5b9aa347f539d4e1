"""Reads about workspaces and their members."""

from __future__ import annotations

from django.db.models import QuerySet

from planner.models import Membership, Workspace


def workspace_list_for_user(*, user) -> QuerySet[Workspace]:
    """Only the workspaces the user is a member of."""
    return Workspace.objects.filter(memberships__user=user).order_by("name", "id")


def membership_list(*, workspace: Workspace) -> QuerySet[Membership]:
    return workspace.memberships.select_related("user").order_by("user__username")
