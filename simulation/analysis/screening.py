"""Screening: a search's quick look at a variant, in rounds of small chunks, stopped once its question is settled.

The searches (the advice's cheapest fix, the tornado) look at dozens of variants. Each variant is
replayed in rounds of ``SEARCH_CHUNK`` incidents per type, only on the incident types its question
covers, and a round is added only while the answer is still open: the verdicts counted are decided
(their 95 % interval no longer straddles the confidence level), or the figure ranked is known to within
a precision. Round ``r`` of type ``t`` replays the chunk with spawn key ``(t, r)`` cut at
``SEARCH_CHUNK`` incidents; after rounds covering half the trials, a variant still open is run in
full, on the run's own chunks. Every variant and the base see the same incidents
(common random numbers), the outcomes of the types a variant does not touch come from the shared
cache, and the answer is the same for a given seed however it is scheduled. The searches then confirm
their final answer with a full run (``variants.run_figures``) on the same seed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from simulation import incidents
from simulation.analysis.checklist import incident_cost_usd, paired_difference
from simulation.analysis.costs import monthly_costs
from simulation.analysis.outcomes import SortedOutcomes
from simulation.analysis.variants import RunSettings, decided
from simulation.analysis.verdicts import judge_outcomes
from simulation.engine.chunks import simulate_chunk, type_chunks
from simulation.engine.plan import ChunkSpec, rates_per_year
from simulation.engine.processes import local_pool_context
from simulation.engine.stats import half_width, quantile_ci
from simulation.incidents.outcomes import Batch
from simulation.model.loading import canonical_sha256
from simulation.model.scenario import Scenario
from simulation.units import SECONDS_PER_YEAR

SEARCH_CHUNK = 25  # incidents per type and round of a search
YEARS_STREAM = 2  # spawn key (types, 2): the screening's years (a run's: (…,), (…, 1); exact runs' counts too)
# outcome arrays behind the per-year figures (``metrics``), by figure
PER_YEAR = {"annual_downtime_s": "impact_s", "lost_tx_per_year": "lost_tx", "conflicting_tx_per_year": "conflicting_tx"}


@dataclass(frozen=True)
class Screen:
    """One variant's outcomes after some rounds: ``incidents`` per type of ``batches`` (the types screened)."""

    scenario: Scenario
    settings: RunSettings
    rates: dict[str, float]  # every type with a rate above zero
    batches: dict[str, Batch]
    rounds: int | None  # None: a full run's incidents

    @property
    def incidents(self) -> int:
        return min((len(b) for b in self.batches.values()), default=0)

    @property
    def every_type(self) -> bool:
        return set(self.batches) == set(self.rates)

    def per_year(self, figure: str) -> float:
        """Expected per-year figure over the types screened (rate × mean outcome)."""
        name = PER_YEAR[figure]
        return sum(self.rates[t] * float(np.mean(getattr(b, name))) for t, b in self.batches.items())

    def metrics(self) -> dict[str, float]:
        """``sensitivity.metrics_of``'s figures that the types screened give (the per-year ones and the total
        cost need every type); infrastructure cost is exact."""
        out: dict[str, float] = {}
        for name, batch in self.batches.items():
            out[f"rto_p95_s.{name}"] = float(np.quantile(np.sort(batch.rto_s), 0.95))
            out[f"data_loss_p95_s.{name}"] = float(np.quantile(np.sort(batch.data_loss_s), 0.95))
        costs = self.costs()
        if self.every_type:
            out["data_loss_p95_s"] = max((v for k, v in out.items() if k.startswith("data_loss_p95_s.")), default=0.0)
            out.update({figure: self.per_year(figure) for figure in PER_YEAR})
            out["total_usd_per_month"] = costs["total_usd_per_month"]
        out["infrastructure_usd_per_month"] = costs["infrastructure_usd_per_month"]
        out["targets_met"] = float(all(v["met"] for v in self.verdicts))
        return out

    def costs(self) -> dict[str, Any]:
        return monthly_costs(
            self.scenario,
            annual_downtime_s=self.per_year("annual_downtime_s"),
            annual_lost_tx=self.per_year("lost_tx_per_year"),
            annual_conflicting_tx=self.per_year("conflicting_tx_per_year"),
        )

    def availability_years(self) -> np.ndarray:
        """Simulated years (compound Poisson over the types screened) for the availability verdict."""
        years = self.settings.years
        rng = np.random.default_rng(
            np.random.SeedSequence(self.settings.seed, spawn_key=(len(incidents.MODELS), YEARS_STREAM))
        )
        downtime = np.zeros(years)
        for name, batch in self.batches.items():
            per_year = rng.poisson(self.rates[name], years)
            drawn = batch.impact_s[rng.integers(0, len(batch), int(per_year.sum()))]
            downtime += np.bincount(np.repeat(np.arange(years), per_year), weights=drawn, minlength=years)
        return 1.0 - np.minimum(downtime, SECONDS_PER_YEAR) / SECONDS_PER_YEAR

    @cached_property
    def verdicts(self) -> list[dict[str, Any]]:
        """The run's verdicts on these outcomes; availability only when every type is screened."""
        years = self.availability_years() if self.every_type else np.ones(1)
        costs = self.costs()
        out = judge_outcomes(
            SortedOutcomes.of_run(self.batches, years),
            self.scenario.targets,
            costs["infrastructure_usd_per_month"],
            costs["currency"],
        )
        return [v for v in out if self.every_type or v["target"] != "availability"]


def screen(scenario: Scenario, settings: RunSettings, types: frozenset[str] | None, rounds: int | None) -> Screen:
    """The variant's first ``rounds`` rounds on ``types`` (None: every type); ``rounds`` None: every incident
    of a full run (``settings.trials``, the run's own chunks: what ``variants.run_figures`` replays)."""
    rates = rates_per_year(scenario)
    positions = {name: i for i, name in enumerate(incidents.MODELS)}
    batches = {}
    for name in rates:
        if types is not None and name not in types:
            continue
        if rounds is None:
            specs = type_chunks(name, settings.trials)
        else:
            specs = [
                ChunkSpec(name, positions[name], r, r * SEARCH_CHUNK, SEARCH_CHUNK)
                for r in range(min(rounds, settings.trials // SEARCH_CHUNK))
            ]
        batches[name] = Batch.concat([simulate_chunk(scenario, spec, settings.seed) for spec in specs])
    return Screen(scenario, settings, rates, batches, rounds)


def screens(scenario: Scenario, settings: RunSettings, types: frozenset[str] | None) -> Iterator[Screen]:
    """The rounds of a screening, each with every incident so far: rounds of ``SEARCH_CHUNK`` incidents
    covering up to half of ``settings.trials``, then the full run (so an answer still open there is the one
    a full run gives, and a full run later reads it from the cache)."""
    for r in range(1, settings.trials // (2 * SEARCH_CHUNK) + 1):
        yield screen(scenario, settings, types, r)
    yield screen(scenario, settings, types, None)


def map_documents(
    work: Callable[[dict[str, Any]], Any], documents: list[dict[str, Any]], workers: int = 1
) -> list[Any]:
    """``work(document)`` of each document, identical documents once; ``workers`` > 1 runs them in a
    process pool (``work`` must then be picklable: a module-level function or a ``functools.partial`` of one)."""
    keys = [canonical_sha256(d) for d in documents]
    unique = dict(zip(keys, documents))
    if workers > 1 and len(unique) > 1:
        with ProcessPoolExecutor(max_workers=min(workers, len(unique)), mp_context=local_pool_context()) as pool:
            done = list(pool.map(work, unique.values()))
    else:
        done = [work(d) for d in unique.values()]
    by_key = dict(zip(unique, done))
    return [by_key[k] for k in keys]


def screen_until_decided(
    scenario: Scenario, settings: RunSettings, types: frozenset[str] | None, counts: Callable[[dict[str, Any]], bool]
) -> tuple[Screen, list[dict[str, Any]]]:
    """Rounds until the variant's answer is decided (or every incident is replayed): a counted verdict
    (``counts(verdict)``) is decided missed, so the variant misses its targets, or every counted verdict is
    decided, so it meets them or not."""
    for result in screens(scenario, settings, types):
        verdicts = result.verdicts
        counted = [v for v in verdicts if counts(v)]
        if result.rounds is None or decided(counted) or any(decided([v]) and not v["met"] for v in counted):
            return result, verdicts
    raise AssertionError("screens ends with the full run")


def settled_difference(side: Screen, base: Screen, metric: str, precision: float) -> bool:
    """Whether ``metric`` of ``side`` minus ``base`` (the same incidents) is known within ± ``precision``."""
    if metric in PER_YEAR or metric == "total_usd_per_month":
        terms = [_paired(side, base, name, metric) for name in sorted(set(side.batches) | set(base.batches))]
        return paired_difference(terms)[1] <= precision
    if metric.startswith(("rto_p95_s.", "data_loss_p95_s.")):
        figure, _, name = metric.partition(".")
        outcome = "rto_s" if figure == "rto_p95_s" else "data_loss_s"
        widths = []
        for s in (side, base):
            if name in s.batches:
                ordered = np.sort(getattr(s.batches[name], outcome))
                widths.append(half_width(quantile_ci(ordered, 0.95), float(np.quantile(ordered, 0.95))))
        return sum(widths) <= precision
    return True  # exact figures (infrastructure cost) and figures without an interval


def _per_incident(s: Screen, name: str, metric: str) -> np.ndarray:
    """The type's per-incident contribution to ``metric`` per year (per month for the cost), rate included."""
    batch = s.batches[name]
    if metric == "total_usd_per_month":
        values = incident_cost_usd(s.scenario, batch) / 12
    else:
        values = np.asarray(getattr(batch, PER_YEAR[metric]), dtype=float)
    return s.rates.get(name, 0.0) * values


def _paired(side: Screen, base: Screen, name: str, metric: str) -> np.ndarray:
    """``side``'s contribution minus ``base``'s, incident by incident (a side without the type adds 0)."""
    parts = [(sign, _per_incident(s, name, metric)) for s, sign in ((side, 1.0), (base, -1.0)) if name in s.batches]
    out = np.zeros(max(len(v) for _, v in parts))
    for sign, values in parts:
        out += sign * values
    return out
