"""The shared cache of incident outcomes: same bytes as without it, declarations that hold, bounded memory."""

import json
from pathlib import Path

import numpy as np
import pytest

from simulation.analysis.run import run
from simulation.analysis.variants import RunSettings, run_figures
from simulation.engine import cache
from simulation.engine.cache import SHARED, OutcomeCache
from simulation.incidents import MODELS
from simulation.incidents.outcomes import Batch
from simulation.model.loading import ScenarioError, dump_document, load_file, load_scenario

ROOT = Path(__file__).resolve().parents[2]
SMALL = RunSettings(trials=250, years=200, seed=3)


@pytest.fixture
def fresh_cache():
    SHARED.clear()
    yield SHARED
    SHARED.enabled = True
    SHARED.clear()


def _json(results) -> str:
    return json.dumps(results.to_json(), sort_keys=True)


@pytest.mark.slow
def test_cached_and_uncached_runs_give_the_same_bytes(fresh_cache):
    scenario = load_file(ROOT / "examples" / "opener-incident.yaml")
    fresh_cache.enabled = False
    uncached = _json(run(scenario, trials=250, seed=4, years=200))
    fresh_cache.enabled = True
    first = _json(run(scenario, trials=250, seed=4, years=200))
    again = _json(run(scenario, trials=250, seed=4, years=200))  # every chunk from the cache
    assert fresh_cache.hits > 0
    assert uncached == first == again


@pytest.mark.slow
def test_a_variant_reuses_the_types_whose_sections_it_leaves_alone(fresh_cache):
    base = load_file(ROOT / "examples" / "worked-active-passive.yaml")
    document = dump_document(base)
    strategy = document["deployment"]["strategy"]
    document["deployment"]["strategy"] = "canary" if strategy == "blue-green" else "blue-green"
    variant = load_scenario(document)
    run_figures(base, SMALL)
    before = fresh_cache.hits
    figures = run_figures(variant, SMALL)
    reused = fresh_cache.hits - before
    assert reused == len(figures.incident_types) - 1  # everything but bad_deploy
    fresh_cache.enabled = False
    assert run_figures(variant, SMALL) == figures


def _leaves(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, (*path, i))
    elif isinstance(value, (bool, int, float)):
        yield path, value


def _changed(value):
    if isinstance(value, bool):
        return not value
    return value * 1.5 + 1


def _set(document, path, value):
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in MODELS if cache.reads_of(n) is not None])
def test_a_model_outcomes_ignore_every_number_and_switch_outside_what_it_declares_it_reads(name):
    reads = cache.reads_of(name)
    base = dump_document(load_file(ROOT / "examples" / "opener-incident.yaml"))
    expected = MODELS[name].simulate(load_scenario(base), np.random.default_rng(5), 30)
    outside = [(p, v) for p, v in _leaves(base) if p[0] not in reads and ".".join(map(str, p[:2])) not in reads]
    assert outside  # the test looks at something
    for path, value in outside:
        document = json.loads(json.dumps(base))
        _set(document, path, _changed(value))
        try:
            variant = load_scenario(document)
        except ScenarioError:
            continue  # the changed value is not valid there: no variant to compare
        got = MODELS[name].simulate(variant, np.random.default_rng(5), 30)
        assert np.array_equal(got.rto_s, expected.rto_s), path
        assert np.array_equal(got.impact_s, expected.impact_s), path
        assert np.array_equal(got.data_loss_s, expected.data_loss_s), path


def test_the_cache_drops_the_least_recently_used_chunks_past_its_bound():
    small = OutcomeCache(max_bytes=3 * Batch.empty(10).rto_s.nbytes * 6)
    made = []

    def compute(i):
        return lambda: made.append(i) or Batch.empty(10)

    for i in range(4):
        small.get_or_compute(("t", "x", 0, 0, i, 10), compute(i))
    assert small.bytes <= small.max_bytes
    small.get_or_compute(("t", "x", 0, 0, 3, 10), compute(3))  # still held
    small.get_or_compute(("t", "x", 0, 0, 0, 10), compute(0))  # dropped first: computed again
    assert made == [0, 1, 2, 3, 0]


def test_cached_outcomes_are_read_only(fresh_cache):
    scenario = load_file(ROOT / "examples" / "worked-active-passive.yaml")
    run_figures(scenario, SMALL)
    batch = next(iter(fresh_cache._entries.values()))
    with pytest.raises(ValueError):
        batch.rto_s[0] = 1.0


@pytest.mark.slow
def test_on_a_pool_the_checklist_variants_run_alongside_and_the_bytes_stay_the_same(fresh_cache):
    scenario = load_file(ROOT / "examples" / "opener-incident.yaml")  # several checklist answers are "no"
    fresh_cache.enabled = False
    one = _json(run(scenario, trials=250, seed=6, years=200, workers=1))
    fresh_cache.enabled = True
    two = _json(run(scenario, trials=250, seed=6, years=200, workers=2))
    assert fresh_cache.hits > 0  # the checklist found its variant runs done on the pool
    assert one == two
