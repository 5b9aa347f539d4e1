"""A whole run: the engine's outcomes, then costs, verdicts and the checklist — the results of docs/results.md."""

from __future__ import annotations

import numpy as np

from simulation.analysis.checklist import SimulateType, evaluate_checklist, variant_runs
from simulation.analysis.costs import monthly_costs
from simulation.analysis.verdicts import verdicts_for_run
from simulation.engine.annual import annual_results, annual_samples
from simulation.engine.chunks import ChunkResult, batches_by_type, simulate_type, type_chunks
from simulation.engine.plan import RunPlan, plan_run, scenario_sha256
from simulation.engine.replays import type_results
from simulation.engine.results import AnnualResults, ChecklistItem, Costs, RunResults, TypeResults, Verdict
from simulation.engine.runner import Progress, execute
from simulation.model.loading import dump_document
from simulation.model.scenario import Scenario
from simulation.version import ENGINE_VERSION, RESULT_SCHEMA


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
    if scenario_sha256(scenario) != plan.scenario_sha256:
        raise ValueError("scenario: not the scenario this plan was made for")
    batches = batches_by_type(plan, parts)
    annual = annual_samples(plan, batches)
    per_type = {name: type_results(scenario, plan, name, batch) for name, batch in batches.items()}
    costs = monthly_costs(
        scenario,
        annual_downtime_s=float(np.mean(annual["downtime_s"])),
        annual_lost_tx=float(np.mean(annual["lost_tx"])),
        annual_conflicting_tx=float(np.mean(annual["conflicting_tx"])),
    )
    verdicts = verdicts_for_run(
        scenario, batches, annual["availability"], costs, availability_rounds=annual["pool_rounds"]["availability"]
    )
    items = (
        evaluate_checklist(
            scenario,
            batches,
            seed=plan.seed,
            trials=plan.trials,
            chunk_size=plan.chunk_size,
            simulate_type=variant_runs or simulate_type,
        )
        if checklist
        else []
    )
    return RunResults(
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
    also = []  # on a pool, the checklist's variant runs go alongside the chunks
    if checklist and workers > 1 and precision_s is None:
        runs = variant_runs(scenario, trials=trials, chunk_size=chunk_size)
        also = [(variant, spec) for variant, name, m in runs for spec in type_chunks(name, m, chunk_size)]
    parts = execute(scenario, plan, workers=workers, progress=progress, also=also)
    return finish_run(scenario, plan, parts, checklist=checklist)
