"""Quick runs of scenario variants, for comparisons: the workshop, the tornado, the advice.

``QUICK`` holds the run settings the workshop uses for its instant re-runs;
the same seed for every variant gives common random numbers, so differences
between variants are effects, not noise.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from simulation.analysis.costs import monthly_costs
from simulation.analysis.run import run
from simulation.analysis.verdicts import verdicts_for_run
from simulation.engine.annual import annual_years
from simulation.engine.chunks import ChunkResult, batches_by_type, run_chunk
from simulation.engine.plan import RunPlan, plan_run
from simulation.engine.results import Costs, JsonRecord, RunResults, TypeEcdf, Verdict
from simulation.engine.stats import ecdf_quantiles
from simulation.incidents.outcomes import Batch
from simulation.model.loading import dump_document
from simulation.model.scenario import Scenario


@dataclass(frozen=True)
class RunSettings:
    """How hard to simulate: replays per incident type, simulated years, seed."""

    trials: int
    years: int
    seed: int


QUICK_SEED = 20_240_601
# Measured on the 2-core CI machine (benchmarks/workshop.py): a quick run of
# worked-active-passive.yaml fits the workshop's one-second budget with room
# for the request and the chart.
QUICK = RunSettings(trials=500, years=2_000, seed=QUICK_SEED)


# -- paths -----------------------------------------------------------------------------------
def run_scenario(scenario: Scenario, settings: RunSettings = QUICK, *, checklist: bool = False) -> RunResults:
    """Results (docs/results.md) of one scenario at the given settings; the checklist only when asked for
    (its variant runs about double the time of a quick run), e.g. for a run that is saved."""
    return run(scenario, trials=settings.trials, seed=settings.seed, years=settings.years, checklist=checklist)


@dataclass(frozen=True, kw_only=True)
class Brief(JsonRecord):
    """The two statistics comparisons read of a sample: its mean and p95 (as ``Stats`` has them)."""

    mean: float
    p95: float


@dataclass(frozen=True, kw_only=True)
class TypeFigures(JsonRecord):
    """The lean figures of one incident type (``TypeResults`` without intervals and replays)."""

    rate_per_year: float
    trials: int
    rto_s: Brief
    impact_s: Brief
    data_loss_s: Brief
    ecdf: TypeEcdf | None = None


@dataclass(frozen=True, kw_only=True)
class AnnualFigures(JsonRecord):
    """The means and p95s of the simulated years."""

    downtime_s: Brief
    availability: Brief
    lost_tx: Brief
    conflicting_tx: Brief = Brief(mean=0.0, p95=0.0)  # none in figures stored before split brain was modelled


@dataclass(frozen=True, kw_only=True)
class RunFigures(JsonRecord):
    """A lean ``RunResults``: the same attribute names for what it keeps, so readers of either read both."""

    seed: int
    trials_per_type: int
    years: int
    incident_types: dict[str, TypeFigures]
    annual: AnnualFigures
    costs: Costs
    verdicts: tuple[Verdict, ...]
    targets_met: bool
    scenario: dict[str, Any] | None = None  # with ``ecdf``: the full document


def _brief(values: np.ndarray) -> Brief:
    """Mean and p95 as ``stats.summarize`` computes them: on the sorted values."""
    ordered = np.sort(np.asarray(values, dtype=float))
    return Brief(mean=float(np.mean(ordered)), p95=float(np.quantile(ordered, 0.95)))


def run_figures(scenario: Scenario, settings: RunSettings = QUICK, *, ecdf: bool = False) -> RunFigures:
    """The figures comparisons need: per type the rate and the mean and p95 of RTO, impact and data loss;
    annual means; costs; verdicts. No confidence intervals or replays, which take most of a full run's
    time. The same numbers as ``run_scenario`` with the same settings (same chunks, same streams). With
    ``ecdf``: also the full document and each type's ECDF quantiles, which is what the workshop page draws."""
    plan = plan_run(scenario, trials=settings.trials, seed=settings.seed, years=settings.years)
    parts = [run_chunk(scenario, plan, i) for i in range(len(plan.chunks))]
    return figures_of_parts(scenario, plan, parts, ecdf)


def interval_decided(ci: tuple[float, float] | list[float], confidence: float) -> bool:
    """Whether a verdict's interval lies on one side of its confidence level (more replays would not flip
    it, at the interval's confidence)."""
    return ci[0] >= confidence or ci[1] < confidence


def decided(verdicts: list[dict[str, Any]]) -> bool:
    """Whether every verdict is decided (``interval_decided``)."""
    return all(interval_decided(v["ci"], v["confidence"]) for v in verdicts)


def run_figures_until_decided(scenario: Scenario, settings: RunSettings = QUICK, *, ecdf: bool = False) -> RunFigures:
    """``run_figures`` with fewer replays where the intervals allow: first the first chunk of every
    incident type (the same streams as a run of one chunk per type); when every verdict is then decided
    those figures stand, else the remaining chunks are added and the figures are those of the full run."""
    plan = plan_run(scenario, trials=settings.trials, seed=settings.seed, years=settings.years)
    first = {plan.chunks_of(name)[0] for name in plan.rates_per_year}
    parts = [run_chunk(scenario, plan, i) for i in sorted(first)]
    if len(parts) < len(plan.chunks):
        early = figures_of_parts(scenario, plan, parts, ecdf)
        if decided([v.to_json() for v in early.verdicts]):
            return early
        parts += [run_chunk(scenario, plan, i) for i in range(len(plan.chunks)) if i not in first]
    return figures_of_parts(scenario, plan, parts, ecdf)


def figures_of_parts(scenario: Scenario, plan: RunPlan, parts: list[ChunkResult], ecdf: bool) -> RunFigures:
    """The lean figures of a run from its chunk results (any subset of the plan's chunks, any order)."""
    batches = batches_by_type(plan, parts)
    annual = annual_years(plan, batches)  # no intervals: no pool bootstrap
    costs = monthly_costs(
        scenario,
        annual_downtime_s=float(np.mean(annual["downtime_s"])),
        annual_lost_tx=float(np.mean(annual["lost_tx"])),
        annual_conflicting_tx=float(np.mean(annual["conflicting_tx"])),
    )
    verdicts = verdicts_for_run(scenario, batches, annual["availability"], costs)
    return RunFigures(
        seed=plan.seed,
        trials_per_type=min(len(batch) for batch in batches.values()) if batches else plan.trials,
        years=plan.years,
        incident_types={
            name: TypeFigures(
                rate_per_year=plan.rates_per_year[name],
                trials=len(batch),
                rto_s=_brief(batch.rto_s),
                impact_s=_brief(batch.impact_s),
                data_loss_s=_brief(batch.data_loss_s),
                ecdf=_type_ecdf(batch) if ecdf else None,
            )
            for name, batch in batches.items()
        },
        annual=AnnualFigures(
            **{key: _brief(annual[key]) for key in ("downtime_s", "availability", "lost_tx", "conflicting_tx")}
        ),
        costs=Costs.from_json(costs),
        verdicts=tuple(Verdict.from_json(v) for v in verdicts),
        targets_met=all(v["met"] for v in verdicts),
        scenario=dump_document(scenario) if ecdf else None,
    )


def _type_ecdf(batch: Batch) -> TypeEcdf:
    return TypeEcdf(rto_s=tuple(ecdf_quantiles(batch.rto_s)), data_loss_s=tuple(ecdf_quantiles(batch.data_loss_s)))


def with_ecdf(figures: RunFigures, plan: RunPlan, parts: list[ChunkResult]) -> RunFigures:
    """``figures`` (``figures_of_parts`` of these parts without ``ecdf``) with each type's ECDF quantiles, as
    ``figures_of_parts`` with ``ecdf`` has them (the full document aside): added only to figures that are kept."""
    batches = batches_by_type(plan, parts)
    return replace(
        figures,
        incident_types={
            name: replace(type_figures, ecdf=_type_ecdf(batches[name]))
            for name, type_figures in figures.incident_types.items()
        },
    )
