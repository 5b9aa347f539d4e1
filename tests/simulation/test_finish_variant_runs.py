"""``finish_run(variant_runs=…)``: the checklist's variant runs can come from elsewhere (other workers)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulation import finish_run, load_file, plan_run, run_chunk
from simulation.engine.chunks import simulate_type

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "worked-active-passive.yaml"


@pytest.mark.slow
def test_the_variant_runs_given_are_the_ones_used_and_the_bytes_do_not_change():
    scenario = load_file(EXAMPLE)
    plan = plan_run(scenario, trials=250, seed=4, years=500)
    parts = [run_chunk(scenario, plan, i) for i in range(len(plan.chunks))]
    asked = []

    def variant_runs(variant, name, *, seed, trials, chunk_size):
        asked.append((name, trials))
        return simulate_type(variant, name, seed=seed, trials=trials, chunk_size=chunk_size)

    given = finish_run(scenario, plan, parts, variant_runs=variant_runs).to_json()
    assert asked and all(trials == 250 for _, trials in asked)
    default = finish_run(scenario, plan, parts).to_json()
    assert json.dumps(given, sort_keys=True) == json.dumps(default, sort_keys=True)
