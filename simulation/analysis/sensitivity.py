"""Sensitivity: one factor at a time, for a tornado chart.

Each influential parameter is set to a low and a high value of a meaningful
range (defaults below, overridable per parameter) while everything else stays
as in the base scenario. Every variant runs with the same seed, hence the same
random streams (common random numbers): a difference between a variant and
the base is the parameter's effect, not sampling noise, and the same variant
run twice gives identical numbers.

Effects are reported on the key figures (``metrics_of``): RTO p95 and data
loss p95 per incident type, expected annual downtime, lost transactions, and
infrastructure and total monthly cost. Parameters are ranked by their swing
(|high − low|) on one metric.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from simulation.analysis.levers import validation_overrides
from simulation.analysis.screening import map_documents, screen, screens, settled_difference
from simulation.analysis.variants import QUICK, RunFigures, RunSettings, run_figures
from simulation.engine.results import RunResults
from simulation.model.loading import Problem, ScenarioError, dump_document, load_scenario
from simulation.model.overrides import Overrides, apply_overrides, full_document
from simulation.model.recommended import BRIEF_TIMEOUTS_S
from simulation.model.scenario import Scenario

# The workshop's quick settings: a tornado of ~30 variants on the lean path (no
# intervals, no replays) takes about 5 s on one core (benchmarks/workshop.py).
TORNADO = QUICK
DEFAULT_RANK_BY = "annual_downtime_s"
SWING_PRECISION = 0.05  # a side is screened until its change is known within ± this share of the base figure

Value = Any
ValueOf = Callable[[Scenario], Value]


@dataclass(frozen=True)
class Parameter:
    """One factor of the tornado: how to set it, its default range, and when it applies."""

    key: str
    label: str
    unit: str  # of the value ("s", "GB/s", "instances", "" for choices)
    low: Value | ValueOf
    high: Value | ValueOf
    to_overrides: Callable[[Value, Scenario], Overrides]
    applies: Callable[[Scenario], bool] = lambda scenario: True
    describe: Callable[[Value], str] = field(default=lambda value: str(value))

    def values(self, scenario: Scenario, given: tuple[Value, Value] | None = None) -> tuple[Value, Value]:
        """The low and high values for this scenario: the given pair, else the defaults."""
        low, high = given if given is not None else (self.low, self.high)
        return (low(scenario) if callable(low) else low, high(scenario) if callable(high) else high)


def _path(path: str) -> Callable[[Value, Scenario], Overrides]:
    return lambda value, scenario: {path: value}


def _seconds(value: Value) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return repr(value)
    if value >= 3600 and value % 3600 == 0:
        return f"{value / 3600:g} h"
    if value >= 120:
        return f"{value / 60:g} min"
    return f"{value:g} s"


def _with_unit(unit: str) -> Callable[[Value], str]:
    def describe(value: Value) -> str:
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        return f"{value:g} {unit}" if number else repr(value)

    return describe


def _on_off(value: Value) -> str:
    return "on" if value else "off"


def _multi_region(scenario: Scenario) -> bool:
    return scenario.pattern != "single-region"


def _has_standby(scenario: Scenario) -> bool:
    return any(r.role == "standby" for r in scenario.regions)


def _has_replicas(scenario: Scenario) -> bool:
    return bool(scenario.database.replicas)


def _promotion(value: Value, scenario: Scenario) -> Overrides:
    """A typical promotion time v as uniform over [v/2, 3v/2]."""
    v = float(value)
    return {"failover.promotion_s": {"kind": "uniform", "low": v / 2, "high": 1.5 * v}}


def _replica_lag(value: Value, scenario: Scenario) -> Overrides:
    """A median lag v with a p95 five times higher (lag comes in bursts)."""
    v = float(value)
    return {"database.replicas[*].lag_s": {"kind": "lognormal", "median": v, "p95": 5 * v}}


def _backup_interval(value: Value, scenario: Scenario) -> Overrides:
    """Under a day means point-in-time recovery (WAL archiving); a day or more, daily backups."""
    v = float(value)
    return {"database.backups.kind": "pitr" if v < 86_400 else "daily", "database.backups.interval_s": v}


def _validation(value: Value, scenario: Scenario) -> Overrides:
    """On or off: the catalogue's validation lever (``levers.validation_overrides``)."""
    return validation_overrides(scenario, bool(value))


def _timeouts(value: Value, scenario: Scenario) -> Overrides:
    """'set': the brief's starting timeouts; 'none': every call waits for the operating system."""
    return {"app.timeouts": dict(BRIEF_TIMEOUTS_S) if value == "set" else {k: None for k in BRIEF_TIMEOUTS_S}}


def _primary_instances(scenario: Scenario) -> int:
    return scenario.primary_region.app_instances


def fewest_primary_instances(scenario: Scenario) -> int:
    """The fewest app instances per primary region (``regions[role=primary]``) that still carry the
    traffic at the recovery threshold in normal operation (fewer would be no valid scenario)."""
    needed_rps = scenario.traffic.request_rate_rps * scenario.simulation.recovery_threshold
    needed = math.ceil(needed_rps / scenario.app.capacity_rps_per_instance - 1e-9)
    primaries = [r.app_instances for r in scenario.regions if r.role == "primary"]
    others = scenario.serving_instances - sum(primaries)
    return max(1, math.ceil((needed - others) / len(primaries)))


PARAMETERS: tuple[Parameter, ...] = (
    Parameter("failover_mode", "Failover", "", "manual", "automated", _path("failover.mode")),
    Parameter(
        "detection_interval_s",
        "Detection check interval",
        "s",
        5,
        60,
        _path("failover.detection.interval_s"),
        describe=_seconds,
    ),
    Parameter("promotion_s", "Promotion time (typical)", "s", 10, 300, _promotion, describe=_seconds),
    Parameter(
        "days_since_failover_test",
        "Days since last failover test",
        "days",
        0,
        365,
        _path("failover.days_since_failover_test"),
        applies=lambda s: s.failover.mode == "automated",
        describe=_with_unit("days"),
    ),
    Parameter(
        "validate_on_borrow",
        "Pool: validate on borrow (5 s connection timeout)",
        "",
        False,
        True,
        _validation,
        describe=_on_off,
    ),
    Parameter(
        "connection_timeout_s",
        "Pool: connection timeout",
        "s",
        5,
        1800,
        _path("app.pool.connection_timeout_s"),
        describe=_seconds,
    ),
    Parameter(
        "max_lifetime_s",
        "Pool: max connection lifetime",
        "s",
        300,
        None,
        _path("app.pool.max_lifetime_s"),
        describe=_seconds,
    ),
    Parameter("health_check", "Health check", "", "liveness", "deep", _path("app.health_check")),
    Parameter(
        "auto_restart", "Auto-restart unhealthy instances", "", False, True, _path("app.auto_restart"), describe=_on_off
    ),
    Parameter("discovery", "Endpoint discovery", "", "static", "service-discovery", _path("app.discovery")),
    Parameter(
        "dns_ttl_s", "DNS TTL", "s", 10, 300, _path("failover.dns_ttl_s"), applies=_multi_region, describe=_seconds
    ),
    Parameter(
        "local_standby",
        "Local standby replication",
        "",
        "async",
        "sync",
        _path("database.local_standby"),
        applies=lambda s: s.database.local_standby != "none",
    ),
    Parameter(
        "replication",
        "Cross-region replication",
        "",
        "async",
        "sync",
        _path("database.replicas[*].mode"),
        applies=_has_replicas,
    ),
    Parameter(
        "replica_lag_s",
        "Replica lag (median)",
        "s",
        0.2,
        30,
        _replica_lag,
        applies=lambda s: any(r.mode == "async" for r in s.database.replicas),
        describe=_seconds,
    ),
    Parameter(
        "standby_warmth",
        "Standby region",
        "",
        "cold",
        "hot",
        _path("regions[role=standby].warmth"),
        applies=_has_standby,
    ),
    Parameter(
        "backup_interval_s",
        "Backup / archive interval",
        "s",
        300,
        86_400,
        _backup_interval,
        applies=lambda s: s.database.backups.kind != "none",
        describe=_seconds,
    ),
    Parameter("size_gb", "Database size", "GB", 10, 500, _path("database.size_gb"), describe=_with_unit("GB")),
    Parameter(
        "restore_throughput_gb_per_s",
        "Restore throughput",
        "GB/s",
        0.01,
        0.5,
        _path("database.backups.restore_throughput_gb_per_s"),
        applies=lambda s: s.database.backups.kind != "none",
        describe=_with_unit("GB/s"),
    ),
    Parameter(
        "app_instances",
        "App instances (primary region)",
        "instances",
        lambda s: max(fewest_primary_instances(s), _primary_instances(s) - 1),
        lambda s: _primary_instances(s) + 2,
        _path("regions[role=primary].app_instances"),
        describe=_with_unit("instances"),
    ),
    Parameter("deployment_strategy", "Deployment strategy", "", "in-place", "blue-green", _path("deployment.strategy")),
    Parameter("timeouts", "Call timeouts", "", "none", "set", _timeouts),
    Parameter(
        "circuit_breaker", "Circuit breaker", "", False, True, _path("app.circuit_breaker.enabled"), describe=_on_off
    ),
    Parameter("bulkheads", "Bulkheads", "", False, True, _path("app.bulkheads.enabled"), describe=_on_off),
    Parameter(
        "agent_retry",
        "Agent retries",
        "",
        "immediate",
        "backoff",
        _path("traffic.agent_retry"),
        applies=lambda s: s.traffic.agent_share > 0,
    ),
)
PARAMETERS_BY_KEY = {p.key: p for p in PARAMETERS}


# -- figures ---------------------------------------------------------------------------------
def metrics_of(results: RunResults | RunFigures) -> dict[str, float]:
    """The key figures of a run, flat: ``rto_p95_s.<type>``, ``data_loss_p95_s.<type>``,
    ``annual_downtime_s`` (expected per year), ``lost_tx_per_year``, ``conflicting_tx_per_year``, ``data_loss_p95_s``
    (the worst type), ``infrastructure_usd_per_month``, ``total_usd_per_month``."""
    out: dict[str, float] = {}
    worst_loss = 0.0
    for incident_type, block in results.incident_types.items():
        if block.rate_per_year <= 0:
            continue
        out[f"rto_p95_s.{incident_type}"] = block.rto_s.p95
        out[f"data_loss_p95_s.{incident_type}"] = block.data_loss_s.p95
        worst_loss = max(worst_loss, block.data_loss_s.p95)
    out["data_loss_p95_s"] = worst_loss
    out["annual_downtime_s"] = results.annual.downtime_s.mean
    out["lost_tx_per_year"] = results.annual.lost_tx.mean
    out["conflicting_tx_per_year"] = results.annual.conflicting_tx.mean
    out["infrastructure_usd_per_month"] = results.costs.infrastructure_usd_per_month
    out["total_usd_per_month"] = results.costs.total_usd_per_month
    out["targets_met"] = float(results.targets_met)
    return out


Reduce = Callable[[RunFigures], Any]


def _simulate(document: dict[str, Any], settings: RunSettings, reduce: Reduce) -> Any:
    """Worker entry point: a full document → the reduced lean results (small to send back)."""
    return reduce(run_figures(load_scenario(document), settings))


def simulate_many(
    documents: list[dict[str, Any]], settings: RunSettings, workers: int = 1, reduce: Reduce = metrics_of
) -> list[Any]:
    """``reduce(results)`` of each document (key figures by default), identical documents simulated
    once; ``workers`` > 1 runs them in a process pool (``reduce`` must then be a module-level function)."""
    return map_documents(partial(_simulate, settings=settings, reduce=reduce), documents, workers)


# -- the tornado -----------------------------------------------------------------------------
def _variant(parameter: Parameter, value: Value, base: Scenario) -> dict[str, Any]:
    """The full document of the base with the parameter at ``value``; ScenarioError names the parameter."""
    try:
        return dump_document(apply_overrides(base, parameter.to_overrides(value, base)))
    except ScenarioError as error:
        raise ScenarioError(
            [Problem(f"ranges.{parameter.key}", f"{parameter.describe(value)}: {p}") for p in error.problems]
        ) from None


def tornado(
    document: dict[str, Any] | Scenario,
    *,
    parameters: list[str] | None = None,
    ranges: dict[str, tuple[Value, Value]] | None = None,
    settings: RunSettings = TORNADO,
    workers: int = 1,
    rank_by: str = DEFAULT_RANK_BY,
    confirm: bool = True,
) -> dict[str, Any]:
    """One-at-a-time sensitivity of the scenario's key figures.

    ``parameters``: keys of ``PARAMETERS`` to vary (default: all that apply to
    the scenario); ``ranges``: per key, (low, high) replacing the default range.
    Returns ``{"settings", "rank_by", "base": figures, "parameters": [bar, …]}``
    with bars sorted by their swing on ``rank_by``; each bar has ``low`` and
    ``high`` sides (value, label, metrics, delta from the base) and ``swing``
    per metric. ``confirm``: run the widest bar in full (``confirm_widest``); a caller that puts several
    partial tornadoes together confirms the widest of them all instead.
    """
    base = document if isinstance(document, Scenario) else load_scenario(document)
    ranges = ranges or {}
    unknown = [k for k in list(parameters or []) + list(ranges) if k not in PARAMETERS_BY_KEY]
    if unknown:
        raise ScenarioError(
            [Problem(f"parameters.{k}", "unknown parameter; known: " + ", ".join(PARAMETERS_BY_KEY)) for k in unknown]
        )
    chosen = [PARAMETERS_BY_KEY[k] for k in parameters] if parameters else [p for p in PARAMETERS if p.applies(base)]
    base_doc = full_document(base)
    documents, plan = [base_doc], []
    for parameter in chosen:
        given = ranges.get(parameter.key)
        if given is not None and (not isinstance(given, (tuple, list)) or len(given) != 2):
            raise ScenarioError([Problem(f"ranges.{parameter.key}", "must be a pair (low, high)")])
        low, high = parameter.values(base, tuple(given) if given is not None else None)
        plan.append((parameter, low, high))
        documents += [_variant(parameter, low, base), _variant(parameter, high, base)]
    base_figures = simulate_many([base_doc], settings)[0]
    if rank_by not in base_figures:
        raise ScenarioError([Problem("rank_by", "unknown metric; known: " + ", ".join(base_figures))])
    precision = SWING_PRECISION * max(abs(base_figures[rank_by]), 1.0)
    work = partial(_screened_side, settings=settings, rank_by=rank_by, precision=precision, base=base_doc)
    sides = map_documents(work, documents[1:], workers)
    bars = [_bar(parameter, low, high, sides[2 * i], sides[2 * i + 1]) for i, (parameter, low, high) in enumerate(plan)]
    bars.sort(key=lambda bar: -bar["swing"].get(rank_by, 0.0))
    report = {
        "settings": {"trials": settings.trials, "years": settings.years, "seed": settings.seed},
        "rank_by": rank_by,
        "base": base_figures,
        "parameters": bars,
    }
    return confirm_widest(base, report, settings, workers) if confirm else report


def confirm_widest(base: Scenario, report: dict[str, Any], settings: RunSettings, workers: int = 1) -> dict[str, Any]:
    """The tornado ``report`` with its final answer, the widest bar, from full runs on the same seed."""
    bars = list(report["parameters"])
    if not bars:
        return report
    rank_by, base_figures = report["rank_by"], report["base"]
    parameter = PARAMETERS_BY_KEY[bars[0]["key"]]
    low, high = bars[0]["low"]["value"], bars[0]["high"]["value"]
    low_full, high_full = simulate_many(
        [_variant(parameter, low, base), _variant(parameter, high, base)], settings, workers
    )
    bars[0] = _bar(parameter, low, high, _confirmed(low_full, base_figures), _confirmed(high_full, base_figures))
    bars.sort(key=lambda bar: -bar["swing"].get(rank_by, 0.0))
    return {**report, "parameters": bars}


def rank_types(rank_by: str) -> frozenset[str] | None:
    """The incident types a figure reads (None: every type; none for the infrastructure cost)."""
    if rank_by.startswith(("rto_p95_s.", "data_loss_p95_s.")):
        return frozenset([rank_by.partition(".")[2]])
    return frozenset() if rank_by == "infrastructure_usd_per_month" else None


def _screened_side(
    document: dict[str, Any], settings: RunSettings, rank_by: str, precision: float, base: dict[str, Any]
) -> dict[str, Any]:
    """One side of a bar (worker entry point): rounds on the types ``rank_by`` reads until its change from
    the base, on the same incidents, is known within ± ``precision``; its figures and that change."""
    scenario, base_scenario = load_scenario(document), load_scenario(base)
    types = rank_types(rank_by)
    for side in screens(scenario, settings, types):
        before = screen(base_scenario, settings, types, side.rounds)
        if settled_difference(side, before, rank_by, precision):
            break
    figures, base_figures = side.metrics(), before.metrics()
    return {
        "metrics": figures,
        "delta": {k: figures[k] - base_figures[k] for k in base_figures if k in figures},
        "incidents_per_type": None if side.rounds is None else side.incidents,
    }


def _confirmed(figures: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    return {
        "metrics": figures,
        "delta": {k: figures[k] - base[k] for k in base if k in figures},
        "incidents_per_type": None,  # every one: the run's trials
    }


def _bar(parameter: Parameter, low: Value, high: Value, lo: dict[str, Any], hi: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": parameter.key,
        "label": parameter.label,
        "unit": parameter.unit,
        "low": {"value": low, "label": parameter.describe(low), **lo},
        "high": {"value": high, "label": parameter.describe(high), **hi},
        # from the changes, each measured on the same incidents as the base it is read from
        "swing": {k: abs(hi["delta"][k] - lo["delta"][k]) for k in lo["delta"] if k in hi["delta"]},
        "confirmed": lo["incidents_per_type"] is None,
    }
