"""The lever catalogue: every change the product can suggest or let you try, defined once.

Each lever (``Change``) has its key, its label, the reason it helps, the
scenario paths it sets and how (``overrides``), and its monthly cost
(``lever_cost_usd_per_month``). The cheapest-fix search (``advise``, over
``CATALOGUE``), the tornado's on/off parameters (``sensitivity``), the
checklist's fixes (``checklist``, one of ``CHECKLIST_FIXES`` per question) and
the workshop's toggles (``expand_toggles``) all take their changes from here,
so "validate on borrow" is the same change, with the same effect, wherever it
appears.

Connection-pool hygiene, deep health checks, service discovery, automated
failover, synchronous replication, a cross-region replica, a warmer standby,
point-in-time backups, timeouts with circuit breakers and bulkheads,
blue-green or canary deploys, quarterly failover tests, …: each change turns a
scenario into overrides, or into nothing when it is already in place. The
cheapest-fix search (``advise``) combines them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulation.analysis.costs import infrastructure_breakdown
from simulation.model.loading import dump_document
from simulation.model.overrides import Overrides, apply_overrides
from simulation.model.recommended import BRIEF_POOL, BRIEF_TIMEOUTS_S, FAST_CONNECTION_TIMEOUT_S, FAST_ROLLBACK_S
from simulation.model.scenario import Scenario

QUARTER_DAYS = 92
TESTED_RECENTLY_DAYS = 90
FRESH_TEST_DAYS = 45  # mean age of the last test under a quarterly cadence
SWITCH_STRATEGIES = ("blue-green", "canary")  # roll back by routing traffic to the old version
MAX_APP_INSTANCES = 500
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


# -- the checklist's fixes --------------------------------------------------------------------
# Each "no" of the eight-question checklist is priced with the lever that makes it a "yes": the least
# change that answers the question, kept out of the cheapest-fix search (whose levers above go further,
# e.g. deep health checks there come with auto-restart).
def _enough_instances(s: Scenario) -> Overrides | None:
    """Serving instances such that all but one carry the load (at least two); the first primary grows."""
    first = next(i for i, r in enumerate(s.regions) if r.role == "primary")
    instances = s.regions[first].app_instances
    need = max(2, math.ceil(s.traffic.request_rate_rps / s.app.capacity_rps_per_instance) + 1)
    wanted = min(MAX_APP_INSTANCES, instances + max(0, need - s.serving_instances))
    return None if wanted == instances else {f"regions[{first}].app_instances": wanted}


def _failover_without_app_change(s: Scenario) -> Overrides | None:
    """Something to promote, an endpoint the apps follow, pools that validate (``validation_overrides``)
    and the brief's idle timeout and max lifetime where they are longer."""
    db, app, pool = s.database, s.app, s.app.pool
    overrides: Overrides = {}
    if db.local_standby == "none" and not db.replicas:
        overrides["database.local_standby"] = "sync"
    if app.discovery == "static":
        overrides["app.discovery"] = "service-discovery"
    overrides.update(validation_overrides(s))
    for key in ("idle_timeout_s", "max_lifetime_s"):
        value = getattr(pool, key)
        overrides[f"app.pool.{key}"] = BRIEF_POOL[key] if value is None else min(value, BRIEF_POOL[key])
    return overrides


def _deep_health_check(s: Scenario) -> Overrides | None:
    return None if s.app.health_check == "deep" else {"app.health_check": "deep"}


def _timeout_on_every_call(s: Scenario) -> Overrides | None:
    timeouts = s.app.timeouts.model_dump()
    if all(v is not None for v in timeouts.values()):
        return None
    return {"app.timeouts": {k: (BRIEF_TIMEOUTS_S[k] if v is None else v) for k, v in timeouts.items()}}


def _zero_downtime_deploys(s: Scenario) -> Overrides | None:
    d = s.deployment
    strategy = {"deployment.strategy": "blue-green"} if d.strategy == "in-place" else {}
    return {**strategy, "deployment.health_gated": True}


def _fast_rollback(s: Scenario) -> Overrides | None:
    """A rollback that is a switch back to the previous version, kept warm."""
    key = "traffic_switch_s" if s.deployment.strategy in SWITCH_STRATEGIES else "rollback_s"
    return {f"deployment.{key}": dict(FAST_ROLLBACK_S)}


def _agreed_targets_tested_quarterly(s: Scenario) -> Overrides | None:
    overrides: Overrides = {"targets.agreed_with_business": True}
    if s.failover.days_since_failover_test > QUARTER_DAYS:
        overrides["failover.days_since_failover_test"] = FRESH_TEST_DAYS
    return overrides


def _failover_tested_under_load(s: Scenario) -> Overrides | None:
    overrides: Overrides = {"failover.tested_under_load": True}
    if s.failover.days_since_failover_test > TESTED_RECENTLY_DAYS:
        overrides["failover.days_since_failover_test"] = FRESH_TEST_DAYS
    return overrides


CHECKLIST_FIXES: tuple[Change, ...] = (
    Change(
        "enough_instances",
        "Enough app instances that any one can die unnoticed",
        "With all but one instance carrying the load, a crash or a drained instance costs nothing.",
        _enough_instances,
    ),
    Change(
        "failover_without_app_change",
        "Fail over with no application change",
        "A standby to promote, an endpoint the apps follow and pools that drop dead connections (validation "
        "on borrow, 5 min idle timeout, 30 min max lifetime) let the apps find the new primary on their own.",
        _failover_without_app_change,
    ),
    Change(
        "deep_health_check",
        "Health checks that prove the app can serve",
        "/health checks the database and cache within 200 ms and answers 503 otherwise, so the load balancer "
        "drains instances that cannot serve.",
        _deep_health_check,
    ),
    Change(
        "timeout_on_every_call",
        "A timeout on every external call",
        "Calls without a timeout get the brief's (3–5× their normal p99), so a slow dependency cannot hold "
        "every thread.",
        _timeout_on_every_call,
    ),
    Change(
        "zero_downtime_deploys",
        "Deploys without downtime (blue-green, or rolling with health gates)",
        "A deploy never takes the whole service down, and a bad version stops at the health gate.",
        _zero_downtime_deploys,
    ),
    Change(
        "fast_rollback",
        "Roll back in under 60 s",
        "Rolling back is a 5–30 s switch to the previous version, kept warm.",
        _fast_rollback,
    ),
    Change(
        "agreed_targets_tested_quarterly",
        "RTO and RPO agreed with the business, failover tested quarterly",
        "Agreed targets are the ones the design is held to, and a quarterly test keeps the failover working.",
        _agreed_targets_tested_quarterly,
    ),
    Change(
        "failover_tested_under_load",
        "Failover tested under load in the last 90 days",
        "A failover exercised under real load recently is one that works when it is needed.",
        _failover_tested_under_load,
    ),
)
CHECKLIST_FIX_KEYS = {number: change.key for number, change in enumerate(CHECKLIST_FIXES, start=1)}
LEVERS_BY_KEY = {c.key: c for c in CATALOGUE + CHECKLIST_FIXES}  # every lever the product knows


# Workshop toggles that stand for a whole lever: switching one on applies the lever's every path
# (paths the user set explicitly win).
TOGGLE_LEVERS = {"app.pool.validate_on_borrow": "validate_on_borrow"}
FORCED = {"validate_on_borrow": validation_overrides}  # a lever's overrides, even when already in place


def lever_overrides(key: str, scenario: Scenario) -> Overrides:
    """The paths lever ``key`` sets on ``scenario`` ({} when it is already in place)."""
    return LEVERS_BY_KEY[key].overrides(scenario) or {}


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
