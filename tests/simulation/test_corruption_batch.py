"""Data corruptions worked out for the whole batch at once (``data_corruption.corruption_batch``) give exactly
what the replays give: on every example and on scenarios hypothesis varies in what shapes one (backups,
detection, people, restore set-up and size, retry storms, the threshold; zero and constant times making
instants coincide), and the batch must decide most corruptions of the worked example."""

from __future__ import annotations

import numpy as np
import pytest
from batch_identity import EVERY_EXAMPLE, WORKED_EXAMPLE, assert_identical_every_way, batches_made
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.incidents import data_corruption
from simulation.model.loading import load_file
from simulation.model.overrides import apply_overrides


@pytest.mark.parametrize("path", EVERY_EXAMPLE, ids=lambda p: p.stem)
def test_the_batch_gives_what_the_replays_give_on_every_example(path, monkeypatch):
    assert_identical_every_way(data_corruption.simulate, load_file(path), 1000, 7, monkeypatch)


def test_the_batch_decides_every_corruption_of_the_worked_example(monkeypatch):
    batches = batches_made(monkeypatch, data_corruption, "corruption_batch")
    outcomes = data_corruption.simulate(load_file(WORKED_EXAMPLE), np.random.default_rng(3), 500)
    assert len(outcomes) == 500 and len(batches) == 1 and batches[0].decided.all()
    assert outcomes.humans_needed.all()  # only people restore


def test_kept_replays_are_still_replayed_with_their_timelines():
    batch = data_corruption.simulate(load_file(WORKED_EXAMPLE), np.random.default_rng(3), 20, keep_replays=True)
    assert len(batch.replays) == 20 and all(replay.phases for replay in batch.replays)


def test_corruptions_the_batch_leaves_are_replayed(monkeypatch):
    """Restores that never end go to the replay; the others stay decided at once."""
    real = data_corruption._draw

    def some_never_restored(*args):
        draws = real(*args)
        draws["restore_s"] = np.where(np.arange(len(draws["restore_s"])) % 3, draws["restore_s"], np.inf)
        return draws

    monkeypatch.setattr(data_corruption, "_draw", some_never_restored)
    assert_identical_every_way(data_corruption.simulate, load_file(WORKED_EXAMPLE), 300, 5, monkeypatch)


TIMES = st.sampled_from([{"kind": "lognormal", "median": 300, "p95": 1200}, 0, 60])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    backups=st.sampled_from(["none", "daily", "pitr"]),
    detection=st.sampled_from([{"kind": "lognormal", "median": 3600, "p95": 21600}, 0, 600]),
    people=TIMES,
    setup=TIMES,
    size_gb=st.sampled_from([0.001, 100]),
    agents=st.sampled_from([0.0, 0.5]),
    retry=st.sampled_from(["none", "immediate"]),
    threshold=st.sampled_from([0.5, 0.99]),
)
def test_the_batch_gives_what_the_replays_give_whatever_shapes_the_corruption(
    monkeypatch, backups, detection, people, setup, size_gb, agents, retry, threshold
):
    scenario = apply_overrides(
        load_file(WORKED_EXAMPLE),
        {
            "database.backups.kind": backups,
            "incidents.corruption_detection_s": detection,
            "failover.humans.page_s": people,
            "failover.humans.diagnose_s": people,
            "database.backups.restore_setup_s": setup,
            "database.size_gb": size_gb,
            "traffic.agent_share": agents,
            "traffic.agent_retry": retry,
            "simulation.recovery_threshold": threshold,
        },
    )
    with monkeypatch.context() as patched:  # one hypothesis example's patches end with it
        assert_identical_every_way(data_corruption.simulate, scenario, 300, 19, patched)
