"""Dependency slowdowns worked out for the whole batch at once (``dependency_slowdown.slowdown_batch``) give
exactly what the replays give.

Each scenario is computed both ways (every incident replayed; the batch first, the replays for what it
leaves) on every example and on scenarios hypothesis varies in what shapes a slowdown (pools, timeouts,
bulkheads, the breaker, a fallback, retry storms, latencies and durations, constant ones making ties):
the outcome arrays must be equal to the last bit, and the batch must decide most incidents of the worked
example (otherwise it would save nothing and this test would compare nothing).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.incidents import dependency_slowdown, protocol
from simulation.model.loading import load_file
from simulation.model.overrides import apply_overrides

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((REPO / "examples").glob("*.yaml")) + [REPO / "benchmarks" / "switchover-pair.yaml"]
FIELDS = ("rto_s", "impact_s", "data_loss_s", "lost_tx", "duplicated_tx", "humans_needed", "conflicting_tx")
WORKED = REPO / "examples" / "worked-active-passive.yaml"


def _assert_same_both_ways(scenario, n: int, seed: int, monkeypatch) -> None:
    outcomes = []
    for closed_forms, batch_forms in ((False, False), (True, True)):
        monkeypatch.setattr(protocol, "CLOSED_FORMS", closed_forms)
        monkeypatch.setattr(protocol, "BATCH_FORMS", batch_forms)
        outcomes.append(dependency_slowdown.simulate(scenario, np.random.default_rng(seed), n))
    replayed, at_once = outcomes
    for field in FIELDS:
        assert np.array_equal(getattr(replayed, field), getattr(at_once, field)), field


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_the_batch_gives_what_the_replays_give_on_every_example(path, monkeypatch):
    _assert_same_both_ways(load_file(path), 1000, 7, monkeypatch)


def test_the_batch_decides_most_slowdowns_of_the_worked_example(monkeypatch):
    real = dependency_slowdown.slowdown_batch
    batches: list[protocol.BatchOutcomes] = []
    monkeypatch.setattr(
        dependency_slowdown,
        "slowdown_batch",
        lambda *args, **kwargs: batches.append(real(*args, **kwargs)) or batches[-1],
    )
    outcomes = dependency_slowdown.simulate(load_file(WORKED), np.random.default_rng(3), 500)
    assert len(outcomes) == 500 and len(batches) == 1 and batches[0].decided.sum() > 0.9 * 500
    assert (outcomes.humans_needed & batches[0].decided).any()  # people paged, decided at once too


def test_kept_replays_are_still_replayed_with_their_timelines():
    batch = dependency_slowdown.simulate(load_file(WORKED), np.random.default_rng(3), 20, keep_replays=True)
    assert len(batch.replays) == 20 and all(replay.phases for replay in batch.replays)


DISTS = st.sampled_from(
    [
        {"kind": "lognormal", "median": 30, "p95": 120},
        {"kind": "lognormal", "median": 2, "p95": 20},
        5,  # the default external timeout: a call cut exactly at its latency
        30,
        0.05,
    ]
)
DURATIONS = st.sampled_from([{"kind": "lognormal", "median": 600, "p95": 3600}, 30, 300, 900])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rate=st.sampled_from([50, 500, 2000, 8000]),
    threads=st.sampled_from([10, 50, 200]),
    call_type=st.sampled_from(["external_http", "oltp_query", "cache"]),
    timeout=st.sampled_from([None, 0.5, 5, 30]),
    bulkheads=st.booleans(),
    concern=st.sampled_from(["critical", "standard", "background"]),
    breaker=st.booleans(),
    open_s=st.sampled_from([5, 30, 300]),
    fallback=st.booleans(),
    agents=st.sampled_from([0.0, 0.3, 1.0]),
    retry=st.sampled_from(["none", "backoff", "immediate"]),
    latency=DISTS,
    duration=DURATIONS,
    escalation=st.sampled_from([60, 300, 900]),
    threshold=st.sampled_from([0.5, 0.7, 0.99]),
)
def test_the_batch_gives_what_the_replays_give_whatever_shapes_the_slowdown(
    monkeypatch,
    rate,
    threads,
    call_type,
    timeout,
    bulkheads,
    concern,
    breaker,
    open_s,
    fallback,
    agents,
    retry,
    latency,
    duration,
    escalation,
    threshold,
):
    scenario = apply_overrides(
        load_file(WORKED),
        {
            "traffic.request_rate_rps": rate,
            "app.capacity_rps_per_instance": 5000,
            "traffic.agent_share": agents,
            "traffic.agent_retry": retry,
            "app.threads_per_instance": threads,
            f"app.timeouts.{call_type}_s": timeout,
            "app.bulkheads.enabled": bulkheads,
            "app.circuit_breaker.enabled": breaker,
            "app.circuit_breaker.open_s": open_s,
            "incidents.slowdown_call_type": call_type,
            "incidents.slowdown_concern": concern,
            "incidents.slowdown_fallback": fallback,
            "incidents.slowdown_latency_s": latency,
            "incidents.dependency_slowdown.duration_s": duration,
            "failover.humans.escalation_s": escalation,
            "simulation.recovery_threshold": threshold,
        },
    )
    with monkeypatch.context() as patched:  # one hypothesis example's patches end with it
        _assert_same_both_ways(scenario, 400, 19, patched)
