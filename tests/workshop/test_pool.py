"""The warm pool gives the same figures as a run in the request's process, and starts once; a quick run stops
each incident type once its verdicts are decided, with the verdicts of the full run."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation import load_file, load_scenario
from simulation.analysis.variants import QUICK, RunSettings, run_figures
from simulation.engine.cache import SHARED
from simulation.engine.plan import plan_run
from simulation.model.loading import dump_document
from simulation.model.overrides import apply_overrides
from workshop import pool, schedule

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def warm_pool(settings):
    settings.WORKSHOP_WORKERS = 2
    yield
    pool._discard()


@pytest.mark.slow
def test_the_pool_answers_with_the_in_process_figures(warm_pool, settings):
    scenario = load_scenario({"pattern": "active-passive"})
    small = RunSettings(trials=600, years=100, seed=4)
    SHARED.clear()
    first = pool.quick_figures(scenario, dump_document(scenario), small)
    executors = list(pool._lanes[False])
    settings.WORKSHOP_WORKERS = 0
    SHARED.clear()
    expected = pool.quick_figures(scenario, dump_document(scenario), small)
    settings.WORKSHOP_WORKERS = 2
    second = pool.quick_figures(scenario, dump_document(scenario), small)
    assert first.to_json() == expected.to_json() == second.to_json()
    assert len(executors) == 2 and pool._lanes[False] == executors  # kept warm, not started again


@pytest.mark.slow
def test_a_move_replays_only_the_types_it_changes(warm_pool):
    """The chunks of the types a move leaves alone come from what the web process kept (``schedule.STORE``),
    whichever process computed them: only the moved type's chunks reach a worker."""
    scenario = load_scenario({"pattern": "active-passive"})
    small = RunSettings(trials=300, years=100, seed=5)
    schedule.STORE.clear()
    pool.quick_figures(scenario, dump_document(scenario), small)
    before = [executor.submit(pool.cache_counts).result() for executor in pool._lanes[False]]
    moved = apply_overrides(dump_document(scenario), {"deployment.strategy": "blue-green"})  # read by one type
    figures = pool.quick_figures(moved, dump_document(moved), small)
    after = [executor.submit(pool.cache_counts).result() for executor in pool._lanes[False]]
    replayed = sum(a[1] - b[1] for a, b in zip(after, before, strict=True))
    assert 1 <= replayed <= figures.incident_types["bad_deploy"].trials // 250 + 1  # bad_deploy's chunks only
    assert sum(a[0] - b[0] for a, b in zip(after, before, strict=True)) == 0  # nothing else was even asked


def test_without_workers_it_runs_in_process(settings):
    pool._discard()  # lanes an earlier test in this process left warm
    settings.WORKSHOP_WORKERS = 0
    scenario = load_scenario({"pattern": "single-region"})
    small = RunSettings(trials=40, years=50, seed=4)
    figures = pool.quick_figures(scenario, dump_document(scenario), small)
    assert figures.to_json()["seed"] == 4 and not pool._lanes


@pytest.mark.slow
@pytest.mark.parametrize("example", ["worked-active-passive.yaml", "active-active-read.yaml", "opener-fixed.yaml"])
@pytest.mark.parametrize("detection_s", [5, 30])
def test_stopping_early_gives_the_verdicts_of_the_full_run(settings, example, detection_s):
    settings.WORKSHOP_WORKERS = 0
    base = load_file(EXAMPLES / example)
    variant = apply_overrides(dump_document(base), {"failover.detection.interval_s": detection_s})
    early = pool.quick_figures(variant, dump_document(variant), QUICK)
    full = run_figures(variant, QUICK)
    assert [(v.target, v.incident_type, v.met) for v in early.verdicts] == [
        (v.target, v.incident_type, v.met) for v in full.verdicts
    ]
    replays = sum(t.trials for t in early.incident_types.values())
    assert replays < sum(t.trials for t in full.incident_types.values())  # some types stopped after one chunk


def test_only_the_types_of_undecided_verdicts_continue(settings):
    settings.WORKSHOP_WORKERS = 0
    scenario = load_file(EXAMPLES / "worked-active-passive.yaml")
    run_settings = QUICK
    plan = plan_run(scenario, trials=run_settings.trials, seed=run_settings.seed, years=run_settings.years)
    first = pool.figures_many([(scenario, dump_document(scenario))], RunSettings(250, QUICK.years, QUICK.seed))[0]
    undecided = pool.undecided_types(first, plan)
    figures = pool.quick_figures(scenario, dump_document(scenario), run_settings)
    assert undecided and undecided != set(plan.rates_per_year)
    for name, figure in figures.incident_types.items():
        assert figure.trials == (500 if name in undecided else 250)


@pytest.mark.parametrize("workers", [0, 2])
def test_the_figures_with_ecdfs_are_those_of_the_chunks_replayed_and_the_lean_ones_judge_alike(settings, workers):
    """ECDFs are put together only for figures that stand (not for a first round whose run continues): the
    same figures as ``figures_of_parts`` with ECDFs of the chunks replayed; without them, the same verdicts."""
    from simulation.analysis.variants import figures_of_parts
    from simulation.engine.chunks import run_chunk

    settings.WORKSHOP_WORKERS = workers
    schedule.STORE.clear()
    scenario = load_file(EXAMPLES / "worked-active-passive.yaml")
    full, lean = (pool.figures_many([(scenario, dump_document(scenario))], QUICK, ecdf=e)[0] for e in (True, False))
    plan = plan_run(scenario, trials=QUICK.trials, seed=QUICK.seed, years=QUICK.years)
    replayed = [i for name, t in full.incident_types.items() for i in plan.chunks_of(name)[: -(-t.trials // 250)]]
    expected = figures_of_parts(scenario, plan, [run_chunk(scenario, plan, i) for i in sorted(replayed)], True)
    assert full.to_json() == expected.to_json()
    assert len(replayed) < len(plan.chunks)  # some types stopped after one chunk
    assert lean.verdicts == full.verdicts and lean.annual == full.annual and lean.costs == full.costs
    assert all(t.ecdf is None for t in lean.incident_types.values())
    pool._discard()
