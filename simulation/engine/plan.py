"""A run's plan: the work cut into fixed-size chunks, each with its own random stream.

Chunk ``c`` of the incident type at position ``t`` of the registry
(``simulation.model.incident_types``) draws from the stream with spawn key
``(t, c)``; a chunk's stream depends only on its own position, so the output is
identical however the chunks are scheduled, and a longer run extends a shorter one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from simulation import incidents
from simulation.limits import MAX_TRIALS
from simulation.model.loading import canonical_sha256, dump_document
from simulation.model.scenario import Scenario


@dataclass(frozen=True)
class ChunkSpec:
    """One piece of work: ``n`` incidents of one type, trials ``start`` … ``start + n − 1``."""

    incident_type: str
    type_index: int  # position of the type in MODELS: first key of its random streams
    chunk_index: int  # position of the chunk within its type: second key
    start: int
    n: int


@dataclass(frozen=True)
class RunPlan:
    """Everything that fixes a run's numbers besides the scenario itself."""

    seed: int
    trials: int  # incidents replayed per type (at most, when stopping early)
    years: int
    chunk_size: int
    scenario_sha256: str
    rates_per_year: dict[str, float]  # types with a rate > 0, in MODELS order
    chunks: list[ChunkSpec] = field(default_factory=list)
    precision_s: float | None = None
    years_mode: str = "resample"  # "exact": one replay per simulated incident (``plan_exact_run``)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunPlan:
        chunks = [ChunkSpec(**c) for c in data["chunks"]]
        return cls(**{**data, "chunks": chunks, "rates_per_year": dict(data["rates_per_year"])})

    def chunks_of(self, incident_type: str) -> list[int]:
        """Indices (into ``chunks``) of one type's chunks, in trial order."""
        return [i for i, c in enumerate(self.chunks) if c.incident_type == incident_type]


def scenario_sha256(scenario: Scenario) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces) of the full document."""
    return canonical_sha256(dump_document(scenario))


def rates_per_year(scenario: Scenario) -> dict[str, float]:
    """Rate per year of every incident type with a rate above zero, in MODELS order."""
    rates = {name: float(module.rate_per_year(scenario)) for name, module in incidents.MODELS.items()}
    return {name: rate for name, rate in rates.items() if rate > 0}


def plan_run(
    scenario: Scenario,
    *,
    trials: int,
    seed: int,
    years: int = 10_000,
    chunk_size: int = 250,
    precision_s: float | None = None,
) -> RunPlan:
    """Cut a run into chunks of ``chunk_size`` incidents per type (the last one of a type may be shorter)."""
    if trials < 1:
        raise ValueError("trials: must be at least 1")
    if years < 1:
        raise ValueError("years: must be at least 1")
    if chunk_size < 1:
        raise ValueError("chunk_size: must be at least 1")
    if seed < 0:
        raise ValueError("seed: must be a non-negative integer")
    if precision_s is not None and precision_s <= 0:
        raise ValueError("precision_s: must be positive")
    positions = {name: i for i, name in enumerate(incidents.MODELS)}
    rates = rates_per_year(scenario)
    chunks = [
        ChunkSpec(name, positions[name], c, start, min(chunk_size, trials - start))
        for name in rates
        for c, start in enumerate(range(0, trials, chunk_size))
    ]
    return RunPlan(
        seed=int(seed),
        trials=int(trials),
        years=int(years),
        chunk_size=int(chunk_size),
        scenario_sha256=scenario_sha256(scenario),
        rates_per_year=rates,
        chunks=chunks,
        precision_s=precision_s,
    )


def exact_counts_rng(seed: int) -> np.random.Generator:
    """The stream of an exact run's incident counts per year: spawn key ``(len(MODELS), 2)``, the one the
    screening's years draw from too (``analysis.screening.YEARS_STREAM``: the same counts, never mixed in one
    run, as an exact run is not screened)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(len(incidents.MODELS), 2)))


def exact_counts(seed: int, years: int, rates: dict[str, float]) -> dict[str, np.ndarray]:
    """Incidents per simulated year of each type (Poisson, the type's rate), drawn type by type in ``rates`` order."""
    rng = exact_counts_rng(seed)
    return {name: rng.poisson(rate, years) for name, rate in rates.items()}


EXACT_CHUNK_ROWS = 80_000  # app instances × incidents per chunk in exact years (a batch's arrays grow with both)
EXACT_CHUNK_SIZE = (1000, 10_000)  # fewest and most incidents per chunk in exact years


def exact_chunk_size(scenario: Scenario) -> int:
    """Incidents per chunk in exact years: tens of thousands per type, so fewer, larger batches (each batch
    form call has a fixed cost of a few ms), as large as ``EXACT_CHUNK_ROWS`` allows for every app instance of
    the scenario (standby regions' included: a region outage builds them), within ``EXACT_CHUNK_SIZE``."""
    instances = sum(region.app_instances for region in scenario.regions)
    fewest, most = EXACT_CHUNK_SIZE
    return max(fewest, min(most, EXACT_CHUNK_ROWS // max(instances, 1)))


def plan_exact_run(
    scenario: Scenario, *, trials: int, seed: int, years: int = 10_000, chunk_size: int | None = None
) -> RunPlan:
    """A plan with one replay per simulated incident (exact compound Poisson, ``years_mode`` "exact").

    The incident counts of every year are drawn first (``exact_counts``); each type then replays
    as many incidents as its years hold, and at least ``trials`` (the per-type figures use them
    all, the years the first ones, each once). Chunks and their streams are those of ``plan_run``,
    so a type's whole chunks are those of a resampling run with the same seed and chunk size.
    """
    chunk_size = exact_chunk_size(scenario) if chunk_size is None else chunk_size
    base = plan_run(scenario, trials=trials, seed=seed, years=years, chunk_size=chunk_size)
    counts = exact_counts(seed, years, base.rates_per_year)
    replays = {name: max(trials, int(n.sum())) for name, n in counts.items()}
    for name, n in replays.items():
        if n > MAX_TRIALS:
            raise ValueError(
                f"years: {years} exact years hold {n} {name} incidents, more than {MAX_TRIALS} replays per type"
            )
    positions = {name: i for i, name in enumerate(incidents.MODELS)}
    chunks = [
        ChunkSpec(name, positions[name], c, start, min(chunk_size, n - start))
        for name, n in replays.items()
        for c, start in enumerate(range(0, n, chunk_size))
    ]
    most = max(replays.values(), default=trials)
    return dataclasses.replace(base, trials=most, chunks=chunks, years_mode="exact")
