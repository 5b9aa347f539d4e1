"""Monthly cost of a design option: what the infrastructure costs and what its outages cost.

The cost model (all figures per month, in ``costs.currency``):

- **app_instances**: every region's app instances × ``app_instance_usd_per_month``;
  serving regions (primary, read replica) pay in full, a standby region pays by
  its warmth: hot in full, warm ``warm_standby_share`` (scaled down), cold
  ``cold_standby_share`` (~0: built when needed).
- **db_nodes**: primary node(s) (one per primary region for active-active-full,
  else one) + a local standby per primary when configured + every
  cross-region replica, × ``db_node_usd_per_month``.
- **storage**: every database node holds a copy: nodes × ``size_gb`` ×
  ``storage_usd_per_gb_month``.
- **backups**: daily backups keep one full copy per day of
  ``backup_retention_days``; point-in-time recovery keeps one base backup plus
  the write-ahead log of the retention window (write rate ×
  ``replicated_bytes_per_write``); × ``backup_usd_per_gb_month``.
- **cross_region**: the write stream (write rate × bytes per write) shipped to
  each replica in another region, and between the primaries of an
  active-active-full system, plus backups shipped to another region, ×
  ``cross_region_usd_per_gb``.
- **dns_health_checks**: multi-region patterns pay for DNS health checks.
- **engineering**: ``platform_fte`` (default by pattern: ``DEFAULT_PLATFORM_FTE``)
  × ``engineer_fte_usd_per_month``.
- **chaos_testing**: ``chaos_testing_hours_per_month`` × ``chaos_testing_usd_per_hour``.

The **baseline** is what the scenario would cost as a plain single-region
system. For a multi-region scenario: the primary region's app tier, one
database node (no local standby) and backups only (the scenario's backups,
daily when it has none), engineered as a single-region system
(``DEFAULT_PLATFORM_FTE["single-region"]``). For a single-region scenario
the baseline is the scenario itself with the same local standby and the same
backups (none stays none), engineered with at most that default effort and no
chaos testing: its premium is only the extra engineering and chaos testing it
pays for, so it is never negative. (A local standby is the default of every
pattern, and a single-region option is judged against its own region, not
against a version without backups it never had.) **Premium** =
infrastructure − baseline.

An active-active-full scenario's replicas that sit in a primary region stand
for the replication between its primaries: they add no database node (the
primary of that region already counts) and no extra cross-region stream. **Expected outage cost** =
annual downtime hours × ``outage_cost_usd_per_hour`` / 12 + annual lost
transactions × ``lost_transaction_usd`` / 12; **total** = infrastructure +
expected outage cost.
"""

from __future__ import annotations

from typing import Any

from simulation.model.scenario import Scenario
from simulation.units import BYTES_PER_GB, DAYS_PER_MONTH, SECONDS_PER_MONTH

DEFAULT_PLATFORM_FTE = {  # engineering effort the pattern needs to stay working
    "single-region": 0.1,
    "active-passive": 0.5,
    "active-active-read": 1.0,
    "active-active-full": 2.0,
}


def platform_fte(scenario: Scenario) -> float:
    """The scenario's engineering effort, or the pattern's default when not given."""
    given = scenario.costs.platform_fte
    return DEFAULT_PLATFORM_FTE[scenario.pattern] if given is None else given


def _instance_share(scenario: Scenario, role: str, warmth: str) -> float:
    costs = scenario.costs
    if role != "standby" or warmth == "hot":
        return 1.0
    return costs.warm_standby_share if warmth == "warm" else costs.cold_standby_share


def app_instances_usd(scenario: Scenario) -> float:
    price = scenario.costs.app_instance_usd_per_month
    return sum(r.app_instances * price * _instance_share(scenario, r.role, r.warmth) for r in scenario.regions)


def primary_nodes(scenario: Scenario) -> int:
    if scenario.pattern == "active-active-full":
        return sum(1 for r in scenario.regions if r.role == "primary")
    return 1


def replica_nodes(scenario: Scenario) -> int:
    """Replicas that are nodes of their own (not the other primaries of an active-active-full system)."""
    if scenario.pattern != "active-active-full":
        return len(scenario.database.replicas)
    primaries = {r.name for r in scenario.regions if r.role == "primary"}
    return sum(1 for rep in scenario.database.replicas if rep.region not in primaries)


def db_node_count(scenario: Scenario) -> int:
    """Primaries + their local standbys + replicas."""
    standby = 0 if scenario.database.local_standby == "none" else 1
    return primary_nodes(scenario) * (1 + standby) + replica_nodes(scenario)


def write_gb_per_month(scenario: Scenario) -> float:
    """Volume of the write stream in a month (what replication and WAL archiving carry)."""
    db = scenario.database
    return db.write_rate_tps * scenario.costs.replicated_bytes_per_write * SECONDS_PER_MONTH / BYTES_PER_GB


def _backup_kind(scenario: Scenario, baseline: bool) -> str:
    """The scenario's backups; a multi-region scenario's baseline has daily ones when the scenario has none."""
    kind = scenario.database.backups.kind
    return "daily" if baseline and kind == "none" and scenario.pattern != "single-region" else kind


def backups_gb(scenario: Scenario, kind: str) -> float:
    """Backup volume kept: daily fulls over the retention, or one base backup + WAL of the retention."""
    days = scenario.costs.backup_retention_days
    size = scenario.database.size_gb
    if kind == "none":
        return 0.0
    if kind == "daily":
        return size * days
    return size + write_gb_per_month(scenario) * days / DAYS_PER_MONTH


def backup_shipping_gb_per_month(scenario: Scenario, kind: str) -> float:
    """Backups copied to another region in a month (none when they stay in the region)."""
    if kind == "none" or scenario.database.backups.storage != "cross-region":
        return 0.0
    if kind == "daily":
        return scenario.database.size_gb * DAYS_PER_MONTH
    return scenario.database.size_gb * DAYS_PER_MONTH / 7 + write_gb_per_month(scenario)  # weekly base + WAL


def cross_region_streams(scenario: Scenario) -> int:
    """Copies of the write stream that cross a region boundary."""
    primaries = {r.name for r in scenario.regions if r.role == "primary"}
    replicas = sum(1 for rep in scenario.database.replicas if rep.region not in primaries)
    between_primaries = max(0, len(primaries) - 1) if scenario.pattern == "active-active-full" else 0
    return replicas + between_primaries


def infrastructure_breakdown(scenario: Scenario) -> dict[str, float]:
    """Monthly cost per line item of the scenario as designed."""
    costs = scenario.costs
    kind = _backup_kind(scenario, baseline=False)
    transfer_gb = cross_region_streams(scenario) * write_gb_per_month(scenario)
    transfer_gb += backup_shipping_gb_per_month(scenario, kind)
    items = {
        "app_instances": app_instances_usd(scenario),
        "db_nodes": db_node_count(scenario) * costs.db_node_usd_per_month,
        "storage": db_node_count(scenario) * scenario.database.size_gb * costs.storage_usd_per_gb_month,
        "backups": backups_gb(scenario, kind) * costs.backup_usd_per_gb_month,
        "cross_region": transfer_gb * costs.cross_region_usd_per_gb,
        "dns_health_checks": 0.0 if scenario.pattern == "single-region" else costs.dns_health_checks_usd_per_month,
        "engineering": platform_fte(scenario) * costs.engineer_fte_usd_per_month,
        "chaos_testing": costs.chaos_testing_hours_per_month * costs.chaos_testing_usd_per_hour,
    }
    return {name: float(value) for name, value in items.items()}


def baseline_breakdown(scenario: Scenario) -> dict[str, float]:
    """The baseline's monthly cost per line item (see the module docstring), in the order they add up."""
    costs = scenario.costs
    single_fte = DEFAULT_PLATFORM_FTE["single-region"]
    if scenario.pattern == "single-region":
        items = infrastructure_breakdown(scenario)
        items["engineering"] = min(platform_fte(scenario), single_fte) * costs.engineer_fte_usd_per_month
        items["chaos_testing"] = 0.0
        return {name: float(value) for name, value in items.items()}
    kind = _backup_kind(scenario, baseline=True)
    items = {
        "app_instances": scenario.primary_region.app_instances * costs.app_instance_usd_per_month,
        "db_nodes": costs.db_node_usd_per_month,
        "storage": scenario.database.size_gb * costs.storage_usd_per_gb_month,
        "backups": backups_gb(scenario, kind) * costs.backup_usd_per_gb_month,
        "cross_region": backup_shipping_gb_per_month(scenario, kind) * costs.cross_region_usd_per_gb,
        "engineering": single_fte * costs.engineer_fte_usd_per_month,
    }
    return {name: float(value) for name, value in items.items()}


def baseline_backups(scenario: Scenario) -> str:
    """The baseline's backups: the scenario's, daily for a multi-region scenario without any."""
    return _backup_kind(scenario, baseline=True)


def baseline_usd_per_month(scenario: Scenario) -> float:
    """The plain single-region system the premium is measured against (see the module docstring)."""
    return float(sum(baseline_breakdown(scenario).values()))


def outage_usd_per_month(
    scenario: Scenario, *, annual_downtime_s: float, annual_lost_tx: float, annual_conflicting_tx: float = 0.0
) -> tuple[float, float, float]:
    """Expected monthly cost of downtime, of lost transactions and of conflicting transactions."""
    business = scenario.business
    downtime = annual_downtime_s / 3600.0 * business.outage_cost_usd_per_hour / 12.0
    lost = annual_lost_tx * business.lost_transaction_usd / 12.0
    conflicting = annual_conflicting_tx * business.conflicting_transaction_usd / 12.0
    return downtime, lost, conflicting


def monthly_costs(
    scenario: Scenario, *, annual_downtime_s: float, annual_lost_tx: float, annual_conflicting_tx: float = 0.0
) -> dict[str, Any]:
    """The ``costs`` section of the results: breakdown, infrastructure, baseline, premium, outage, total."""
    breakdown = infrastructure_breakdown(scenario)
    infrastructure = sum(breakdown.values())
    baseline = baseline_usd_per_month(scenario)
    downtime, lost, conflicting = outage_usd_per_month(
        scenario,
        annual_downtime_s=annual_downtime_s,
        annual_lost_tx=annual_lost_tx,
        annual_conflicting_tx=annual_conflicting_tx,
    )
    outage = downtime + lost + conflicting
    return {
        "currency": scenario.costs.currency,
        "breakdown_usd_per_month": breakdown,
        "infrastructure_usd_per_month": infrastructure,
        "baseline_usd_per_month": baseline,
        "premium_usd_per_month": infrastructure - baseline,
        "expected_downtime_usd_per_month": downtime,
        "expected_lost_tx_usd_per_month": lost,
        "expected_conflicting_tx_usd_per_month": conflicting,
        "expected_outage_usd_per_month": outage,
        "total_usd_per_month": infrastructure + outage,
    }
