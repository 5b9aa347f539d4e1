"""Reads about workspaces and their members."""

from __future__ import annotations

from django.db.models import QuerySet

from planner.models import Membership, Scenario, Workspace, default_targets
from simulation.present.units_text import format_duration_input, format_money_input, format_percent_input

TARGET_TEXT = {  # as typed in the targets form, so a proposal reads like what an editor would enter
    "rto_s": ("Recovery time (RTO)", format_duration_input),
    "rpo_s": ("Data loss (RPO)", format_duration_input),
    "availability": ("Availability", format_percent_input),
    "monthly_budget_usd": ("Monthly budget", lambda v: "none" if v is None else format_money_input(v)),
    "confidence": ("Confidence", format_percent_input),
}


def workspace_list_for_user(*, user) -> QuerySet[Workspace]:
    """Only the workspaces the user is a member of."""
    return Workspace.objects.filter(memberships__user=user).order_by("name", "id")


def membership_list(*, workspace: Workspace) -> QuerySet[Membership]:
    return workspace.memberships.select_related("user").order_by("user__username")


def proposed_targets(*, workspace: Workspace, scenarios: list[Scenario]) -> list[dict]:
    """Scenarios whose document proposes targets other than the workspace's (ignoring the schema's
    defaults, which every document carries): per scenario the differing targets, proposed and in force.
    Only the workspace's targets judge; these are offered for an editor to adopt."""
    defaults, in_force = default_targets(), {**default_targets(), **workspace.targets}
    out = []
    for scenario in scenarios:
        own = scenario.document.get("targets", {})
        differences = [
            {"label": label, "proposed": text(own[key]), "in_force": text(in_force.get(key))}
            for key, (label, text) in TARGET_TEXT.items()
            if key in own and own[key] != in_force.get(key) and own[key] != defaults.get(key)
        ]
        if differences:
            out.append({"scenario": scenario, "differences": differences})
    return out
