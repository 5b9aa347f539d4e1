"""Simulated years: a compound Poisson process over the replayed incidents, with its intervals.

Each simulated year draws a Poisson count per incident type (the type's rate per
year) and resamples that many outcomes of that type with replacement (incidents
are i.i.d.). The annual combination draws from the stream with spawn key
``(number of types,)``, its pool bootstrap from ``(number of types, 1)``. The
intervals also carry the noise of the finite pool of replayed incidents,
measured by a bootstrap of the pools (``pool_bootstrap``); ``sample_size`` says
how many independent incidents and years carry them. A plan made by
``plan_exact_run`` has one replay per simulated incident instead (``exact_years``).
"""

from __future__ import annotations

from typing import Any, TypedDict

import numpy as np
import numpy.typing as npt

from simulation import incidents
from simulation.engine.plan import RunPlan, exact_counts
from simulation.engine.stats import (
    bootstrap_draws,
    bootstrap_pool_sums,
    bootstrap_year_sums,
    ecdf_quantiles,
    summarize,
    summarize_with_rounds,
)
from simulation.incidents.outcomes import Batch
from simulation.units import SECONDS_PER_YEAR

HISTOGRAM_BINS = 40
PICKS_PER_BLOCK = 2_000_000  # expected incidents combined at once into simulated years
BOOTSTRAP_ROUNDS = 30  # resampled incident pools behind the annual intervals
BOOTSTRAP_YEARS = 5_000  # at most this many (the first) simulated years are re-read per round
BOOTSTRAP_ECDF_LEVELS = np.linspace(0.0, 1.0, 51)  # availability quantiles kept per round, for re-judging
POOL_FIGURES = ("impact_s", "lost_tx", "conflicting_tx")  # the outcomes the pool bootstrap sums per year


class AnnualYears(TypedDict):
    """Per simulated year (``annual_years``)."""

    downtime_s: npt.NDArray[np.float64]
    availability: npt.NDArray[np.float64]
    lost_tx: npt.NDArray[np.float64]
    conflicting_tx: npt.NDArray[np.float64]
    incidents: npt.NDArray[np.float64]


class AnnualSamples(AnnualYears):
    """Per simulated year (``annual_samples``), and the bootstrap rounds × years of the incident pools."""

    pool_rounds: dict[str, npt.NDArray[np.float64]]
    sample_size: dict[str, Any]


def _annual_rng(plan: RunPlan, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(plan.seed, spawn_key=(len(incidents.MODELS), *key)))


def annual_samples(plan: RunPlan, batches: dict[str, Batch]) -> AnnualSamples:
    """Per simulated year: downtime_s, availability, lost_tx, conflicting_tx, incidents (compound Poisson, vectorised).

    Years are combined in blocks of about ``PICKS_PER_BLOCK`` expected incidents, so that
    memory stays bounded however many years or however high the rates. Also returns
    ``pool_rounds``: the bootstrap of the incident pools (``pool_bootstrap``) over the
    first block's years, and ``sample_size`` (``sample_size``). A plan with ``years_mode``
    "exact" takes its years from ``exact_years`` instead.
    """
    if plan.years_mode == "exact":
        return exact_years(plan, batches)
    years, weights, first_block, block = _resampled_years(plan, batches)
    return {
        **years,
        "pool_rounds": pool_bootstrap(plan, batches, first_block, min(plan.years, block, BOOTSTRAP_YEARS)),
        "sample_size": sample_size(plan, batches, weights),
    }


def annual_years(plan: RunPlan, batches: dict[str, Batch]) -> AnnualYears:
    """The simulated years alone, without the pool bootstrap and the sample size behind the annual intervals:
    the same years as ``annual_samples`` (their own stream), for figures without intervals (``variants``)."""
    if plan.years_mode == "exact":
        return exact_years(plan, batches)  # its one round is the years themselves: nothing more to skip
    return _resampled_years(plan, batches)[0]


def _resampled_years(
    plan: RunPlan, batches: dict[str, Batch]
) -> tuple[AnnualYears, dict[str, np.ndarray], dict[str, tuple[np.ndarray, np.ndarray]], int]:
    """The years by resampling each type's replays (``annual_samples``); also the draws per replay, the
    first block's (year, pick) of each type and the block's length in years (for the pool bootstrap)."""
    rng = _annual_rng(plan)
    years = plan.years
    downtime, lost, count = np.zeros(years), np.zeros(years), np.zeros(years)
    conflicting = np.zeros(years)
    weights = {name: np.zeros(len(batches[name])) for name in plan.rates_per_year}
    block = _block_years(plan)
    first_block: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for start in range(0, years, block):
        stop = min(years, start + block)
        span = stop - start
        for name, rate in plan.rates_per_year.items():
            batch = batches[name]
            counts, picks, year_of = _year_draws(rng, rate, span, len(batch))
            part = _type_years(batch, counts, picks, year_of)
            downtime[start:stop] += part["downtime_s"]
            lost[start:stop] += part["lost_tx"]
            conflicting[start:stop] += part["conflicting_tx"]
            count[start:stop] += counts
            weights[name] += part["weights"]
            if start == 0:
                first_block[name] = (year_of, picks)
    return _years(downtime, lost, conflicting, count), weights, first_block, block


def _block_years(plan: RunPlan) -> int:
    """Years combined at once: about ``PICKS_PER_BLOCK`` expected incidents."""
    return max(1, int(PICKS_PER_BLOCK / max(1.0, sum(plan.rates_per_year.values()))))


def _year_draws(rng: np.random.Generator, rate: float, span: int, size: int) -> tuple[np.ndarray, ...]:
    """One type's draws for ``span`` years: incidents per year, the replay each one resamples, and its year."""
    counts = rng.poisson(rate, span)
    picks = rng.integers(0, size, int(counts.sum()))
    return counts, picks, np.repeat(np.arange(span), counts)


def _type_years(batch: Batch, counts: np.ndarray, picks: np.ndarray, year_of: np.ndarray) -> dict[str, np.ndarray]:
    """One type's share of each year's figures, and how many times each of its replays is drawn."""
    span = len(counts)
    return {
        "downtime_s": np.bincount(year_of, weights=batch.impact_s[picks], minlength=span),
        "lost_tx": np.bincount(year_of, weights=batch.lost_tx[picks], minlength=span),
        "conflicting_tx": np.bincount(year_of, weights=batch.conflicting_tx[picks], minlength=span),
        "weights": np.bincount(picks, minlength=len(batch)),
    }


def _years(downtime: np.ndarray, lost: np.ndarray, conflicting: np.ndarray, count: np.ndarray) -> AnnualYears:
    availability = 1.0 - np.minimum(downtime, SECONDS_PER_YEAR) / SECONDS_PER_YEAR
    return {
        "downtime_s": downtime,
        "availability": availability,
        "lost_tx": lost,
        "conflicting_tx": conflicting,
        "incidents": count,
    }


class YearsByType:
    """``annual_samples`` made type by type, each type's share as soon as its replays are in (``add``), so
    that a pool's other processes still run chunks meanwhile; ``samples`` then only adds the shares up.

    The draws do not depend on the outcomes, only on each type's number of replays, so they are made in
    the order ``annual_samples`` makes them (a type's draws wait, if need be, for its replays) and every
    share is added in type order: the same bytes. A share is added as soon as those of the types before
    it are, so that only shares that came early are held. Only for a plan whose years make one block and
    that replays every chunk of its plan; any other, and a type whose replays were not all added, is left
    to ``annual_samples``.
    """

    def __init__(self, plan: RunPlan) -> None:
        self.plan = plan
        self.sizes = {name: sum(plan.chunks[i].n for i in plan.chunks_of(name)) for name in plan.rates_per_year}
        self.usable = plan.years_mode != "exact" and plan.precision_s is None and plan.years <= _block_years(plan)
        self.bootstrap_years = min(plan.years, BOOTSTRAP_YEARS)
        self._rng, self._bootstrap_rng = _annual_rng(plan), _annual_rng(plan, 1)
        self._draws: dict[str, tuple[np.ndarray, ...]] = {}  # drawn, waiting for the type's replays
        self._drawn: set[str] = set()
        self._shares: dict[str, tuple[dict[str, np.ndarray], dict[str, np.ndarray]]] = {}  # waiting to be added
        self._added: list[str] = []
        self._totals = {figure: np.zeros(plan.years) for figure in ("downtime_s", "lost_tx", "conflicting_tx")}
        self._totals["incidents"] = np.zeros(plan.years)
        self._sums = {figure: np.zeros((BOOTSTRAP_ROUNDS, self.bootstrap_years)) for figure in POOL_FIGURES}
        self._weights: dict[str, np.ndarray] = {}

    def add(self, name: str, batch: Batch) -> None:
        """Work out the share of type ``name`` from its replays in trial order (every one of the plan's)."""
        if not self.usable or len(batch) != self.sizes.get(name):
            self.usable = False
            return
        for other, rate in self.plan.rates_per_year.items():  # the draws up to this type, in type order
            if other not in self._drawn:
                counts, picks, year_of = _year_draws(self._rng, rate, self.plan.years, self.sizes[other])
                kept = bootstrap_draws(
                    self._bootstrap_rng, year_of, picks, self.sizes[other], self.bootstrap_years, BOOTSTRAP_ROUNDS
                )
                self._draws[other] = (counts, picks, year_of, *kept)
                self._drawn.add(other)
            if other == name:
                break
        counts, picks, year_of, kept_years, resampled = self._draws.pop(name)
        outcomes = {figure: getattr(batch, figure) for figure in POOL_FIGURES}
        pool = bootstrap_pool_sums(kept_years, resampled, outcomes, self.bootstrap_years, POOL_FIGURES)
        self._shares[name] = ({**_type_years(batch, counts, picks, year_of), "incidents": counts}, pool)
        order = list(self.plan.rates_per_year)
        while len(self._added) < len(order) and order[len(self._added)] in self._shares:
            self._add_share(order[len(self._added)])

    def _add_share(self, name: str) -> None:
        """Add the share of ``name`` (every type before it is added) to the totals."""
        share, pool = self._shares.pop(name)
        for figure, total in self._totals.items():
            total += share[figure]
        self._weights[name] = np.zeros(self.sizes[name]) + share["weights"]
        for figure, part in pool.items():
            self._sums[figure] += part
        self._added.append(name)

    def samples(self, batches: dict[str, Batch]) -> AnnualSamples:
        """``annual_samples(plan, batches)``: the shares added up, when every type's is in."""
        if not self.usable or self._added != list(self.plan.rates_per_year):
            return annual_samples(self.plan, batches)
        totals = self._totals
        figures = _years(totals["downtime_s"], totals["lost_tx"], totals["conflicting_tx"], totals["incidents"])
        return {
            **figures,
            "pool_rounds": _pool_rounds(dict(self._sums)),
            "sample_size": sample_size(self.plan, batches, self._weights),
        }


def exact_years(plan: RunPlan, batches: dict[str, Batch]) -> AnnualSamples:
    """Simulated years with one replay per incident (exact compound Poisson, ``plan_exact_run``).

    Year ``y`` holds ``exact_counts(…)[type][y]`` incidents of each type: the next ones of that
    type's replays in trial order, each used once. No pool is resampled, so ``pool_rounds`` holds
    one round (the years themselves): it widens no interval.
    """
    years = plan.years
    figures = {key: np.zeros(years) for key in ("downtime_s", "lost_tx", "conflicting_tx", "incidents")}
    weights = {}
    for name, counts in exact_counts(plan.seed, years, plan.rates_per_year).items():
        batch, n = batches[name], int(counts.sum())
        if len(batch) < n:
            raise ValueError(f"parts: {name} has {len(batch)} replays, its exact years hold {n} incidents")
        year_of = np.repeat(np.arange(years), counts)
        figures["downtime_s"] += np.bincount(year_of, weights=batch.impact_s[:n], minlength=years)
        figures["lost_tx"] += np.bincount(year_of, weights=batch.lost_tx[:n], minlength=years)
        figures["conflicting_tx"] += np.bincount(year_of, weights=batch.conflicting_tx[:n], minlength=years)
        figures["incidents"] += counts
        weights[name] = (np.arange(len(batch)) < n).astype(float)
    availability = 1.0 - np.minimum(figures["downtime_s"], SECONDS_PER_YEAR) / SECONDS_PER_YEAR
    kept = min(years, BOOTSTRAP_YEARS)
    one_round = {key: figures[key][None, :kept] for key in ("downtime_s", "lost_tx", "conflicting_tx")}
    return {
        "downtime_s": figures["downtime_s"],
        "availability": availability,
        "lost_tx": figures["lost_tx"],
        "conflicting_tx": figures["conflicting_tx"],
        "incidents": figures["incidents"],
        "pool_rounds": {**one_round, "availability": availability[None, :kept]},
        "sample_size": sample_size(plan, batches, weights),
    }


def sample_size(plan: RunPlan, batches: dict[str, Batch], weights: dict[str, np.ndarray]) -> dict[str, Any]:
    """How many independent incidents and years carry the annual figures (docs/results.md, ``sample_size``).

    ``weights[type][k]``: how many simulated incidents are replay ``k``. Per type: ``replays`` (the
    pool), ``draws`` (simulated incidents), ``distinct`` (replays drawn at least once) and ``kish``,
    the Kish effective sample size (Σw)² / Σw². ``effective_years``: the number of independent years,
    each with its own replays, whose mean annual downtime would be as precise as these years' —
    ``years`` × Σ(σ²·n + Y·λ·μ²) / Σ(σ²·Σw² + Y·λ·μ²) over the types, with μ and σ the mean and
    standard deviation of a type's impact, n its draws, λ its rate and Y the years (a resampled
    replay counts once per draw in Σw², so the pool's own noise lowers it; exact mode gives ``years``).
    """
    years = plan.years
    per_type: dict[str, dict[str, float | int]] = {}
    exact_var = pooled_var = 0.0
    for name, w in weights.items():
        impact = batches[name].impact_s
        draws, squares = float(w.sum()), float(np.square(w).sum())
        per_type[name] = {
            "replays": len(w),
            "draws": int(draws),
            "distinct": int(np.count_nonzero(w)),
            "kish": draws**2 / squares if squares > 0 else 0.0,
        }
        count_noise = years * plan.rates_per_year[name] * float(np.mean(impact)) ** 2
        variance = float(np.var(impact))
        exact_var += variance * draws + count_noise
        pooled_var += variance * squares + count_noise
    effective = years * exact_var / pooled_var if pooled_var > 0 else float(years)
    return {"mode": plan.years_mode, "effective_years": effective, "incident_types": per_type}


def pool_bootstrap(
    plan: RunPlan, batches: dict[str, Batch], first_block: dict[str, tuple[np.ndarray, np.ndarray]], years: int
) -> dict[str, np.ndarray]:
    """The first ``years`` simulated years re-read from ``BOOTSTRAP_ROUNDS`` resampled incident pools.

    Years resample a pool of only K replayed incidents per type, so the annual figures
    also depend on which K incidents the pool holds; the spread over the rounds is that
    share of their uncertainty (``stats.bootstrap_year_sums``). Rounds draw from the
    stream with spawn key ``(len(MODELS), 1)``. Returns rounds × years arrays per figure.
    """
    pools = [
        (*first_block[name], {figure: getattr(batches[name], figure) for figure in POOL_FIGURES})
        for name in plan.rates_per_year
    ]
    return _pool_rounds(bootstrap_year_sums(_annual_rng(plan, 1), pools, years, BOOTSTRAP_ROUNDS, POOL_FIGURES))


def _pool_rounds(sums: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The bootstrap's sums by figure as ``pool_rounds`` names them, with each round's availability."""
    sums["downtime_s"] = sums.pop("impact_s")
    sums["availability"] = 1.0 - np.minimum(sums["downtime_s"], SECONDS_PER_YEAR) / SECONDS_PER_YEAR
    return sums


def annual_results(samples: AnnualSamples) -> dict[str, Any]:
    downtime = samples["downtime_s"]
    rounds = samples["pool_rounds"]
    top = float(downtime.max())
    counts, edges = np.histogram(downtime, bins=HISTOGRAM_BINS, range=(0.0, top if top > 0 else 1.0))
    availability_rounds = rounds["availability"]
    return {
        "downtime_s": summarize_with_rounds(downtime, rounds["downtime_s"], low=0.0),
        "downtime_histogram": {"edges_s": [float(e) for e in edges], "counts": [int(c) for c in counts]},
        "availability": summarize_with_rounds(samples["availability"], availability_rounds, low=0.0, high=1.0),
        "lost_tx": summarize_with_rounds(samples["lost_tx"], rounds["lost_tx"], low=0.0),
        "conflicting_tx": summarize_with_rounds(samples["conflicting_tx"], rounds["conflicting_tx"], low=0.0),
        "incidents": summarize(samples["incidents"]),  # counts do not depend on the pool
        "ecdf": {"downtime_s": ecdf_quantiles(downtime), "availability": ecdf_quantiles(samples["availability"])},
        "bootstrap": {
            "rounds": int(availability_rounds.shape[0]),
            "years": int(availability_rounds.shape[1]),
            "availability_ecdf": np.quantile(availability_rounds, BOOTSTRAP_ECDF_LEVELS, axis=1).T.tolist(),
        },
        "sample_size": samples["sample_size"],
    }
