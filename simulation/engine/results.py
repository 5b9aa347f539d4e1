"""The results of a run as immutable records: the types of docs/results.md, field for field.

``RunResults`` holds the summary of a run; ``TypeResults`` the figures of one
incident type, ``AnnualResults`` those of the simulated years, ``Costs``,
``Verdict`` and ``ChecklistItem`` what the analysis layer adds. Every record
converts to the results JSON and back through one pair of functions,
``to_json`` and ``from_json`` (also the ``to_json`` method and the
``from_json`` class method of every record), driven by the field types:
records become objects, tuples and named tuples become arrays, and
``to_json`` is where values become JSON-safe (plain Python scalars,
non-finite floats as null). ``from_json`` converts no scalar, so a stored
JSON dict comes back unchanged: ``RunResults.from_json(x).to_json() == x``.
Fields added to the schema after results were first stored have defaults, so
older stored results still load.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar, Union

from simulation.model.incident_types import INCIDENT_TYPES

Record = TypeVar("Record", bound="JsonRecord")


class JsonRecord:
    """Base of the result records: ``to_json`` and ``from_json`` (see the module docstring)."""

    def to_json(self) -> dict[str, Any]:
        """This record as a JSON-safe dict (a fresh copy: nothing is shared with the record)."""
        out = to_json(self)
        assert isinstance(out, dict)
        return out

    @classmethod
    def from_json(cls: type[Record], data: Mapping[str, Any]) -> Record:
        """The record of a JSON dict as ``to_json`` writes it (also one stored by an older version)."""
        return from_json(cls, data)


# -- per incident type -----------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Stats(JsonRecord):
    """Summary of a sample (``stats.summarize``): mean, quantiles, maximum and their 95 % intervals."""

    mean: float
    p50: float
    p95: float
    p99: float
    max: float
    mean_ci: tuple[float, float]
    p50_ci: tuple[float, float]
    p95_ci: tuple[float, float]
    p99_ci: tuple[float, float]


NO_TRANSACTIONS = Stats(
    mean=0.0,
    p50=0.0,
    p95=0.0,
    p99=0.0,
    max=0.0,
    mean_ci=(0.0, 0.0),
    p50_ci=(0.0, 0.0),
    p95_ci=(0.0, 0.0),
    p99_ci=(0.0, 0.0),
)  # a figure results stored before it existed did not have: none (no engine before modelled it)


class Phase(NamedTuple):
    """One phase of a replayed incident: detect, decide, promote, …; times from the incident's start."""

    name: str
    start_s: float
    end_s: float


class ServedPoint(NamedTuple):
    """The share of requests served (0..1) from ``t_s`` on."""

    t_s: float
    fraction: float


@dataclass(frozen=True, kw_only=True)
class ReplayTimeline(JsonRecord):
    """The timeline of one replayed incident (``Replay`` in docs/results.md)."""

    phases: tuple[Phase, ...]
    served: tuple[ServedPoint, ...]
    rto_s: float
    impact_s: float
    data_loss_s: float
    humans_needed: bool
    horizon_s: float | None = None  # nothing is drawn beyond it (null in results stored before it existed)
    unfinished: tuple[str, ...] = ()  # phases cut at the horizon: not over within it (e.g. a repair)

    @property
    def recovered_within_horizon(self) -> bool:
        return self.horizon_s is None or self.rto_s <= self.horizon_s


@dataclass(frozen=True, kw_only=True)
class TypeReplays(JsonRecord):
    """The RTO-median and RTO-p95 incidents of a type (null when the timeline was not kept)."""

    p50: ReplayTimeline | None
    p95: ReplayTimeline | None


@dataclass(frozen=True, kw_only=True)
class TypeEcdf(JsonRecord):
    """201 quantiles (levels 0, 0.005, …, 1) of a type's RTO and data loss."""

    rto_s: tuple[float, ...]
    data_loss_s: tuple[float, ...]


@dataclass(frozen=True, kw_only=True)
class TypeResults(JsonRecord):
    """The figures of one incident type, from its ``trials`` replayed incidents."""

    rate_per_year: float
    trials: int
    rto_s: Stats
    impact_s: Stats
    data_loss_s: Stats
    lost_tx: Stats
    duplicated_tx: Stats
    conflicting_tx: Stats = NO_TRANSACTIONS
    humans_needed_share: float
    ecdf: TypeEcdf
    replays: TypeReplays


# -- simulated years -------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Histogram(JsonRecord):
    """Counts of simulated years per downtime bin (``len(edges_s) == len(counts) + 1``)."""

    edges_s: tuple[float, ...]
    counts: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class AnnualEcdf(JsonRecord):
    """201 quantiles of the simulated years' downtime and availability."""

    downtime_s: tuple[float, ...]
    availability: tuple[float, ...]


@dataclass(frozen=True, kw_only=True)
class Bootstrap(JsonRecord):
    """The incident-pool bootstrap behind the annual intervals: per round, 51 availability quantiles."""

    rounds: int
    years: int
    availability_ecdf: tuple[tuple[float, ...], ...]


@dataclass(frozen=True, kw_only=True)
class TypeSampleSize(JsonRecord):
    """How one type's replays carry the simulated years: the pool, the draws from it, their Kish ESS."""

    replays: int
    draws: int
    distinct: int
    kish: float


@dataclass(frozen=True, kw_only=True)
class SampleSize(JsonRecord):
    """The effective sample size behind the annual figures (``annual.sample_size`` in docs/results.md)."""

    mode: str  # "resample": years resample the replays; "exact": one replay per simulated incident
    effective_years: float
    incident_types: dict[str, TypeSampleSize]


@dataclass(frozen=True, kw_only=True)
class AnnualResults(JsonRecord):
    """The figures of the simulated years (``ecdf`` and ``bootstrap`` may be missing in older results)."""

    downtime_s: Stats
    downtime_histogram: Histogram
    availability: Stats
    lost_tx: Stats
    conflicting_tx: Stats = NO_TRANSACTIONS
    incidents: Stats
    ecdf: AnnualEcdf | None = None
    bootstrap: Bootstrap | None = None
    sample_size: SampleSize | None = None  # missing in results stored before it existed


# -- what the analysis adds --------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class CostBreakdown(JsonRecord):
    """Monthly infrastructure cost per line item, in the scenario's currency."""

    app_instances: float
    db_nodes: float
    storage: float
    backups: float
    cross_region: float
    dns_health_checks: float
    engineering: float
    chaos_testing: float

    def items(self) -> list[tuple[str, float]]:
        """(line item, cost) in the order of docs/results.md."""
        return [(f.name, getattr(self, f.name)) for f in dataclasses.fields(self)]


@dataclass(frozen=True, kw_only=True)
class Costs(JsonRecord):
    """The monthly costs of the design: infrastructure, its premium over a baseline, expected outages."""

    currency: str
    breakdown_usd_per_month: CostBreakdown
    infrastructure_usd_per_month: float
    baseline_usd_per_month: float
    premium_usd_per_month: float
    expected_downtime_usd_per_month: float
    expected_lost_tx_usd_per_month: float
    expected_conflicting_tx_usd_per_month: float = 0.0
    expected_outage_usd_per_month: float
    total_usd_per_month: float


@dataclass(frozen=True, kw_only=True)
class Verdict(JsonRecord):
    """How likely one target is met (``target``: rto, rpo, availability or budget)."""

    target: str
    incident_type: str | None
    threshold: float
    unit: str
    probability: float
    ci: tuple[float, float]
    confidence: float
    met: bool
    text: str


@dataclass(frozen=True, kw_only=True)
class ChecklistItem(JsonRecord):
    """One of the eight checklist questions, answered, with the monthly cost of a "no" (null for a "yes")."""

    number: int
    question: str
    answer: bool
    reason: str
    fields: tuple[str, ...] = ()
    cost_usd_per_month: float | None


# -- the run ---------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class RunResults(JsonRecord):
    """Everything a run reports (``result_schema`` 1); ``to_json()`` is the results JSON."""

    result_schema: int
    engine_version: str
    seed: int
    trials_per_type: int
    years: int
    chunk_size: int
    precision_s: float | None = None
    scenario_name: str
    scenario_sha256: str
    scenario: dict[str, Any]
    recovery_threshold: float
    incident_types: dict[str, TypeResults]
    annual: AnnualResults
    costs: Costs
    verdicts: tuple[Verdict, ...]
    targets_met: bool
    checklist: tuple[ChecklistItem, ...] = ()

    def __post_init__(self) -> None:
        """Incident types in the registry's order, whatever order stored JSON (PostgreSQL jsonb) kept."""
        order = {t: i for i, t in enumerate(INCIDENT_TYPES)}
        ordered = dict(sorted(self.incident_types.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))
        if list(ordered) != list(self.incident_types):
            object.__setattr__(self, "incident_types", ordered)


# -- the one conversion pair -----------------------------------------------------------------
def to_json(value: object) -> Any:
    """``value`` (a record, or anything a record holds) as JSON-safe Python: dicts, lists and scalars."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    item = getattr(value, "item", None)  # a NumPy scalar
    if callable(item):
        return to_json(item())
    raise TypeError(f"not JSON-safe: {type(value).__name__}")


_FIELD_TYPES: dict[type, dict[str, Any]] = {}
_SCALARS = (float, int, str, bool)  # read as they are (``from_json`` converts no scalar)


def _field_types(cls: type) -> dict[str, Any]:
    """The resolved field types of a record or named tuple (cached)."""
    if cls not in _FIELD_TYPES:
        _FIELD_TYPES[cls] = typing.get_type_hints(cls)
    return _FIELD_TYPES[cls]


def from_json(cls: type[Record], data: Mapping[str, Any]) -> Record:
    """The record of type ``cls`` read from a JSON dict; missing fields take their defaults."""
    if not isinstance(data, Mapping):
        raise ValueError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    hints = _field_types(cls)
    values = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in data:
            values[f.name] = _read(hints[f.name], data[f.name], f"{cls.__name__}.{f.name}")
        elif f.default is dataclasses.MISSING:
            raise ValueError(f"{cls.__name__}.{f.name}: missing")
    return cls(**values)


def _read(hint: Any, value: Any, where: str) -> Any:
    """``value`` read as type ``hint``: records, tuples and dicts rebuilt, scalars as they are."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        if value is None:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _read(inner, value, where)
    if isinstance(hint, type) and issubclass(hint, JsonRecord):
        return from_json(hint, value)
    if isinstance(hint, type) and issubclass(hint, tuple):  # a NamedTuple
        return hint(*(_read(h, v, where) for h, v in zip(_field_types(hint).values(), value)))
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            if args[0] in _SCALARS:  # e.g. an ECDF: its numbers as they are, at once
                return tuple(value)
            return tuple(_read(args[0], v, where) for v in value)
        if all(a in _SCALARS for a in args):
            return tuple(value)[: len(args)]
        return tuple(_read(a, v, where) for a, v in zip(args, value))
    if origin is dict and args[1] is not Any:
        return {k: _read(args[1], v, f"{where}.{k}") for k, v in value.items()}
    return value
