"""Outcomes of an incident model computed every way the engine can: each incident replayed, closed forms one
incident at a time, the batch form first; they must agree to the last bit (NaN where the replay gives NaN)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simulation.incidents import protocol
from simulation.incidents.outcomes import Batch

REPO = Path(__file__).resolve().parents[2]
EVERY_EXAMPLE = sorted((REPO / "examples").glob("*.yaml")) + [REPO / "benchmarks" / "switchover-pair.yaml"]
WORKED_EXAMPLE = REPO / "examples" / "worked-active-passive.yaml"
COLUMNS = ("rto_s", "impact_s", "data_loss_s", "lost_tx", "duplicated_tx", "humans_needed", "conflicting_tx")
WAYS = {"replayed": (False, False), "one at a time": (True, False), "batch first": (True, True)}


def assert_identical_every_way(simulate, scenario, n: int, seed: int, monkeypatch, *, also=()) -> None:
    """``simulate(scenario, rng, n)`` gives the same outcome columns whichever way ``protocol`` works them out.
    ``also``: (module, name, value) settings of further ways, each batch first with that setting."""
    batches: dict[str, Batch] = {}
    for way, (closed_forms, batch_forms) in WAYS.items():
        monkeypatch.setattr(protocol, "CLOSED_FORMS", closed_forms)
        monkeypatch.setattr(protocol, "BATCH_FORMS", batch_forms)
        batches[way] = simulate(scenario, np.random.default_rng(seed), n)
    for module, name, value in also:
        with monkeypatch.context() as patched:
            patched.setattr(module, name, value)
            batches[f"batch first, {name} = {value}"] = simulate(scenario, np.random.default_rng(seed), n)
    for way, batch in batches.items():
        for column in COLUMNS:
            expected = getattr(batches["replayed"], column)
            np.testing.assert_array_equal(getattr(batch, column), expected, err_msg=f"{column}, {way}")


def batches_made(monkeypatch, module, name: str) -> list[protocol.BatchOutcomes]:
    """The outcomes ``module.name`` (a model's batch form) gives from now on, each call's in turn."""
    real, made = getattr(module, name), []
    monkeypatch.setattr(module, name, lambda *args, **kwargs: made.append(real(*args, **kwargs)) or made[-1])
    return made
