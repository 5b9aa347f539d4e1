"""Evacuation: closed forms for the DNS move, the race with local recovery, the receivers' capacity."""

import numpy as np
import pytest

from simulation.incidents import bad_deploy, db_primary_failure, dependency_slowdown, zone_outage
from simulation.incidents.app_draws import endpoint_follow_s
from simulation.incidents.evacuation import evacuate, evacuation_setup
from simulation.incidents.outcomes import PHASES, Phases
from simulation.model.loading import load_scenario
from simulation.model.scenario import App

SLOW_LOCAL = {"local_standby": "none", "replicas": [], "size_gb": 500}  # no standby: people restore (hours)


def _scenario(routing=None, database=None, instances=(4, 4), rps=500, **extra):
    return load_scenario(
        {
            "pattern": "active-active-full",
            "regions": [
                {"name": "a", "role": "primary", "app_instances": instances[0]},
                {"name": "b", "role": "primary", "app_instances": instances[1], "warm_up_s": 600},
            ],
            "database": {"size_gb": 10, **(database or {})},
            "failover": {"global_routing": routing or {}},
            "traffic": {"request_rate_rps": rps},
            **extra,
        }
    )


def _db_failures(scenario, n=2000, seed=3, keep=False):
    return db_primary_failure.simulate(scenario, np.random.default_rng(seed), n, keep_replays=keep)


@pytest.mark.slow  # 2,000 replays each, about 2 s
@pytest.mark.parametrize(("ttl_s", "cache_s"), [(60, 0), (0, 30), (40, 25)])
def test_it_evacuates_in_detection_plus_ttl_residual_plus_client_cache_residual_when_local_recovery_is_slower(
    ttl_s, cache_s
):
    interval, k = 10.0, 3
    routing = {"interval_s": interval, "failure_threshold": k, "ttl_s": ttl_s, "client_cache_s": cache_s}
    scenario = _scenario(routing, SLOW_LOCAL)
    batch = _db_failures(scenario)
    # the region (half the users) fails at once: served ≥ 0.99 once 98 % of its users have moved
    needed = 1 - (1 - 0.99) / 0.5
    u = np.random.default_rng(0).random((2, 200_000))
    clients = App(discovery="dns", dns_client_cache_s=cache_s)
    follow = endpoint_follow_s(clients, ttl_s, u[0], u[1] if cache_s else None)
    detection = interval / 2 + (k - 1) * interval  # first check at a uniform phase, then k − 1 more
    expected = detection + float(np.quantile(follow, needed))
    assert batch.rto_s.mean() == pytest.approx(expected, rel=0.02, abs=0.5)
    assert batch.rto_s.min() >= (k - 1) * interval


def test_it_lets_the_sooner_win_a_fast_local_failover_is_not_evacuated():
    interval, k = 30, 5
    on = _db_failures(_scenario({"interval_s": interval, "failure_threshold": k}, {"local_standby": "sync"})).rto_s
    off = _db_failures(_scenario({"evacuate": False}, {"local_standby": "sync"})).rto_s
    fast = off < (k - 1) * interval  # recovered before the global check could declare the region failed
    assert fast.mean() > 0.9 and (on[fast] == off[fast]).all()
    assert (on <= off + 1e-9).all() and (on < off).any()  # people's slow failovers are evacuated


def test_it_never_evacuates_with_a_shallow_check_or_outside_the_active_active_patterns():
    assert evacuation_setup(_scenario({"check": "shallow"}), _scenario().regions[0]) is None
    passive = load_scenario({"pattern": "active-passive"})
    assert evacuation_setup(passive, passive.primary_region) is None


def test_it_shows_degraded_service_in_an_under_sized_region_until_its_capacity_arrives():
    # each region: 4 × 250 req/s = 1,000 req/s; all 1,500 req/s moved there: 2/3 served until scale-out (600 s)
    scenario = _scenario({"ttl_s": 10}, SLOW_LOCAL, rps=1500)
    batch = _db_failures(scenario, n=50, keep=True)
    for replay in batch.replays:
        names = {name for name, _, _ in replay.phases}
        assert {"evacuate", "scale-out"} <= names <= set(PHASES)
        scale_out = next((start, end) for name, start, end in replay.phases if name == "scale-out")
        moved = next(end for name, _, end in replay.phases if name == "evacuate")
        served = dict(replay.served)
        plateau = [v for t, v in replay.served if moved <= t < scale_out[1]]
        assert plateau and max(plateau) == pytest.approx(1000 / 1500, abs=1e-9)
        assert served[scale_out[1]] == 1.0
        assert replay.rto_s == pytest.approx(scale_out[1])


def test_it_carries_only_its_own_capacity_without_scale_out_until_users_move_back():
    scenario = _scenario({"ttl_s": 10, "scale_out": False}, SLOW_LOCAL, rps=1500)
    without = _db_failures(scenario, n=200)
    with_scale_out = _db_failures(_scenario({"ttl_s": 10}, SLOW_LOCAL, rps=1500), n=200)
    assert np.median(without.impact_s) > np.median(with_scale_out.impact_s)


def test_it_moves_writes_too_and_loses_the_replication_window_as_for_a_region_outage():
    lag = {"kind": "fixed", "value": 0.2}
    database = {"local_standby": "sync", "replicas": [{"region": "b", "lag_s": lag}], "write_rate_tps": 100}
    routing = {"interval_s": 1, "failure_threshold": 1}  # evacuates before the local failover completes
    batch = _db_failures(_scenario(routing, database), n=200)
    unreplicated = 0.2 * 100 * 0.5  # the failed region's writes of the lag window: lost or re-submitted
    assert batch.lost_tx + batch.duplicated_tx == pytest.approx(np.full(200, unreplicated))
    assert batch.duplicated_tx == pytest.approx(np.full(200, unreplicated * 0.5))
    assert batch.data_loss_s == pytest.approx(np.full(200, 0.2))


def test_it_moves_users_back_automatically_or_by_hand():
    points = [(0.0, 0.5), (100.0, 1.0)]  # the region (half the users) serves no one for 100 s
    setup = evacuation_setup(_scenario({"ttl_s": 10}), _scenario().regions[0])
    phases = Phases()
    automatic = evacuate(points, setup, 0.0, 600.0, 900.0, phases)
    assert automatic.declared_s == 20.0  # checks at 0, 10, 20: the third failure
    assert automatic.back_s == 120.0  # passing checks at 100, 110, 120
    assert [name for name, _, _ in phases.as_tuple()] == ["global-detect", "evacuate", "fail-back"]
    manual_setup = evacuation_setup(_scenario({"ttl_s": 10, "fail_back": "manual"}), _scenario().regions[0])
    assert evacuate(points, manual_setup, 0.0, 600.0, 900.0, Phases()).back_s == 1000.0
    assert all(v >= 0.5 for _, v in automatic.points)


def test_it_evacuates_a_region_that_lost_a_zone_s_capacity_in_active_active_read():
    # region a: 3 instances in 3 zones carry 2 × 250 of its 550 req/s after a zone outage; b (9 × 250) takes them
    document = {
        "pattern": "active-active-read",
        "regions": [
            {"name": "a", "role": "primary", "app_instances": 3, "zones": 3},
            {"name": "b", "role": "read-replica", "app_instances": 9},
        ],
        "app": {"auto_restart": False},
        "traffic": {"request_rate_rps": 2200},
        "incidents": {"zone_outage": {"rate_per_year": 1, "duration_s": {"kind": "fixed", "value": 7200}}},
    }
    on, off = load_scenario(document), load_scenario({**document, "failover": {"global_routing": {"evacuate": False}}})
    rng = np.random.default_rng
    evacuated = zone_outage.simulate(on, rng(5), 300)
    local = zone_outage.simulate(off, rng(5), 300)
    assert np.median(evacuated.rto_s) < np.median(local.rto_s)
    assert (evacuated.rto_s <= local.rto_s + 1e-9).all()


def test_it_shows_the_global_check_s_detection_as_its_own_phase_so_the_phases_add_up():
    points = [(0.0, 1.0), (5.0, 0.5), (100.0, 1.0)]  # the region (half the users) serves no one from 5 s to 100 s
    setup = evacuation_setup(_scenario({"ttl_s": 10}), _scenario().regions[0])
    phases = Phases()
    evacuation = evacuate(points, setup, 3.0, 600.0, 900.0, phases)
    assert evacuation.declared_s == 33.0  # failing checks at 13, 23, 33
    timeline = phases.as_tuple()
    assert timeline[0] == ("global-detect", 5.0, 33.0)  # from the region turning unhealthy to its removal
    assert timeline[1][0] == "evacuate" and timeline[1][1] == timeline[0][2]  # the move starts where it ends
    assert "global-detect" in PHASES


def test_it_shows_global_detect_in_the_replays_of_evacuated_database_failures():
    batch = _db_failures(_scenario({"ttl_s": 10}, SLOW_LOCAL), n=20, keep=True)
    for replay in batch.replays:
        by_name = {name: (start, end) for name, start, end in replay.phases}
        assert by_name["global-detect"][1] == by_name["evacuate"][0]
        assert by_name["global-detect"][0] >= 0.0


def test_it_needs_people_for_a_manual_fail_back_and_not_for_an_automatic_one():
    points = [(0.0, 0.5), (100.0, 1.0)]
    region = _scenario().regions[0]
    manual = evacuate(points, evacuation_setup(_scenario({"fail_back": "manual"}), region), 0.0, 600.0, 900.0, Phases())
    automatic = evacuate(points, evacuation_setup(_scenario(), region), 0.0, 600.0, 900.0, Phases())
    assert manual.manual_fail_back and not automatic.manual_fail_back
    # a sync local standby fails over by itself: only the manual fail-back needs people
    database = {"local_standby": "sync"}
    routing = {"interval_s": 1, "failure_threshold": 1}  # evacuates before the local failover completes
    by_hand = _db_failures(_scenario({**routing, "fail_back": "manual"}, database), n=200)
    by_itself = _db_failures(_scenario(routing, database), n=200)
    assert by_hand.humans_needed.mean() > by_itself.humans_needed.mean() + 0.5


@pytest.mark.parametrize("name", ["bad_deploy", "dependency_slowdown"])
def test_it_leaves_fleet_wide_bad_deploys_and_dependency_slowdowns_local(name):
    # neither is confined to a region in the model (one rollout over every serving instance, one dependency
    # for all): the other region fails alike, so there is nowhere better to move the users
    model = {"bad_deploy": bad_deploy, "dependency_slowdown": dependency_slowdown}[name]
    fast = {"interval_s": 1, "failure_threshold": 1, "ttl_s": 0}
    on = model.simulate(_scenario(fast, SLOW_LOCAL), np.random.default_rng(4), 200)
    off = model.simulate(_scenario({**fast, "evacuate": False}, SLOW_LOCAL), np.random.default_rng(4), 200)
    assert np.array_equal(on.rto_s, off.rto_s) and np.array_equal(on.impact_s, off.impact_s)
    assert on.impact_s.max() > 0  # the incidents do hurt
