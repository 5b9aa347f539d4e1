"""Cheapest fix: which of the brief's changes make a scenario meet its targets, and at what price.

The catalogue lists the changes the domain knows (connection-pool hygiene,
deep health checks, service discovery, automated failover, synchronous
replication, a cross-region replica, a warmer standby, point-in-time backups,
timeouts with circuit breakers and bulkheads, blue-green or canary deploys,
quarterly failover tests, …). Each change turns into overrides of the
scenario, or into nothing when it is already in place.

The search simulates every applicable change alone, then grows the most
promising sets (a beam: the ``beam`` sets closest to the targets) by one more
change at a time, up to ``max_combination`` changes, never a superset of a set
that already meets the targets and never beyond ``max_evaluations``
simulations. "Closest" is measured continuously (how far each missed RTO or
RPO p95 lies beyond its target, on a log scale, plus the missing probability),
so a change that only helps together with another still shows its way. Within
a round, cheaper sets are simulated first; the fixes found are listed by the
monthly infrastructure cost they add (computed exactly from the cost model).
All variants share the seed, so their differences are effects, not noise.

``incident_types`` / ``targets`` narrow the question ("which changes get
primary database failures under 5 minutes?"); by default every verdict counts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from simulation.analysis.costs import infrastructure_breakdown
from simulation.analysis.sensitivity import ends_hung_requests, metrics_of, simulate_many
from simulation.analysis.variants import QUICK, RunFigures, RunSettings
from simulation.model.incident_types import INCIDENT_TYPES
from simulation.model.loading import Problem, ScenarioError, dump_document, load_scenario
from simulation.model.overrides import Overrides, apply_overrides
from simulation.model.recommended import BRIEF_POOL, BRIEF_TIMEOUTS_S, FAST_CONNECTION_TIMEOUT_S
from simulation.model.scenario import Scenario

MAX_COMBINATION = 3
DEFAULT_LIMIT = 5
DEFAULT_MAX_EVALUATIONS = 60
DEFAULT_BEAM = 3
TARGET_KINDS = ("rto", "rpo", "availability", "budget")
PROBABILITY_WEIGHT = 10.0  # a probability gained toward the target outweighs a shorter tail
QUARTERLY_TEST_HOURS_PER_MONTH = 4.0  # a full failover every quarter, ≥ 1 h on the secondary, plus preparation
MEAN_DAYS_SINCE_QUARTERLY_TEST = 45.0


@dataclass(frozen=True)
class Change:
    """One improvement the brief knows: what it is, why it helps, and how to apply it."""

    key: str
    label: str
    why: str
    overrides: Callable[[Scenario], Overrides | None]  # None: already in place or not applicable
    group: str | None = None  # changes of one group exclude each other (e.g. deployment strategy)
    multi_region: bool = False  # adds or changes infrastructure in another region


def _validate_on_borrow(s: Scenario) -> Overrides | None:
    """Test on borrow, and fail fast: validation takes about one connection timeout (5 s in the brief's fix)."""
    pool = s.app.pool
    if pool.validate_on_borrow and pool.connection_timeout_s <= FAST_CONNECTION_TIMEOUT_S and not ends_hung_requests(s):
        return None
    return {
        "app.pool.validate_on_borrow": True,
        "app.pool.connection_timeout_s": min(pool.connection_timeout_s, FAST_CONNECTION_TIMEOUT_S),
        **ends_hung_requests(s),
    }


def _max_lifetime(s: Scenario) -> Overrides | None:
    lifetime = s.app.pool.max_lifetime_s
    limit = BRIEF_POOL["max_lifetime_s"]
    return None if lifetime is not None and lifetime <= limit else {"app.pool.max_lifetime_s": limit}


def _deep_health_checks(s: Scenario) -> Overrides | None:
    if s.app.health_check == "deep" and s.app.auto_restart:
        return None
    return {"app.health_check": "deep", "app.auto_restart": True}


def _service_discovery(s: Scenario) -> Overrides | None:
    return None if s.app.discovery == "service-discovery" else {"app.discovery": "service-discovery"}


def _automated_failover(s: Scenario) -> Overrides | None:
    return None if s.failover.mode == "automated" else {"failover.mode": "automated"}


def _sync_standby(s: Scenario) -> Overrides | None:
    return None if s.database.local_standby == "sync" else {"database.local_standby": "sync"}


def _sync_cross_region(s: Scenario) -> Overrides | None:
    if not any(r.mode == "async" for r in s.database.replicas):
        return None
    return {"database.replicas[*].mode": "sync"}


def _cross_region_replica(s: Scenario) -> Overrides | None:
    """A replica in a second region; a single-region system becomes active-passive with a warm standby."""
    if s.cross_region_replica is not None:
        return None
    primary = s.primary_region
    if s.pattern == "single-region":
        name = "region-b" if primary.name != "region-b" else "region-c"
        standby = {
            "name": name,
            "role": "standby",
            "app_instances": primary.app_instances,
            "zones": primary.zones,
            "warmth": "warm",
        }
        return {
            "pattern": "active-passive",
            "regions": [dump_document(s)["regions"][0], standby],
            "database.replicas": [{"region": name, "mode": "async"}],
        }
    other = next(r for r in s.regions if r.name != primary.name)
    return {"database.replicas": [{"region": other.name, "mode": "async"}]}


def _warmth(target: str, order: tuple[str, ...] = ("cold", "warm", "hot")) -> Callable[[Scenario], Overrides | None]:
    def change(s: Scenario) -> Overrides | None:
        standbys = [r for r in s.regions if r.role == "standby"]
        if not standbys or all(order.index(r.warmth) >= order.index(target) for r in standbys):
            return None
        return {"regions[role=standby].warmth": target}

    return change


def _pitr_backups(s: Scenario) -> Overrides | None:
    backups = s.database.backups
    if backups.kind == "pitr" and backups.interval_s <= 300:
        return None
    return {"database.backups.kind": "pitr", "database.backups.interval_s": 300}


def _timeouts_breakers_bulkheads(s: Scenario) -> Overrides | None:
    app = s.app
    timeouts = app.timeouts.model_dump()
    if all(timeouts[k] is not None for k in BRIEF_TIMEOUTS_S) and app.circuit_breaker.enabled and app.bulkheads.enabled:
        return None
    wanted = {k: timeouts[k] if timeouts[k] is not None else v for k, v in BRIEF_TIMEOUTS_S.items()}
    return {"app.timeouts": wanted, "app.circuit_breaker.enabled": True, "app.bulkheads.enabled": True}


def _strategy(strategy: str) -> Callable[[Scenario], Overrides | None]:
    def change(s: Scenario) -> Overrides | None:
        if s.deployment.strategy == strategy:
            return None
        extra = {"deployment.canary_analysis": "automated"} if strategy == "canary" else {}
        return {"deployment.strategy": strategy, "deployment.health_gated": True, **extra}

    return change


def _quarterly_failover_tests(s: Scenario) -> Overrides | None:
    f = s.failover
    if f.days_since_failover_test <= 90 and f.tested_under_load:
        return None
    hours = s.costs.chaos_testing_hours_per_month + QUARTERLY_TEST_HOURS_PER_MONTH
    return {
        "failover.days_since_failover_test": MEAN_DAYS_SINCE_QUARTERLY_TEST,
        "failover.tested_under_load": True,
        "costs.chaos_testing_hours_per_month": hours,
    }


def _agent_rate_limits(s: Scenario) -> Overrides | None:
    t = s.traffic
    if t.agent_share == 0 or t.per_client_rate_limits:
        return None
    return {"traffic.per_client_rate_limits": True}


def _spare_instance(s: Scenario) -> Overrides | None:
    return {"regions[role=primary].app_instances": s.primary_region.app_instances + 1}


CATALOGUE: tuple[Change, ...] = (
    Change(
        "validate_on_borrow",
        "Validate pool connections on borrow (5 s connection timeout, with a query timeout)",
        "A SELECT 1 (~1 ms) before each checkout finds connections to a dead primary, and with a 5 s "
        "connection timeout the pool reconnects to the new one within seconds; a query timeout returns "
        "connections held by hung requests so that validation can see them.",
        _validate_on_borrow,
    ),
    Change(
        "max_lifetime",
        "Recycle pool connections within 30 min",
        "A max lifetime of 1800 s rotates every connection to the current primary even when "
        "nothing else notices the failover.",
        _max_lifetime,
    ),
    Change(
        "deep_health_checks",
        "Deep health checks with auto-restart",
        "/health checks the database and cache within 200 ms and answers 503 otherwise, so the load "
        "balancer drains hanging instances and restarts them.",
        _deep_health_checks,
    ),
    Change(
        "service_discovery",
        "Endpoint through service discovery",
        "Instances learn the promoted primary's address without a redeploy or a restart.",
        _service_discovery,
    ),
    Change(
        "automated_failover",
        "Automated failover",
        "Detection and promotion run without waiting for a person to be paged and decide.",
        _automated_failover,
    ),
    Change(
        "quarterly_failover_tests",
        "Quarterly failover tests under load",
        "Automation that is exercised every quarter keeps working; an untested failover is a hope.",
        _quarterly_failover_tests,
    ),
    Change(
        "timeouts_breakers_bulkheads",
        "Timeouts, circuit breakers and bulkheads",
        "Every call gets a timeout (3–5× its normal p99), failing dependencies are cut off after "
        "5 errors in 30 s, and separate pools keep a slow path from starving checkout.",
        _timeouts_breakers_bulkheads,
    ),
    Change(
        "agent_rate_limits",
        "Per-client rate limits for agents",
        "Agent API keys get their own limits, so their immediate retries cannot swamp a recovering service.",
        _agent_rate_limits,
    ),
    Change(
        "spare_instance",
        "One more app instance (N+1)",
        "Losing any one instance leaves enough capacity for the traffic.",
        _spare_instance,
    ),
    Change(
        "blue_green",
        "Blue-green deployments",
        "Rolling back is a traffic switch that takes seconds.",
        _strategy("blue-green"),
        group="deployment",
    ),
    Change(
        "canary",
        "Canary deployments with automated analysis",
        "A bad version reaches only the canary share and is rolled back automatically.",
        _strategy("canary"),
        group="deployment",
    ),
    Change(
        "pitr_backups",
        "Point-in-time recovery (5 min WAL archive)",
        "A restore loses at most the last archive interval instead of up to a day of writes.",
        _pitr_backups,
    ),
    Change(
        "sync_standby",
        "Synchronous standby in the primary region",
        "A node failure loses no committed write, at +2–5 ms per write.",
        _sync_standby,
    ),
    Change(
        "cross_region_replica",
        "Replica in a second region",
        "A region outage can be failed over to a replica that is seconds behind.",
        _cross_region_replica,
        multi_region=True,
    ),
    Change(
        "warm_standby",
        "Warm standby region",
        "The standby region is built and only needs scaling up.",
        _warmth("warm"),
        group="standby",
        multi_region=True,
    ),
    Change(
        "hot_standby",
        "Hot standby region",
        "The standby region runs at full capacity, ready to serve.",
        _warmth("hot"),
        group="standby",
        multi_region=True,
    ),
    Change(
        "sync_cross_region",
        "Synchronous cross-region replication",
        "A region outage loses no committed write, at the price of cross-region latency on every write.",
        _sync_cross_region,
        multi_region=True,
    ),
)
CATALOGUE_BY_KEY = {c.key: c for c in CATALOGUE}


# -- search ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Focus:
    """Which verdicts the question is about: incident types (None: all) and target kinds."""

    incident_types: frozenset[str] | None = None
    targets: frozenset[str] = frozenset(TARGET_KINDS)

    def counts(self, verdict: dict) -> bool:
        if verdict["target"] not in self.targets:
            return False
        kind = verdict["incident_type"]
        return (
            self.incident_types is None or kind is None and verdict["target"] == "budget" or kind in self.incident_types
        )


def _summary(results: RunFigures) -> dict:
    """What the search keeps of a run: key figures and verdicts (as their JSON)."""
    return {
        "metrics": metrics_of(results),
        "verdicts": [v.to_json() for v in results.verdicts],
        "targets_met": results.targets_met,
    }


def distance(summary: dict, focus: Focus = Focus()) -> float:
    """How far from the targets: per missed verdict, ten times the missing probability plus, for RTO and
    RPO, log(1 + (p95 − target) / target) — still falling while a change helps but no probability moves."""
    total = 0.0
    for verdict in summary["verdicts"]:
        if verdict["met"] or not focus.counts(verdict):
            continue
        total += PROBABILITY_WEIGHT * max(0.0, verdict["confidence"] - verdict["probability"])
        if verdict["target"] in ("rto", "rpo") and verdict["incident_type"]:
            prefix = "rto_p95_s." if verdict["target"] == "rto" else "data_loss_p95_s."
            value = summary["metrics"].get(prefix + verdict["incident_type"], 0.0)
            threshold = max(verdict["threshold"], 1.0)
            total += math.log1p(max(0.0, value - threshold) / threshold)
    return total


def meets(summary: dict, focus: Focus = Focus()) -> bool:
    return all(v["met"] for v in summary["verdicts"] if focus.counts(v))


def applicable_changes(scenario: Scenario, keys: list[str] | None = None) -> list[tuple[Change, Overrides]]:
    """The catalogue's changes that would alter this scenario, with their overrides."""
    unknown = [k for k in keys or [] if k not in CATALOGUE_BY_KEY]
    if unknown:
        raise ScenarioError(
            [Problem(f"changes.{k}", "unknown change; known: " + ", ".join(CATALOGUE_BY_KEY)) for k in unknown]
        )
    chosen = [CATALOGUE_BY_KEY[k] for k in keys] if keys else list(CATALOGUE)
    out = []
    for change in chosen:
        overrides = change.overrides(scenario)
        if overrides:
            out.append((change, overrides))
    return out


Members = tuple[tuple[Change, Overrides], ...]


def _combined(scenario: Scenario, members: Members) -> Scenario:
    overrides: Overrides = {}
    for _, part in members:
        overrides.update(part)
    return apply_overrides(scenario, overrides)


def _conflict(members: Members) -> bool:
    groups = [c.group for c, _ in members if c.group]
    return len(groups) != len(set(groups))


def _key(members: Members) -> frozenset[str]:
    return frozenset(c.key for c, _ in members)


def _candidate(members: Members, summary: dict, base: dict, focus: Focus) -> dict:
    """One evaluated set of changes, as reported."""
    metrics = summary["metrics"]
    return {
        "changes": [
            {"key": c.key, "label": c.label, "why": c.why, "multi_region": c.multi_region, "overrides": o}
            for c, o in members
        ],
        "multi_region": any(c.multi_region for c, _ in members),
        "added_usd_per_month": metrics["infrastructure_usd_per_month"]
        - base["metrics"]["infrastructure_usd_per_month"],
        "total_change_usd_per_month": metrics["total_usd_per_month"] - base["metrics"]["total_usd_per_month"],
        "targets_met": meets(summary, focus),
        "all_targets_met": bool(summary["targets_met"]),
        "distance": distance(summary, focus),
        "metrics": metrics,
        "delta": {k: metrics[k] - base["metrics"][k] for k in metrics if k in base["metrics"]},
        "missed": [v["text"] for v in summary["verdicts"] if not v["met"] and focus.counts(v)],
    }


def _price(candidate: dict) -> tuple[float, int, float]:
    return (
        round(candidate["added_usd_per_month"], 2),
        len(candidate["changes"]),
        candidate["total_change_usd_per_month"],
    )


def cheapest_fixes(
    document: dict | Scenario,
    *,
    settings: RunSettings = QUICK,
    limit: int = DEFAULT_LIMIT,
    max_evaluations: int = DEFAULT_MAX_EVALUATIONS,
    max_combination: int = MAX_COMBINATION,
    beam: int = DEFAULT_BEAM,
    changes: list[str] | None = None,
    incident_types: list[str] | None = None,
    targets: list[str] | None = None,
    workers: int = 1,
) -> dict:
    """The cheapest sets of catalogue changes that make the scenario meet its (focused) targets.

    Returns ``{"settings", "focus", "base", "already_met", "fixes": [candidate, …] (by added monthly
    cost), "closest": [candidate, …] (nearest misses), "evaluated": n}``.
    """
    scenario = document if isinstance(document, Scenario) else load_scenario(document)
    focus = _focus(incident_types, targets)
    base = simulate_many([dump_document(scenario)], settings, 1, _summary)[0]
    report = {
        "settings": {"trials": settings.trials, "years": settings.years, "seed": settings.seed},
        "focus": {
            "incident_types": sorted(focus.incident_types) if focus.incident_types else None,
            "targets": sorted(focus.targets),
        },
        "base": _candidate((), base, base, focus),
        "already_met": meets(base, focus),
        "fixes": [],
        "closest": [],
        "evaluated": 1,
    }
    if report["already_met"]:
        return report
    options = applicable_changes(scenario, changes)
    base_cost = sum(infrastructure_breakdown(scenario).values())
    evaluated: dict[frozenset[str], dict] = {}
    level: list[Members] = [(option,) for option in options]
    budget = max_evaluations - 1
    for size in range(1, max_combination + 1):
        if size > 1:
            level = _grow(level, options, evaluated, beam)
        level = _affordable(scenario, level, base_cost, evaluated)
        take, budget = level[: max(0, budget)], budget - len(level[: max(0, budget)])
        _evaluate(scenario, take, settings, workers, base, focus, evaluated)
        level = take
        if budget <= 0:
            break
    fixes = sorted((e for e in evaluated.values() if e["targets_met"]), key=_price)
    misses = sorted((e for e in evaluated.values() if not e["targets_met"]), key=lambda e: (e["distance"], _price(e)))
    report.update(fixes=fixes[:limit], closest=misses[:3], evaluated=1 + len(evaluated))
    return report


def _focus(incident_types: list[str] | None, targets: list[str] | None) -> Focus:
    problems = [
        Problem(f"incident_types.{t}", "unknown incident type; known: " + ", ".join(INCIDENT_TYPES))
        for t in incident_types or []
        if t not in INCIDENT_TYPES
    ]
    problems += [
        Problem(f"targets.{t}", "unknown target; known: " + ", ".join(TARGET_KINDS))
        for t in targets or []
        if t not in TARGET_KINDS
    ]
    if problems:
        raise ScenarioError(problems)
    return Focus(
        frozenset(incident_types) if incident_types else None,
        frozenset(targets) if targets else frozenset(TARGET_KINDS),
    )


def _grow(level: list[Members], options: list[tuple[Change, Overrides]], evaluated: dict, beam: int) -> list[Members]:
    """The next round: the ``beam`` closest non-fixes of the last round, each with one more change."""
    fixes = [k for k, e in evaluated.items() if e["targets_met"]]
    misses = [m for m in level if _key(m) in evaluated and not evaluated[_key(m)]["targets_met"]]
    parents = sorted(misses, key=lambda m: (evaluated[_key(m)]["distance"], _price(evaluated[_key(m)])))[:beam]
    grown: dict[frozenset[str], Members] = {}
    for parent in parents:
        for option in options:
            members = parent + (option,)
            key = _key(members)
            if (
                len(key) == len(members)
                and key not in evaluated
                and not _conflict(members)
                and not any(fix <= key for fix in fixes)
            ):
                grown.setdefault(key, tuple(sorted(members, key=lambda m: m[0].key)))
    return list(grown.values())


def _affordable(scenario: Scenario, level: list[Members], base_cost: float, evaluated: dict) -> list[Members]:
    """The round's sets, cheapest first (exact infrastructure cost, no simulation needed); sets whose
    changes cannot be combined into a valid scenario are left out."""
    priced = []
    for members in level:
        if _key(members) in evaluated:
            continue
        try:
            combined = _combined(scenario, members)
        except ScenarioError:
            continue
        cost = sum(infrastructure_breakdown(combined).values()) - base_cost
        priced.append((round(cost, 2), len(members), [c.key for c, _ in members], members))
    return [members for *_, members in sorted(priced, key=lambda p: p[:3])]


def _evaluate(
    scenario: Scenario,
    sets: list[Members],
    settings: RunSettings,
    workers: int,
    base: dict,
    focus: Focus,
    evaluated: dict,
) -> None:
    """Simulate the sets of changes and record them in ``evaluated`` by their keys."""
    documents = [dump_document(_combined(scenario, members)) for members in sets]
    for members, summary in zip(sets, simulate_many(documents, settings, workers, _summary)):
        evaluated[_key(members)] = _candidate(members, summary, base, focus)
