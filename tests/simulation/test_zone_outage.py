"""A zone of the primary region is lost: its instances go, sometimes with the database primary."""

import numpy as np
import pytest

from simulation.incidents import zone_outage
from simulation.model.loading import load_scenario


def _scenario(instances=6, zones=3, app=None, database=None, duration=3600):
    return load_scenario(
        {
            "regions": [{"name": "a", "app_instances": instances, "zones": zones}, {"name": "b", "role": "standby"}],
            "app": app or {},
            "database": database or {},
            "failover": {"automation_success_probability": 1, "days_since_failover_test": 0},
            "incidents": {"zone_outage": {"rate_per_year": 1, "duration_s": duration}},
        }
    )


def _run(scenario, n=500, seed=1, keep=False):
    return zone_outage.simulate(scenario, np.random.default_rng(seed), n, keep_replays=keep)


def test_it_spreads_instances_round_robin_over_the_zones():
    assert [zone_outage.lost_instances(_scenario(6, 3), z) for z in range(3)] == [[0, 3], [1, 4], [2, 5]]
    assert [len(zone_outage.lost_instances(_scenario(4, 3), z)) for z in range(3)] == [2, 1, 1]
    assert [len(zone_outage.lost_instances(_scenario(5, 2), z)) for z in range(2)] == [3, 2]
    lone = _scenario(1, 3, app={"capacity_rps_per_instance": 600})
    assert [zone_outage.lost_instances(lone, z) for z in range(3)] == [[0], [], []]


@pytest.mark.parametrize("instances", [1, 2])
def test_it_hits_instances_only_in_the_outages_of_their_zones(instances):
    scenario = _scenario(instances, 3, app={"capacity_rps_per_instance": 600}, database={"local_standby": "sync"})
    batch = _run(scenario, n=1500)
    assert np.mean(batch.impact_s > 0) == pytest.approx(instances / 3, abs=0.04)  # zones 0 (and 1) hold one each


def test_it_loses_every_instance_of_a_single_zone_region():
    batch = _run(_scenario(2, 1, app={"capacity_rps_per_instance": 300}), n=200)
    assert np.all(batch.impact_s > 0) and np.all(batch.rto_s > 0)


def test_it_hits_the_database_primary_in_one_zone_out_of_zones():
    database = {"local_standby": "async", "local_standby_lag_s": 1.0}
    batch = _run(_scenario(zones=4, database=database), n=4000)
    assert np.mean(batch.data_loss_s > 0) == pytest.approx(0.25, abs=0.025)


def test_it_recovers_once_the_load_balancer_drains_the_lost_instances_when_capacity_allows():
    batch = _run(_scenario(app={"capacity_rps_per_instance": 250}, database={"local_standby": "sync"}), n=600)
    no_db = batch.rto_s[batch.impact_s < 20]  # the database stayed up in these
    assert len(no_db) > 300 and np.all(no_db <= 30)


def test_it_is_down_until_the_zone_returns_without_capacity_or_auto_restart():
    scenario = _scenario(instances=3, app={"capacity_rps_per_instance": 200, "auto_restart": False}, duration=600)
    batch = _run(scenario, n=300)
    # 2 of 3 instances (400 rps) cannot carry 500 rps: people or the zone's return (600 s + restart) end it
    assert np.all(batch.rto_s > 600) and np.median(batch.rto_s) < 600 + 120


def test_it_recovers_sooner_when_lost_instances_are_replaced_automatically():
    app = {"capacity_rps_per_instance": 200}
    replaced = _run(_scenario(3, app={**app, "auto_restart": True}), n=300)
    waiting = _run(_scenario(3, app={**app, "auto_restart": False}), n=300)
    assert replaced.impact_s.mean() < waiting.impact_s.mean()


def test_it_gives_identical_results_for_the_same_seed_and_different_for_another():
    scenario = _scenario(database={"local_standby": "async"})
    a, b, c = _run(scenario, 200, 7), _run(scenario, 200, 7), _run(scenario, 200, 8)
    assert np.array_equal(a.rto_s, b.rto_s) and np.array_equal(a.data_loss_s, b.data_loss_s)
    assert not np.array_equal(a.rto_s, c.rto_s)


def test_it_keeps_serving_reads_everywhere_when_the_primarys_zone_is_lost_in_active_active_read():
    scenario = load_scenario(
        {
            "pattern": "active-active-read",
            "regions": [
                {"name": "a", "role": "primary", "app_instances": 6, "zones": 3},
                {"name": "b", "role": "read-replica", "app_instances": 6},
            ],
            "database": {"size_gb": 10},
            "traffic": {"write_share": 0.25},
            "failover": {"automation_success_probability": 1, "days_since_failover_test": 0},
            "incidents": {"zone_outage": {"rate_per_year": 1, "duration_s": 3600}},
        }
    )
    batch = _run(scenario, n=300, keep=True)
    hit = [r for r in batch.replays if any(name == "promote" for name, _, _ in r.phases)]  # the db's zone
    assert 60 < len(hit) < 140
    for replay in hit:  # every region's writes wait for the promotion; reads keep being served
        assert min(v for _, v in replay.served) == pytest.approx(0.75)
