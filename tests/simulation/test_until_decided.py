"""Fewer replays where the intervals allow: the first chunk of every type stands when every verdict is
decided (the figures of a one-chunk run), else the full run's figures."""

from __future__ import annotations

import pytest

from simulation import load_scenario
from simulation.analysis import variants
from simulation.analysis.variants import RunSettings, decided, run_figures, run_figures_until_decided

TWO_CHUNKS = RunSettings(trials=500, years=300, seed=9)  # 250 incidents a chunk
ONE_CHUNK = RunSettings(trials=250, years=300, seed=9)
QUIET = ("db_primary_failure", "instance_crash", "zone_outage", "dependency_slowdown", "data_corruption")
# Half a region outage a year with no second region: RTO and RPO missed by far, availability met by far.
REGION_ONLY = {
    "pattern": "single-region",
    "deployment": {"deploys_per_month": 0},
    "incidents": {**{name: {"rate_per_year": 0} for name in QUIET}, "region_outage": {"rate_per_year": 0.5}},
}


def _verdict(low: float, high: float, confidence: float = 0.95) -> dict:
    return {"ci": [low, high], "confidence": confidence}


def test_a_verdict_is_decided_when_its_interval_lies_on_one_side():
    assert decided([_verdict(0.96, 0.99), _verdict(0.2, 0.5)])
    assert not decided([_verdict(0.96, 0.99), _verdict(0.93, 0.97)])
    assert decided([])


@pytest.mark.slow
def test_decided_verdicts_stop_after_the_first_chunk_with_its_figures():
    scenario = load_scenario(REGION_ONLY)
    early = run_figures_until_decided(scenario, TWO_CHUNKS, ecdf=True)
    assert early.trials_per_type == 250
    assert early.to_json() == run_figures(scenario, ONE_CHUNK, ecdf=True).to_json()


@pytest.mark.slow
def test_undecided_verdicts_get_every_chunk(monkeypatch):
    monkeypatch.setattr(variants, "decided", lambda verdicts: False)
    scenario = load_scenario({"pattern": "single-region"})
    full = run_figures_until_decided(scenario, TWO_CHUNKS)
    assert full.trials_per_type == 500
    assert full.to_json() == run_figures(scenario, TWO_CHUNKS).to_json()
