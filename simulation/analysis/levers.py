"""The lever catalogue: every change the product can suggest or let you try, defined once.

Each lever (``Change``) has its key, its label, the reason it helps, the
scenario paths it sets and how (``overrides``), and its monthly cost
(``lever_cost_usd_per_month``). The cheapest-fix search (``advise``), the
tornado's on/off parameters (``sensitivity``), the checklist's fixes
(``checklist``) and the workshop's toggles (``expand_toggles``) all take their
changes from here, so "validate on borrow" is the same change, with the same
effect, wherever it appears.

Connection-pool hygiene, deep health checks, service discovery, automated
failover, synchronous replication, a cross-region replica, a warmer standby,
point-in-time backups, timeouts with circuit breakers and bulkheads,
blue-green or canary deploys, quarterly failover tests, …: each change turns a
scenario into overrides, or into nothing when it is already in place. The
cheapest-fix search (``advise``) combines them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulation.analysis.costs import infrastructure_breakdown
from simulation.model.loading import dump_document
from simulation.model.overrides import Overrides, apply_overrides
from simulation.model.recommended import BRIEF_POOL, BRIEF_TIMEOUTS_S, FAST_CONNECTION_TIMEOUT_S
from simulation.model.scenario import Scenario

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


def ends_hung_requests(scenario: Scenario) -> Overrides:
    """Pools retire only idle connections: validation needs a query timeout (the brief's 10 s) to return a
    connection held by a request hung on a silent host, when neither it nor a socket timeout is set."""
    if scenario.app.timeouts.oltp_query_s is None and scenario.app.socket_timeout_s is None:
        return {"app.timeouts.oltp_query_s": BRIEF_TIMEOUTS_S["oltp_query_s"]}
    return {}


def validation_overrides(scenario: Scenario, on: bool = True) -> Overrides:
    """Validation on borrow as one change. On: test on borrow with the brief's fail-fast connection timeout
    (validation takes about one connection timeout, so a library-default 30 min would hide its effect) and
    a query timeout when nothing ends hung requests; off: no test on borrow."""
    if not on:
        return {"app.pool.validate_on_borrow": False}
    timeout = min(scenario.app.pool.connection_timeout_s, FAST_CONNECTION_TIMEOUT_S)
    overrides: Overrides = {"app.pool.validate_on_borrow": True, "app.pool.connection_timeout_s": timeout}
    return {**overrides, **ends_hung_requests(scenario)}


def _validate_on_borrow(s: Scenario) -> Overrides | None:
    """Test on borrow, and fail fast (``validation_overrides``); nothing when already so."""
    pool = s.app.pool
    if pool.validate_on_borrow and pool.connection_timeout_s <= FAST_CONNECTION_TIMEOUT_S and not ends_hung_requests(s):
        return None
    return validation_overrides(s)


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


# Workshop toggles that stand for a whole lever: switching one on applies the lever's every path
# (paths the user set explicitly win).
TOGGLE_LEVERS = {"app.pool.validate_on_borrow": "validate_on_borrow"}
FORCED = {"validate_on_borrow": validation_overrides}  # a lever's overrides, even when already in place


def lever_overrides(key: str, scenario: Scenario) -> Overrides:
    """The paths lever ``key`` sets on ``scenario`` ({} when it is already in place)."""
    return CATALOGUE_BY_KEY[key].overrides(scenario) or {}


def expand_toggles(document: dict[str, Any], overrides: Overrides) -> Overrides:
    """``overrides`` with each lever toggle switched on expanded to its lever's full change."""
    expanded: Overrides = {}
    for path, key in TOGGLE_LEVERS.items():
        if overrides.get(path) is True:
            base = apply_overrides(document, {p: v for p, v in overrides.items() if p != path})
            expanded.update(FORCED[key](base))
    return {**expanded, **overrides}


def lever_cost_usd_per_month(key: str, scenario: Scenario) -> float:
    """What lever ``key`` adds to the scenario's monthly infrastructure cost (0 when already in place)."""
    changes = lever_overrides(key, scenario)
    if not changes:
        return 0.0
    after = apply_overrides(dump_document(scenario), changes)
    return float(sum(infrastructure_breakdown(after).values()) - sum(infrastructure_breakdown(scenario).values()))
