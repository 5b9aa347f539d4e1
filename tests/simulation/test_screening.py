"""Searches screen their variants (rounds of a few incidents, stopped once settled) and confirm the answer in full;
the checklist prices a "no" on as few incidents as its interval allows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulation.analysis import checklist
from simulation.analysis.advise import cheapest_fixes
from simulation.analysis.checklist import QUESTIONS, fixed_variant, saving_usd_per_month
from simulation.analysis.screening import SEARCH_CHUNK, screen, screen_until_decided
from simulation.analysis.sensitivity import tornado
from simulation.analysis.variants import RunSettings
from simulation.engine.cache import SHARED
from simulation.engine.chunks import simulate_incidents, simulate_type
from simulation.model.loading import load_file
from simulation.model.overrides import apply_overrides

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SMALL = RunSettings(trials=100, years=300, seed=5)


@pytest.fixture(scope="module")
def opener():
    return load_file(EXAMPLES / "opener-incident.yaml")


@pytest.fixture(scope="module")
def worked():
    return load_file(EXAMPLES / "worked-active-passive.yaml")


def _arrays(screened):
    return {name: (b.rto_s.tolist(), b.impact_s.tolist()) for name, b in screened.batches.items()}


def test_a_later_round_extends_the_earlier_ones(worked):
    one, two = screen(worked, SMALL, None, 1), screen(worked, SMALL, None, 2)
    assert one.incidents == SEARCH_CHUNK and two.incidents == 2 * SEARCH_CHUNK
    for name, batch in one.batches.items():
        assert np.array_equal(two.batches[name].rto_s[:SEARCH_CHUNK], batch.rto_s)


def test_a_change_no_model_reads_leaves_the_incidents_and_hits_the_cache(worked):
    SHARED.clear()
    base = screen(worked, SMALL, None, 2)
    misses = SHARED.misses
    stricter = screen(apply_overrides(worked, {"targets.rto_s": 30}), SMALL, None, 2)
    assert _arrays(stricter) == _arrays(base)
    assert SHARED.misses == misses  # every chunk from the cache


def test_a_deploy_change_replays_only_bad_deploys(worked):
    SHARED.clear()
    screen(worked, SMALL, None, 1)
    misses = SHARED.misses
    strategy = "canary" if worked.deployment.strategy == "blue-green" else "blue-green"
    screen(apply_overrides(worked, {"deployment.strategy": strategy}), SMALL, None, 1)
    assert SHARED.misses == misses + 1  # one chunk: bad_deploy's


def test_it_screens_only_the_types_asked_for(opener):
    screened = screen(opener, SMALL, frozenset({"db_primary_failure"}), 1)
    assert set(screened.batches) == {"db_primary_failure"}
    assert all(v["target"] != "availability" for v in screened.verdicts)


def test_a_variant_clearly_missing_its_target_stops_after_one_round(opener):
    strict = apply_overrides(opener, {"targets.rto_s": 1})
    result, verdicts = screen_until_decided(strict, SMALL, frozenset({"db_primary_failure"}), lambda v: True)
    assert result.incidents == SEARCH_CHUNK
    assert not any(v["met"] for v in verdicts if v["target"] == "rto")


def test_an_undecided_variant_replays_every_incident(opener):
    never = lambda verdict: verdict["target"] == "rto"  # noqa: E731
    result, _ = screen_until_decided(opener, SMALL, frozenset({"instance_crash"}), never)
    assert result.incidents in (SEARCH_CHUNK * 3, SMALL.trials)  # met in all: decided at 75 (Wilson ≥ 0.95)


@pytest.mark.slow
def test_advice_confirms_its_answer_with_a_full_run(opener):
    report = cheapest_fixes(opener, settings=SMALL, incident_types=["db_primary_failure"], targets=["rto"])
    first = report["fixes"][0]
    assert first["confirmed"] and first["incidents_per_type"] == SMALL.trials and first["targets_met"]
    assert all(not fix["confirmed"] for fix in report["fixes"][1:])
    assert all(c["incidents_per_type"] <= SMALL.trials for c in report["fixes"] + report["closest"])
    again = cheapest_fixes(opener, settings=SMALL, incident_types=["db_primary_failure"], targets=["rto"])
    assert again == report  # deterministic for a seed


@pytest.mark.slow
def test_the_tornado_confirms_its_widest_bar_and_screens_the_others(worked):
    keys = ["validate_on_borrow", "deployment_strategy", "detection_interval_s"]
    result = tornado(worked, parameters=keys, settings=SMALL)
    bars = result["parameters"]
    assert sum(bar["confirmed"] for bar in bars) == 1
    confirmed = next(bar for bar in bars if bar["confirmed"])
    assert confirmed["low"]["incidents_per_type"] is None  # every incident
    for bar in bars:
        if not bar["confirmed"]:
            assert bar["low"]["incidents_per_type"] <= SMALL.trials


def test_the_first_incidents_replayed_alone_are_those_of_the_whole_run(worked):
    whole = simulate_type(worked, "db_primary_failure", seed=2, trials=500, chunk_size=250)
    part = simulate_incidents(worked, "db_primary_failure", seed=2, trials=500, chunk_size=250, start=40, stop=290)
    assert np.array_equal(part.rto_s, whole.rto_s[40:290])
    assert np.array_equal(part.impact_s, whole.impact_s[40:290])


def test_a_price_stops_once_its_interval_allows(opener, monkeypatch):
    asked: list[int] = []

    def recording(*args, **kwargs):
        asked.append(kwargs["stop"])
        return simulate_incidents(*args, **kwargs)

    monkeypatch.setattr(checklist, "simulate_incidents", recording)
    question = next(q for q in QUESTIONS if q.number == 3)
    variant = fixed_variant(opener, 3)
    common = {"seed": 1, "trials": 500, "chunk_size": 250}
    quick = saving_usd_per_month(opener, variant, question, {}, simulate_type=simulate_type, **common)
    assert max(asked) < checklist.CHECKLIST_TRIALS  # fewer incidents than a whole variant run

    def whole_runs(scenario, name, *, seed, trials, chunk_size):  # e.g. stored by other workers
        return simulate_type(scenario, name, seed=seed, trials=trials, chunk_size=chunk_size)

    assert saving_usd_per_month(opener, variant, question, {}, simulate_type=whole_runs, **common) == quick
