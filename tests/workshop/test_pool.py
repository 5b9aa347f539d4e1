"""The warm pool gives the same figures as a run in the request's process, and starts once."""

from __future__ import annotations

import pytest

from simulation import load_scenario
from simulation.analysis.variants import RunSettings, run_figures_until_decided
from simulation.model.loading import dump_document
from workshop import pool

pytestmark = pytest.mark.slow


@pytest.fixture
def warm_pool(settings):
    settings.WORKSHOP_WORKERS = 2
    yield
    pool._discard()


def test_the_pool_answers_with_the_in_process_figures(warm_pool):
    scenario = load_scenario({"pattern": "active-passive"})
    small = RunSettings(trials=60, years=100, seed=4)
    expected = run_figures_until_decided(scenario, small, ecdf=True)
    first = pool.quick_figures(scenario, dump_document(scenario), small)
    executor = pool._pool
    second = pool.quick_figures(scenario, dump_document(scenario), small)
    assert first.to_json() == expected.to_json() == second.to_json()
    assert executor is not None and pool._pool is executor  # kept warm, not started again


def test_without_workers_it_runs_in_process(settings):
    settings.WORKSHOP_WORKERS = 0
    scenario = load_scenario({"pattern": "single-region"})
    small = RunSettings(trials=40, years=50, seed=4)
    assert pool.quick_figures(scenario, dump_document(scenario), small).to_json() == (
        run_figures_until_decided(scenario, small, ecdf=True).to_json()
    )
    assert pool._pool is None
