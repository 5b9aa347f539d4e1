"""Quick runs of scenario variants, for comparisons: the workshop, the tornado, the advice.

``QUICK`` holds the run settings the workshop uses for its instant re-runs;
the same seed for every variant gives common random numbers, so differences
between variants are effects, not noise.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.analysis.costs import monthly_costs
from simulation.analysis.run import run
from simulation.analysis.verdicts import verdicts_for_run
from simulation.engine.annual import annual_samples
from simulation.engine.chunks import batches_by_type, run_chunk
from simulation.engine.plan import plan_run
from simulation.engine.stats import ecdf_quantiles
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
def run_scenario(scenario: Scenario, settings: RunSettings = QUICK, *, checklist: bool = False) -> dict:
    """Results (docs/results.md) of one scenario at the given settings; the checklist only when asked for
    (its variant runs about double the time of a quick run), e.g. for a run that is saved."""
    return run(scenario, trials=settings.trials, seed=settings.seed, years=settings.years, checklist=checklist)


def run_figures(scenario: Scenario, settings: RunSettings = QUICK, *, ecdf: bool = False) -> dict:
    """The figures comparisons need, results-shaped but lean: per type the rate and the mean and p95 of RTO,
    impact and data loss; annual means; costs; verdicts. No confidence intervals, ECDFs or replays, which
    take most of a full run's time. The same numbers as ``run_scenario`` with the same settings (same
    chunks, same streams). With ``ecdf``: also the full document and each type's ECDF quantiles, which
    is what the workshop page draws."""
    plan = plan_run(scenario, trials=settings.trials, seed=settings.seed, years=settings.years)
    parts = [run_chunk(scenario, plan, i) for i in range(len(plan.chunks))]
    batches = batches_by_type(plan, parts)
    annual = annual_samples(plan, batches)
    costs = monthly_costs(scenario, annual_downtime_s=float(np.mean(annual["downtime_s"])),
                          annual_lost_tx=float(np.mean(annual["lost_tx"])))
    verdicts = verdicts_for_run(scenario, batches, annual["availability"], costs)

    def brief(values) -> dict:  # as ``stats.summarize`` computes them: on the sorted values
        ordered = np.sort(np.asarray(values, dtype=float))
        return {"mean": float(np.mean(ordered)), "p95": float(np.quantile(ordered, 0.95))}

    figures = {
        "seed": plan.seed, "trials_per_type": plan.trials, "years": plan.years,
        "incident_types": {name: {"rate_per_year": plan.rates_per_year[name], "trials": len(batch),
                                  "rto_s": brief(batch.rto_s), "impact_s": brief(batch.impact_s),
                                  "data_loss_s": brief(batch.data_loss_s)} for name, batch in batches.items()},
        "annual": {key: brief(annual[key]) for key in ("downtime_s", "availability", "lost_tx")},
        "costs": costs, "verdicts": verdicts, "targets_met": all(v["met"] for v in verdicts),
    }
    if ecdf:
        figures["scenario"] = dump_document(scenario)
        for name, batch in batches.items():
            figures["incident_types"][name]["ecdf"] = {"rto_s": ecdf_quantiles(batch.rto_s),
                                                       "data_loss_s": ecdf_quantiles(batch.data_loss_s)}
    return figures
