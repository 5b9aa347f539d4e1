"""The workshop's controls: which settings a slider or toggle changes, in the scenario's own paths.

Every control turns its value into overrides (``simulation.model.overrides``); the
page receives the controls with each option's overrides precomputed, so the
browser only has to merge them. The evaluate endpoint accepts overrides of
these paths only (``ALLOWED_PATHS``): a stakeholder with a share link can ask
"what if" about the workshop's settings, not rewrite incident rates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulation.analysis.sensitivity import fewest_primary_instances
from simulation.model.scenario import Scenario

HOUR_S = 3600


@dataclass(frozen=True)
class Option:
    """One position of a control: what it shows and what it sets."""

    value: Any
    label: str
    overrides: dict[str, Any]


@dataclass(frozen=True)
class Control:
    """A slider (ordered options), a toggle (off/on) or a choice (radio buttons)."""

    key: str
    label: str
    kind: str  # "slider" | "toggle" | "choice"
    options: list[Option]
    current: int  # index of the option matching the base scenario
    help: str = ""
    unit: str = ""
    note: str = ""  # shown when the base scenario has nothing to change here

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "kind": self.kind,
            "unit": self.unit,
            "help": self.help,
            "note": self.note,
            "current": self.current,
            "options": [{"value": o.value, "label": o.label, "overrides": o.overrides} for o in self.options],
        }


def _seconds(value: float | None) -> str:
    if value is None:
        return "none"
    if value >= HOUR_S and value % HOUR_S == 0:
        return f"{value / HOUR_S:g} h"
    if value >= 60 and value % 60 == 0:
        return f"{value / 60:g} min"
    return f"{value:g} s"


def _nearest(values: list[Any], current: Any) -> int:
    """Index of the option equal to ``current``, else of the closest number (0 when nothing fits)."""
    if current in values:
        return values.index(current)
    numbers = [
        (abs(v - current), i) for i, v in enumerate(values) if isinstance(v, (int, float)) and current is not None
    ]
    return min(numbers)[1] if numbers else 0


def _choice(key: str, label: str, path: str, options: list[tuple[Any, str]], current: Any, **extra) -> Control:
    values = [v for v, _ in options]
    return Control(
        key, label, "choice", [Option(v, text, {path: v}) for v, text in options], _nearest(values, current), **extra
    )


def _with_current(values: list[Any], current: Any) -> list[Any]:
    """The slider's stops plus the base scenario's own value, keeping their direction (a leading None stays)."""
    if current is None or current in values:
        return values
    numbers = [v for v in values if v is not None]
    ascending = numbers == sorted(numbers)
    return [None] * (len(values) - len(numbers)) + sorted(numbers + [current], reverse=not ascending)


def _slider(
    key: str, label: str, path: str, values: list[Any], current: Any, unit: str = "s", describe=_seconds, **extra
) -> Control:
    values = _with_current(values, current)
    return Control(
        key,
        label,
        "slider",
        [Option(v, describe(v), {path: v}) for v in values],
        _nearest(values, current),
        unit=unit,
        **extra,
    )


def _toggle(key: str, label: str, path: str, current: bool, **extra) -> Control:
    return Control(
        key,
        label,
        "toggle",
        [Option(False, "off", {path: False}), Option(True, "on", {path: True})],
        int(bool(current)),
        **extra,
    )


DETECTION_INTERVALS_S = [5, 10, 15, 30, 60, 120]
MAX_LIFETIMES_S: list[float | None] = [None, 3600, 1800, 900, 300]
QUERY_TIMEOUTS_S: list[float | None] = [None, 60, 30, 10, 5]
BACKUP_INTERVALS_S = [300, 900, 3600, 6 * 3600, 86_400]
MAX_EXTRA_INSTANCES = 12


def _instance_counts(scenario: Scenario) -> list[int]:
    """From the fewest instances that carry the traffic to a dozen more than that (and the current count)."""
    fewest = fewest_primary_instances(scenario)
    return list(range(fewest, max(fewest + MAX_EXTRA_INSTANCES, scenario.primary_region.app_instances) + 1))


def _backups(scenario: Scenario) -> Control:
    """Stops from 5 min (point-in-time recovery) to a day (daily backups), plus the scenario's own."""
    backups = scenario.database.backups
    values = _with_current(BACKUP_INTERVALS_S, backups.interval_s)

    def kind(value: float) -> str:
        if value == backups.interval_s and backups.kind != "none":
            return backups.kind
        return "daily" if value >= 86_400 else "pitr"

    options = [
        Option(
            v,
            f"{_seconds(v)} ({'daily backups' if kind(v) == 'daily' else 'point-in-time'})",
            {"database.backups.kind": kind(v), "database.backups.interval_s": v},
        )
        for v in values
    ]
    return Control(
        "backup_interval",
        "Backup / archive interval",
        "slider",
        options,
        _nearest(values, backups.interval_s),
        unit="s",
        help="How far back a restore may have to go: the data loss of a corruption.",
    )


def controls_for(scenario: Scenario) -> list[Control]:
    """The workshop's controls, each set to the base scenario's value."""
    app, failover, database = scenario.app, scenario.failover, scenario.database
    standbys = [r for r in scenario.regions if r.role == "standby"]
    controls = [
        _choice(
            "failover_mode",
            "Failover",
            "failover.mode",
            [("manual", "Manual"), ("automated", "Automated")],
            failover.mode,
            help="Who promotes the standby: a script, or an engineer who is paged first.",
        ),
        _slider(
            "detection_interval",
            "Detection check interval",
            "failover.detection.interval_s",
            DETECTION_INTERVALS_S,
            failover.detection.interval_s,
            help="How often the failure detector checks the primary.",
        ),
        _toggle(
            "validate_on_borrow",
            "Pool: validate on borrow",
            "app.pool.validate_on_borrow",
            app.pool.validate_on_borrow,
            help="A SELECT 1 before each checkout finds dead idle connections; those held by requests hung on a "
            "silent host stay until a query or socket timeout ends the request.",
        ),
        _slider(
            "query_timeout",
            "Query timeout (OLTP)",
            "app.timeouts.oltp_query_s",
            QUERY_TIMEOUTS_S,
            app.timeouts.oltp_query_s,
            help="Ends a request hung on a silent database; its connection then goes back to the pool, "
            "where validation or the max lifetime can replace it (none: only TCP ends it).",
        ),
        _slider(
            "max_lifetime",
            "Pool: max connection lifetime",
            "app.pool.max_lifetime_s",
            MAX_LIFETIMES_S,
            app.pool.max_lifetime_s,
            help="Every connection is replaced after this long (none: never).",
        ),
        _choice(
            "health_check",
            "Health check",
            "app.health_check",
            [("liveness", "Liveness only"), ("deep", "Deep (DB + cache, < 200 ms)")],
            app.health_check,
            help="Deep checks let the load balancer drain instances that hang.",
        ),
    ]
    if database.replicas:
        modes = {r.mode for r in database.replicas}
        controls.append(
            _choice(
                "replication",
                "Cross-region replication",
                "database.replicas[*].mode",
                [("async", "Asynchronous"), ("sync", "Synchronous")],
                "async" if "async" in modes else "sync",
                help="Synchronous: no committed write is lost, every write waits for the other region.",
            )
        )
    controls.append(
        _choice(
            "local_standby",
            "Standby in the primary region",
            "database.local_standby",
            [("none", "None"), ("async", "Asynchronous"), ("sync", "Synchronous")],
            database.local_standby,
        )
    )
    if standbys:
        controls.append(
            _choice(
                "standby_warmth",
                "Standby region",
                "regions[role=standby].warmth",
                [("cold", "Cold (build when needed)"), ("warm", "Warm (scale up)"), ("hot", "Hot (ready)")],
                standbys[0].warmth,
            )
        )
    controls += [
        _backups(scenario),
        _choice(
            "deployment_strategy",
            "Deployment strategy",
            "deployment.strategy",
            [("in-place", "In place"), ("rolling", "Rolling"), ("blue-green", "Blue-green"), ("canary", "Canary")],
            scenario.deployment.strategy,
        ),
        _slider(
            "instances",
            "App instances (primary region)",
            "regions[role=primary].app_instances",
            _instance_counts(scenario),
            scenario.primary_region.app_instances,
            unit="instances",
            describe=lambda v: f"{v}",
            help="From the fewest that carry the traffic in normal operation.",
        ),
    ]
    return controls


ALLOWED_PATHS = frozenset(
    {
        "failover.mode",
        "failover.detection.interval_s",
        "app.pool.validate_on_borrow",
        "app.timeouts.oltp_query_s",
        "app.pool.max_lifetime_s",
        "app.health_check",
        "database.replicas[*].mode",
        "database.local_standby",
        "regions[role=standby].warmth",
        "database.backups.kind",
        "database.backups.interval_s",
        "deployment.strategy",
        "regions[role=primary].app_instances",
    }
)

CONTROL_KEYS = frozenset(
    {
        "failover_mode",
        "detection_interval",
        "validate_on_borrow",
        "query_timeout",
        "max_lifetime",
        "health_check",
        "replication",
        "local_standby",
        "standby_warmth",
        "backup_interval",
        "deployment_strategy",
        "instances",
    }
)
"""Every control's key: a session stores control positions under these."""
