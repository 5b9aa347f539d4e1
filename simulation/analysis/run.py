"""A whole run: the engine's outcomes, then costs, verdicts and the checklist — the results of docs/results.md.

The analyses the finishing step needs (costs, verdicts, the checklist, the result records) are imported once
the first type's chunks are in (``run_plan``): the pool's processes run chunks meanwhile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from simulation.engine.annual import YearsByType, annual_results, annual_samples
from simulation.engine.chunks import ChunkResult, batches_by_type, simulate_type, type_chunks
from simulation.engine.plan import RunPlan, plan_run, scenario_sha256
from simulation.engine.replays import type_results
from simulation.engine.runner import Also, Progress, Runner, execute
from simulation.incidents.outcomes import Batch
from simulation.model.loading import dump_document
from simulation.model.scenario import Scenario
from simulation.version import ENGINE_VERSION, RESULT_SCHEMA

if TYPE_CHECKING:
    from simulation.analysis.checklist import SimulateType
    from simulation.analysis.outcomes import SortedOutcomes
    from simulation.engine.results import RunResults


def finish_run(
    scenario: Scenario,
    plan: RunPlan,
    parts: list[ChunkResult],
    *,
    checklist: bool = True,
    variant_runs: SimulateType | None = None,
) -> RunResults:
    """The results of docs/results.md from a plan's chunk results (any order, no duplicates).

    The incidents whose timelines are kept (``replays``) are replayed again here, one by one.
    ``variant_runs``: how the checklist gets its variant runs (``simulate_type``'s signature), e.g. from
    results other workers stored; by default they are simulated here.
    """
    return finish_run_with_outcomes(scenario, plan, parts, checklist=checklist, variant_runs=variant_runs)[0]


def finish_run_with_outcomes(
    scenario: Scenario,
    plan: RunPlan,
    parts: list[ChunkResult],
    *,
    checklist: bool = True,
    progress: Progress | None = None,
    variant_runs: SimulateType | None = None,
    type_figures: dict[str, dict[str, Any]] | None = None,
    years: YearsByType | None = None,
    type_batches: dict[str, Batch] | None = None,
) -> tuple[RunResults, SortedOutcomes]:
    """``finish_run``, and the run's sorted outcomes: what re-judging it against other targets needs
    (``verdicts.judge_outcomes``; store them with ``outcomes.pack``). ``progress(done, total)`` reports
    the finishing step's own progress (the simulated years, then each checklist question); ``variant_runs``
    as for ``finish_run``; ``type_figures``: the figures of types already made from these parts
    (``engine.replays.type_results``, e.g. while the other types' chunks ran); ``years``: the simulated
    years' shares of the types already added (``annual.YearsByType``), likewise; ``type_batches``: the outcomes
    of types already put together from these parts in trial order (``batches_by_type``'s), likewise."""
    from simulation.analysis.checklist import QUESTIONS, evaluate_checklist
    from simulation.analysis.costs import monthly_costs
    from simulation.analysis.outcomes import SortedOutcomes
    from simulation.analysis.verdicts import judge_outcomes
    from simulation.engine.results import AnnualResults, ChecklistItem, Costs, RunResults, TypeResults, Verdict

    if scenario_sha256(scenario) != plan.scenario_sha256:
        raise ValueError("scenario: not the scenario this plan was made for")
    made_batches = type_batches or {}
    if all(name in made_batches for name in plan.rates_per_year):
        batches = {name: made_batches[name] for name in plan.rates_per_year}
    else:
        batches = batches_by_type(plan, parts)
    annual = annual_samples(plan, batches) if years is None else years.samples(batches)
    made = type_figures or {}
    per_type = {
        name: made[name] if name in made else type_results(scenario, plan, name, batch)
        for name, batch in batches.items()
    }
    costs = monthly_costs(
        scenario,
        annual_downtime_s=float(np.mean(annual["downtime_s"])),
        annual_lost_tx=float(np.mean(annual["lost_tx"])),
        annual_conflicting_tx=float(np.mean(annual["conflicting_tx"])),
    )
    if progress is not None:
        progress(1, 1 + (len(QUESTIONS) if checklist else 0))  # the years are combined
    outcomes = SortedOutcomes.of_run(batches, annual["availability"], annual["pool_rounds"]["availability"])
    verdicts = judge_outcomes(outcomes, scenario.targets, costs["infrastructure_usd_per_month"], costs["currency"])
    items = (
        evaluate_checklist(
            scenario,
            batches,
            seed=plan.seed,
            trials=plan.trials,
            chunk_size=plan.chunk_size,
            simulate_type=variant_runs or simulate_type,
            progress=None if progress is None else (lambda done, total: progress(done + 1, total + 1)),
        )
        if checklist
        else []
    )
    results = RunResults(
        result_schema=RESULT_SCHEMA,
        engine_version=ENGINE_VERSION,
        seed=plan.seed,
        trials_per_type=plan.trials,
        years=plan.years,
        chunk_size=plan.chunk_size,
        precision_s=plan.precision_s,
        scenario_name=scenario.name,
        scenario_sha256=plan.scenario_sha256,
        scenario=dump_document(scenario),
        recovery_threshold=scenario.simulation.recovery_threshold,
        incident_types={name: TypeResults.from_json(entry) for name, entry in per_type.items()},
        annual=AnnualResults.from_json(annual_results(annual)),
        costs=Costs.from_json(costs),
        verdicts=tuple(Verdict.from_json(v) for v in verdicts),
        targets_met=all(v["met"] for v in verdicts),
        checklist=tuple(ChecklistItem.from_json(item) for item in items),
    )
    return results, outcomes


def run(
    scenario: Scenario,
    *,
    trials: int,
    seed: int,
    years: int = 10_000,
    workers: int = 1,
    progress: Progress | None = None,
    precision_s: float | None = None,
    chunk_size: int = 250,
    checklist: bool = True,
) -> RunResults:
    """Plan, run every chunk (on ``workers`` processes, this one included) and finish: the results
    (``.to_json()`` is the results JSON).

    ``precision_s``: stop replaying a type once the 95 % interval of its RTO p95
    lies within ± that many seconds (checked after each round of chunks, so the
    result stays deterministic). ``progress(done, total)`` is called per chunk.
    """
    if workers < 1:
        raise ValueError("workers: must be at least 1")
    plan = plan_run(scenario, trials=trials, seed=seed, years=years, chunk_size=chunk_size, precision_s=precision_s)
    runner = Runner(scenario, plan, workers)  # a pool's processes start now, while the rest is prepared
    try:
        also = []  # on a pool, the checklist's variant runs go alongside the chunks
        if checklist and workers > 1 and precision_s is None:
            from simulation.analysis.checklist import variant_runs

            runs = variant_runs(scenario, trials=trials, chunk_size=chunk_size)
            also = [(variant, spec) for variant, name, m in runs for spec in type_chunks(name, m, chunk_size)]
    except BaseException:
        runner.close()
        raise
    return run_plan(scenario, plan, workers=workers, progress=progress, checklist=checklist, also=also, runner=runner)


def _import_finishing() -> None:
    """Import the analyses the finishing step needs (``finish_run_with_outcomes``)."""
    import simulation.analysis.checklist
    import simulation.analysis.costs
    import simulation.analysis.outcomes
    import simulation.analysis.verdicts
    import simulation.engine.results  # noqa: F401


def run_plan(
    scenario: Scenario,
    plan: RunPlan,
    *,
    workers: int = 1,
    progress: Progress | None = None,
    checklist: bool = True,
    also: Also = (),
    runner: Runner | None = None,
) -> RunResults:
    """Run every chunk of ``plan`` (``runner.execute``, on ``runner`` when one was made already) and finish
    (``finish_run``), the same results.

    Each type's figures (its summaries and its kept replays) and its share of the simulated years are
    made in this process as soon as its chunks are in, while the pool runs the other types' chunks:
    only the years' totals, the checklist and the last type's figures are left for the end.
    """
    figures: dict[str, dict[str, Any]] = {}
    years = YearsByType(plan)
    batches: dict[str, Batch] = {}

    def type_done(name: str, parts: list[ChunkResult]) -> None:
        _import_finishing()  # once, while the pool runs chunks (then a look-up)
        batches[name] = Batch.concat([part.batch() for part in parts])
        figures[name] = type_results(scenario, plan, name, batches[name])
        years.add(name, batches[name])

    parts = execute(scenario, plan, workers=workers, progress=progress, also=also, type_done=type_done, runner=runner)
    return finish_run_with_outcomes(
        scenario, plan, parts, checklist=checklist, type_figures=figures, years=years, type_batches=batches
    )[0]


def run_with_outcomes(
    scenario: Scenario, *, trials: int, seed: int, years: int = 10_000, checklist: bool = True
) -> tuple[RunResults, SortedOutcomes]:
    """``run`` in this process, with the run's sorted outcomes (``finish_run_with_outcomes``)."""
    plan = plan_run(scenario, trials=trials, seed=seed, years=years)
    parts = execute(scenario, plan, workers=1)
    return finish_run_with_outcomes(scenario, plan, parts, checklist=checklist)
