"""Bad deploys worked out for the whole batch at once (``deploy_batch``) give exactly what the replays give.

Each scenario is computed both ways (every incident replayed; the batch first, the replays for what it
leaves) on every example and on scenarios hypothesis varies in what shapes a bad deploy (strategy, health
gate and checks, rolling batches and steps, canary steps and analysis, error and noticeable shares, the
fleet's capacity and retry storms, detection, rollback and switch times; constant ones and coarse load
balancer intervals making ties): the outcome arrays must be equal to the last bit, and the batch must decide
most incidents of the worked example (otherwise it would save nothing and this test would compare nothing).
"""

from __future__ import annotations

import numpy as np
import pytest
from batch_identity import EVERY_EXAMPLE, WORKED_EXAMPLE, assert_identical_every_way, batches_made
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from simulation.incidents import bad_deploy
from simulation.model.loading import load_file
from simulation.model.overrides import apply_overrides


def _assert_same_both_ways(scenario, n: int, seed: int, monkeypatch) -> None:
    assert_identical_every_way(bad_deploy.simulate, scenario, n, seed, monkeypatch)


@pytest.mark.parametrize("path", EVERY_EXAMPLE, ids=lambda p: p.stem)
def test_the_batch_gives_what_the_replays_give_on_every_example(path, monkeypatch):
    _assert_same_both_ways(load_file(path), 1000, 7, monkeypatch)


SHAPES = {
    # the clock moves by now + (step − now): off a step's time where removals come between the steps
    "rolling, ungated, failing its checks": {
        "deployment.health_gated": False,
        "deployment.bad_version_fails_health_checks_probability": 1.0,
        "deployment.rolling_step_s": 97.3,
        "deployment.bad_deploy_error_share": 0.01,
        "deployment.detection_s": 600,
    },
    "canary, watched by people": {
        "deployment.strategy": "canary",
        "deployment.canary_analysis": "manual",
        "deployment.canary_step_s": 333.7,
        "deployment.bad_deploy_error_share": 0.01,
    },
    "canary, ungated, failing its checks": {
        "deployment.strategy": "canary",
        "deployment.health_gated": False,
        "deployment.bad_version_fails_health_checks_probability": 0.5,
    },
    "in-place, failing its checks": {
        "deployment.strategy": "in-place",
        "deployment.bad_version_fails_health_checks_probability": 0.5,
        "deployment.bad_deploy_error_share": 0.3,
    },
    "blue-green, gated": {"deployment.strategy": "blue-green", "deployment.bad_deploy_error_share": 0.005},
}


@pytest.mark.parametrize("shape", SHAPES)
def test_the_batch_gives_what_the_replays_give_on_every_strategy(shape, monkeypatch):
    _assert_same_both_ways(apply_overrides(load_file(WORKED_EXAMPLE), SHAPES[shape]), 1000, 1, monkeypatch)


def test_the_batch_decides_most_bad_deploys_of_the_worked_example(monkeypatch):
    batches = batches_made(monkeypatch, bad_deploy, "deploy_batch")
    outcomes = bad_deploy.simulate(load_file(WORKED_EXAMPLE), np.random.default_rng(3), 500)
    assert len(outcomes) == 500 and len(batches) == 1 and batches[0].decided.sum() > 0.9 * 500
    assert (outcomes.humans_needed & batches[0].decided).any()  # people watching dashboards, decided at once
    assert (~outcomes.humans_needed & batches[0].decided).any()  # stopped by the health gate


def test_kept_replays_are_still_replayed_with_their_timelines():
    batch = bad_deploy.simulate(load_file(WORKED_EXAMPLE), np.random.default_rng(3), 20, keep_replays=True)
    assert len(batch.replays) == 20 and all(replay.phases for replay in batch.replays)


def _drawn_as(monkeypatch, change) -> None:
    """``bad_deploy`` draws as before, then ``change(drawn)`` gives the inputs it uses."""
    real = bad_deploy.DeployDraws
    monkeypatch.setattr(bad_deploy, "DeployDraws", lambda **drawn: real(**change(drawn)))


def test_incidents_the_batch_leaves_are_replayed(monkeypatch):
    """Inputs the batch refuses (not finite) go to the replay, the others stay decided at once."""
    every_third = np.arange(300) % 3 == 0
    _drawn_as(monkeypatch, lambda drawn: {**drawn, "rollback_s": np.where(every_third, np.inf, drawn["rollback_s"])})
    _assert_same_both_ways(load_file(WORKED_EXAMPLE), 300, 5, monkeypatch)


def _on_a_coarse_grid(drawn: dict) -> dict:
    """Check phases, rollbacks and switches on a 30 s grid: removals, rollout steps and rollback ends tie."""
    return {**drawn, **{name: np.round(drawn[name] / 30) * 30 for name in ("lb_s", "rollback_s", "switch_s")}}


TIMES = st.sampled_from([{"kind": "lognormal", "median": 300, "p95": 1200}, 30, 120, 600])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    strategy=st.sampled_from(["in-place", "rolling", "blue-green", "canary"]),
    gated=st.booleans(),
    fails_checks=st.sampled_from([0.0, 0.5, 1.0]),
    batch_size=st.sampled_from([1, 2, 3]),
    step_s=st.sampled_from([30, 120, 600, 97.3]),
    canary_steps=st.sampled_from([[5, 25, 50, 100], [50, 100], [100]]),
    canary_step_s=st.sampled_from([60, 1200, 333.7]),
    analysis=st.sampled_from(["automated", "manual"]),
    error_share=st.sampled_from([1.0, 0.5, 0.01, 0.001]),
    noticeable=st.sampled_from([0.02, 0.5]),
    detection=TIMES,
    rollback=TIMES,
    switch=st.sampled_from([{"kind": "uniform", "low": 5, "high": 30}, 0, 10]),
    interval_s=st.sampled_from([10, 30, 60]),
    unhealthy=st.sampled_from([1, 2, 3]),
    instances=st.sampled_from([1, 2, 3, 4, 7]),
    capacity=st.sampled_from([150, 250, 600]),
    agents=st.sampled_from([0.0, 0.5]),
    retry=st.sampled_from(["none", "immediate"]),
    threshold=st.sampled_from([0.5, 0.99]),
    coarse=st.booleans(),
)
def test_the_batch_gives_what_the_replays_give_whatever_shapes_the_deploy(
    monkeypatch,
    strategy,
    gated,
    fails_checks,
    batch_size,
    step_s,
    canary_steps,
    canary_step_s,
    analysis,
    error_share,
    noticeable,
    detection,
    rollback,
    switch,
    interval_s,
    unhealthy,
    instances,
    capacity,
    agents,
    retry,
    threshold,
    coarse,
):
    assume(instances * capacity >= 500 * threshold)  # the worked example's 500 req/s, carried at the threshold
    scenario = apply_overrides(
        load_file(WORKED_EXAMPLE),
        {
            "deployment.strategy": strategy,
            "deployment.health_gated": gated,
            "deployment.bad_version_fails_health_checks_probability": fails_checks,
            "deployment.rolling_batch_size": batch_size,
            "deployment.rolling_step_s": step_s,
            "deployment.canary_steps_pct": canary_steps,
            "deployment.canary_step_s": canary_step_s,
            "deployment.canary_analysis": analysis,
            "deployment.bad_deploy_error_share": error_share,
            "deployment.manual_noticeable_error_share": noticeable,
            "deployment.detection_s": detection,
            "deployment.rollback_s": rollback,
            "deployment.traffic_switch_s": switch,
            "app.load_balancer.interval_s": interval_s,
            "app.load_balancer.unhealthy_threshold": unhealthy,
            "regions[role=primary].app_instances": instances,
            "app.capacity_rps_per_instance": capacity,
            "traffic.agent_share": agents,
            "traffic.agent_retry": retry,
            "simulation.recovery_threshold": threshold,
        },
    )
    with monkeypatch.context() as patched:  # one hypothesis example's patches end with it
        if coarse:
            _drawn_as(patched, _on_a_coarse_grid)
        _assert_same_both_ways(scenario, 300, 19, patched)
