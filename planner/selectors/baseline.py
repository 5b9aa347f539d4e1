"""The workspace baseline: the one figure every premium of a workspace is measured against.

By default a single-region, backups-only version of the workspace's reference option. An editor
chooses the reference option (``Workspace.reference_scenario``); until then it is the workspace's
first scenario. Premiums on every screen (results, compare, workshop, decision records and reports)
come from ``workspace_baseline``, so the premiums of different options compare.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from planner.models import Scenario, Workspace
from simulation.analysis.costs import (
    DEFAULT_PLATFORM_FTE,
    baseline_backups,
    baseline_breakdown,
    baseline_usd_per_month,
    platform_fte,
)
from simulation.analysis.verdicts import rebased
from simulation.model.loading import ScenarioError, load_scenario
from simulation.model.scenario import Scenario as ScenarioModel
from simulation.present.chartdata import COST_LABELS
from simulation.present.format import format_duration, format_monthly

R = TypeVar("R")


@dataclass(frozen=True)
class Baseline:
    """The one baseline every premium of a workspace is measured against, with what it assumes."""

    usd_per_month: float
    currency: str
    reference: str  # the option it is derived from
    assumptions: str
    reference_id: int | None = None
    chosen: bool = False  # an editor chose the reference option (else: the workspace's first scenario)
    items: list[dict[str, str]] = field(default_factory=list)  # line items: label, what it assumes, amount

    @property
    def text(self) -> str:
        """'1,234 USD/month', as every screen prints it."""
        return format_monthly(self.usd_per_month, self.currency)


def workspace_reference(*, workspace: Workspace) -> Scenario | None:
    """The workspace's reference option: the one an editor chose, else its first scenario (None: no scenario)."""
    if workspace.reference_scenario_id is not None:
        chosen = workspace.scenarios.filter(pk=workspace.reference_scenario_id).first()
        if chosen is not None:
            return chosen
    return workspace.scenarios.order_by("created_at", "id").first()


def _backups_text(scenario: ScenarioModel) -> str:
    kind = baseline_backups(scenario)
    if kind == "none":
        return "no backups"
    if kind == "daily":
        return f"daily backups kept {scenario.costs.backup_retention_days:g} days"
    return f"point-in-time backups every {format_duration(scenario.database.backups.interval_s)}"


def _items(scenario: ScenarioModel) -> list[dict[str, str]]:
    """The baseline's line items, each with what it assumes and its monthly amount."""
    currency = scenario.costs.currency
    single = scenario.pattern == "single-region"
    primary = scenario.primary_region
    fte = min(platform_fte(scenario), DEFAULT_PLATFORM_FTE["single-region"]) if single else None
    fte = DEFAULT_PLATFORM_FTE["single-region"] if fte is None else fte
    what = {
        "app_instances": f"{primary.app_instances} app instances in {primary.name}",
        "db_nodes": "its database nodes as designed" if single else "one database node, no local standby",
        "storage": f"{scenario.database.size_gb:g} GB per database node",
        "backups": _backups_text(scenario),
        "cross_region": "backups shipped to another region"
        if scenario.database.backups.storage == "cross-region"
        else "backups kept in the region",
        "dns_health_checks": "none (one region)",
        "engineering": f"{fte:g} FTE, a single-region team",
        "chaos_testing": "none",
    }
    return [
        {"label": COST_LABELS[key], "assumes": what[key], "amount": format_monthly(amount, currency)}
        for key, amount in baseline_breakdown(scenario).items()
        if amount or key in ("app_instances", "db_nodes", "backups", "engineering")
    ]


def workspace_baseline(*, workspace: Workspace) -> Baseline | None:
    """A single-region, backups-only version of the workspace's reference option (``workspace_reference``):
    one region's app instances, one database node with its storage and its backups (daily when it has
    none), one single-region team. None while the workspace has no scenario."""
    reference = workspace_reference(workspace=workspace)
    if reference is None:
        return None
    try:
        scenario = load_scenario(reference.document)
    except ScenarioError:  # a document this engine no longer accepts: no baseline until it is fixed
        return None
    items = _items(scenario)
    return Baseline(
        usd_per_month=baseline_usd_per_month(scenario),
        currency=scenario.costs.currency,
        reference=reference.name,
        reference_id=reference.pk,
        chosen=workspace.reference_scenario_id == reference.pk,
        items=items,
        assumptions=f"“{reference.name}” in a single region with backups only: "
        + "; ".join(f"{item['label'].lower()}: {item['assumes']}" for item in items),
    )


def workspace_rebased(results: R, *, workspace: Workspace, baseline: Baseline | None = None) -> R:
    """``results`` (a run's, or the workshop's quick figures) with their premium measured against the
    workspace's one baseline (``workspace_baseline``, or the one given)."""
    baseline = baseline or workspace_baseline(workspace=workspace)
    return rebased(results, baseline.usd_per_month) if baseline is not None else results
