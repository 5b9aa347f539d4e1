"""The closed form of a fleet's recovery (``fleet_closed``) gives exactly what the SimPy replay gives.

Each primary database failure, instance crash, network partition, zone and region outage is computed
both ways, on every example and on scenarios hypothesis varies in what the app tier does (checks,
restarts, discovery, pools, thresholds, escalation, the standby's warmth): the outcome arrays must be
equal to the last bit, and the closed form must carry most incidents of the worked example (otherwise it
would save nothing and this test would compare nothing).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.incidents import (
    bad_deploy,
    data_corruption,
    db_primary_failure,
    dependency_slowdown,
    instance_crash,
    network_partition,
    protocol,
    region_outage,
    zone_outage,
)
from simulation.model.loading import load_file
from simulation.model.overrides import apply_overrides

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((REPO / "examples").glob("*.yaml")) + [REPO / "benchmarks" / "switchover-pair.yaml"]
MODELS = (db_primary_failure, instance_crash, network_partition, zone_outage, region_outage)
# replayed without SimPy's event queue (``SoloEnvironment``): compared both ways too
SOLO = (bad_deploy, dependency_slowdown, data_corruption)
FIELDS = ("rto_s", "impact_s", "data_loss_s", "lost_tx", "duplicated_tx", "humans_needed", "conflicting_tx")


def _assert_same_both_ways(scenario, n: int, seed: int, monkeypatch) -> None:
    for model in MODELS + SOLO:
        monkeypatch.setattr(protocol, "CLOSED_FORMS", False)
        replayed = model.simulate(scenario, np.random.default_rng(seed), n)
        monkeypatch.setattr(protocol, "CLOSED_FORMS", True)
        worked_out = model.simulate(scenario, np.random.default_rng(seed), n)
        for field in FIELDS:
            assert np.array_equal(getattr(replayed, field), getattr(worked_out, field)), (model.__name__, field)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_it_works_out_what_the_replay_gives_on_every_example(path, monkeypatch):
    _assert_same_both_ways(load_file(path), 600, 7, monkeypatch)


@pytest.mark.parametrize(
    ("model", "closed_form"),
    [
        (db_primary_failure, "served_after_primary_loss"),
        (instance_crash, "served_after_crash"),
        (network_partition, "served_after_primary_loss"),
        (zone_outage, "served_after_instances_lost"),
        (region_outage, "served_after_region_failover"),
    ],
)
def test_it_carries_most_incidents_of_the_worked_example(model, closed_form, monkeypatch):
    answers: list[bool] = []
    real = getattr(model, closed_form)

    def counted(*args, **kwargs):
        points = real(*args, **kwargs)
        answers.append(points is not None)
        return points

    monkeypatch.setattr(model, closed_form, counted)
    model.simulate(load_file(REPO / "examples" / "worked-active-passive.yaml"), np.random.default_rng(3), 500)
    assert len(answers) > 300 and sum(answers) > 0.8 * len(answers)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_kept_replays_are_still_replayed_with_their_timelines(model):
    batch = model.simulate(
        load_file(REPO / "examples" / "worked-active-passive.yaml"), np.random.default_rng(3), 20, keep_replays=True
    )
    assert len(batch.replays) == 20 and all(replay.phases for replay in batch.replays)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    health_check=st.sampled_from(["deep", "liveness"]),
    auto_restart=st.booleans(),
    discovery=st.sampled_from(["service-discovery", "dns", "static"]),
    signature=st.sampled_from(["hang", "refuse", "read-only"]),
    interval_s=st.sampled_from([1, 5, 10, 30]),
    unhealthy=st.integers(1, 4),
    healthy=st.integers(1, 3),
    fail_open=st.booleans(),
    panic_share=st.sampled_from([0.0, 0.5, 1.0]),
    escalation_s=st.sampled_from([60, 300, 900]),
    base=st.sampled_from(["worked-active-passive", "tier-rpo-1h", "active-active-read", "active-active-full"]),
    warmth=st.sampled_from(["hot", "warm", "cold"]),
)
def test_it_works_out_what_the_replay_gives_whatever_the_app_tier_does(
    monkeypatch,
    health_check,
    auto_restart,
    discovery,
    signature,
    interval_s,
    unhealthy,
    healthy,
    fail_open,
    panic_share,
    escalation_s,
    base,
    warmth,
):
    scenario = apply_overrides(
        load_file(REPO / "examples" / f"{base}.yaml"),
        {
            "app.health_check": health_check,
            "app.auto_restart": auto_restart,
            "app.discovery": discovery,
            "app.dead_host_signature": signature,
            "app.load_balancer.interval_s": interval_s,
            "app.load_balancer.unhealthy_threshold": unhealthy,
            "app.load_balancer.healthy_threshold": healthy,
            "app.load_balancer.fail_open": fail_open,
            "app.load_balancer.panic_healthy_share": panic_share,
            "failover.humans.escalation_s": escalation_s,
        },
    )
    if base == "worked-active-passive":
        scenario = apply_overrides(scenario, {"regions[role=standby].warmth": warmth})
    _assert_same_both_ways(scenario, 150, 13, monkeypatch)


@pytest.mark.parametrize("health_check", ["deep", "liveness"])
@pytest.mark.parametrize("warm_up_s", [5, 40, 400])
def test_a_standby_built_before_the_promotion_ends_is_worked_out_as_replayed(health_check, warm_up_s, monkeypatch):
    """Instances of a warm standby up while no primary is ready yet (a slow promotion): deep checks keep them
    out until it is; liveness checks return them first."""
    scenario = apply_overrides(
        load_file(REPO / "examples" / "worked-active-passive.yaml"),
        {
            "regions[role=standby].warmth": "warm",
            "regions[role=standby].warm_up_s": warm_up_s,
            "failover.promotion_s": 120,
            "app.health_check": health_check,
        },
    )
    _assert_same_both_ways(scenario, 300, 17, monkeypatch)
