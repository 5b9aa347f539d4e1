"""One instance crashes: the load balancer takes it out, the others absorb it, a restart brings it back."""

import numpy as np
import pytest

from simulation.incidents import instance_crash
from simulation.model.loading import load_scenario

LB = {"interval_s": 10, "unhealthy_threshold": 3, "healthy_threshold": 2}


def _scenario(instances=4, app=None, traffic=None):
    return load_scenario(
        {
            "regions": [{"name": "a", "app_instances": instances}, {"name": "b", "role": "standby"}],
            "app": {"load_balancer": LB, **(app or {})},
            "traffic": traffic or {},
        }
    )


def _run(scenario, n=500, seed=1, keep=False):
    return instance_crash.simulate(scenario, np.random.default_rng(seed), n, keep_replays=keep)


def test_it_recovers_when_the_load_balancer_takes_the_instance_out():
    batch = _run(_scenario(), n=2000)
    # third failed check, the first at a uniform phase in the interval
    assert batch.rto_s.mean() == pytest.approx(5 + 2 * 10, rel=0.03)
    # until then the crashed instance's quarter of the traffic fails
    assert batch.impact_s.mean() == pytest.approx(0.25 * 25, rel=0.05)
    assert not batch.humans_needed.any() and not batch.data_loss_s.any()


def test_it_needs_the_restart_when_the_others_lack_capacity():
    tight = _scenario(instances=2, app={"auto_restart": True, "restart_s": 60, "capacity_rps_per_instance": 300})
    batch = _run(tight, n=300)
    # removed after ~25 s, restarted (60 s), back after two passing checks
    assert np.all(batch.rto_s > 25 + 60) and np.all(batch.rto_s < 30 + 60 + 20)


def test_it_waits_for_people_without_auto_restart():
    tight = {"instances": 2, "app": {"capacity_rps_per_instance": 300}}
    automatic = _run(_scenario(tight["instances"], {**tight["app"], "auto_restart": True}), n=300)
    by_hand = _run(_scenario(tight["instances"], {**tight["app"], "auto_restart": False}), n=300)
    assert by_hand.humans_needed.all() and not automatic.humans_needed.any()
    assert np.median(by_hand.rto_s) > np.median(automatic.rto_s) + 900


def test_it_suffers_more_from_agents_retrying_at_once():
    app = {"capacity_rps_per_instance": 180, "auto_restart": False}
    calm = _scenario(app=app, traffic={"agent_share": 0.5, "agent_retry": "backoff"})
    storm = _scenario(app=app, traffic={"agent_share": 0.5, "agent_retry": "immediate", "agent_retry_multiplier": 5})
    assert _run(storm, seed=3).impact_s.mean() > _run(calm, seed=3).impact_s.mean()


def test_it_gives_identical_results_for_the_same_seed_and_different_for_another():
    scenario = _scenario(instances=2, app={"capacity_rps_per_instance": 300})
    a, b, c = _run(scenario, 100, 5), _run(scenario, 100, 5), _run(scenario, 100, 6)
    assert np.array_equal(a.rto_s, b.rto_s) and np.array_equal(a.impact_s, b.impact_s)
    assert not np.array_equal(a.rto_s, c.rto_s)


def test_its_rate_is_per_serving_instance():
    scenario = load_scenario(
        {
            "regions": [{"name": "a", "app_instances": 6}, {"name": "b", "role": "standby"}],
            "incidents": {"instance_crash": {"rate_per_year": 2}},
        }
    )
    assert instance_crash.rate_per_year(scenario) == pytest.approx(2 * 6)
    default = _scenario(instances=5)
    assert instance_crash.rate_per_year(default) == pytest.approx(default.incidents.instance_crash.rate_per_year * 5)


def test_retrying_agents_add_no_load_once_the_crashed_instance_is_drained():
    # 10 instances of 250 req/s carry 1500 req/s with one missing: after the drain nothing fails, so
    # immediate retries must not turn the crash into an outage that waits for people
    storm = {"agent_share": 0.5, "agent_retry": "immediate", "agent_retry_multiplier": 5, "request_rate_rps": 1500}
    batch = _run(_scenario(instances=10, app={"auto_restart": False}, traffic=storm), n=300)
    assert np.all(batch.rto_s <= 3 * LB["interval_s"] + 1e-9) and not batch.humans_needed.any()
