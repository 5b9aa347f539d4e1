"""Primary database failures: data loss by replication mode, restores, reduced redundancy, reference cases."""

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.incidents import db_draws, db_primary_failure
from simulation.incidents.app_draws import draw_app
from simulation.incidents.outcomes import PHASES, Phases, Response
from simulation.model.distributions import Fixed
from simulation.model.loading import load_file, load_scenario

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SURE = {"automation_success_probability": 1, "days_since_failover_test": 0}


def _scenario(database=None, failover=None, app=None, instances=4):
    return load_scenario(
        {
            "regions": [{"name": "a", "app_instances": instances}, {"name": "b", "role": "standby"}],
            "database": {"size_gb": 10, **(database or {})},
            "failover": {**SURE, **(failover or {})},
            "app": app or {},
        }
    )


def _run(scenario, n=500, seed=1, keep=False):
    return db_primary_failure.simulate(scenario, np.random.default_rng(seed), n, keep_replays=keep)


def test_it_loses_the_replication_lag_at_failure_under_async():
    lag = {"kind": "lognormal", "median": 2.0, "p95": 8.0}
    scenario = _scenario({"local_standby": "async", "local_standby_lag_s": lag, "write_rate_tps": 40})
    batch = _run(scenario, n=3000)
    assert batch.data_loss_s.mean() == pytest.approx(scenario.database.local_standby_lag_s.mean, rel=0.05)
    assert np.allclose(batch.lost_tx, batch.data_loss_s * 40)


def test_it_loses_nothing_with_a_synchronous_standby():
    # (a standby down on its own can force a restore from backups, which loses data: not here)
    batch = _run(_scenario({"local_standby": "sync", "standby_failure_rate_per_year": 0}))
    assert not batch.data_loss_s.any() and not batch.lost_tx.any()


def test_it_promotes_a_cross_region_replica_when_there_is_no_local_standby():
    scenario = _scenario({"local_standby": "none", "replicas": [{"region": "b", "mode": "async", "lag_s": 3}]})
    batch = _run(scenario, n=200)
    assert np.all(batch.data_loss_s == 3)


def test_it_restores_from_backups_without_any_standby_losing_half_an_interval_on_average():
    database = {
        "local_standby": "none",
        "replicas": [],
        "backups": {"kind": "pitr", "interval_s": 600},
        "node_repair_s": 1e7,
    }
    batch = _run(_scenario(database), n=800)
    assert batch.data_loss_s.mean() == pytest.approx(300, rel=0.06)
    assert batch.humans_needed.all()


def test_it_takes_longer_to_restore_a_bigger_database():
    base = {
        "local_standby": "none",
        "replicas": [],
        "node_repair_s": 1e8,
        "backups": {"kind": "daily", "restore_throughput_gb_per_s": 0.05},
    }
    small = _run(_scenario({**base, "size_gb": 10}), n=300).rto_s
    big = _run(_scenario({**base, "size_gb": 500}), n=300).rto_s
    # the restore copies 490 GB more, then reads 20 % of them into a cold cache
    assert np.median(big) - np.median(small) == pytest.approx(490 / 0.05 + 0.2 * 490 / 0.1, rel=0.1)


def test_it_waits_for_the_node_repair_when_nothing_can_take_over():
    database = {"local_standby": "none", "replicas": [], "backups": {"kind": "none"}, "node_repair_s": 7200}
    batch = _run(_scenario(database), n=200)
    assert np.all(batch.rto_s > 7200) and np.all(batch.rto_s < 7200 + 300)
    assert not batch.data_loss_s.any()


def test_it_cannot_fail_over_while_the_standby_is_still_being_rebuilt():
    database = {
        "size_gb": 5000,
        "promotion_s_per_gb": 0,
        "rebuild_throughput_gb_per_s": 0.0001,
        "local_standby": "sync",
        "backups": {"kind": "pitr", "interval_s": 300},
    }
    scenario = _scenario(database)
    scenario = scenario.model_copy(
        update={
            "incidents": scenario.incidents.model_copy(
                update={
                    "db_primary_failure": scenario.incidents.db_primary_failure.model_copy(
                        update={"rate_per_year": 2.0}
                    )
                }
            )
        }
    )
    setup = db_draws.db_setup(scenario)
    expected = 1 - math.exp(-2.0 * (5000 / 0.0001) / (365.25 * 86400))
    assert setup.reduced_redundancy_probability == pytest.approx(expected)
    batch = _run(scenario, n=800)
    slow = batch.humans_needed.mean()  # automation never fails here: people only for the slow path
    assert slow == pytest.approx(expected, abs=0.03)


def test_it_pages_people_when_automation_fails():
    scenario = _scenario(failover={"automation_success_probability": 0.7})
    batch = _run(scenario, n=2000)
    assert batch.humans_needed.mean() == pytest.approx(0.3, abs=0.03)
    assert np.median(batch.rto_s[batch.humans_needed]) > 10 * np.median(batch.rto_s[~batch.humans_needed])


def test_it_is_better_with_sync_than_async_replication():
    sync = _run(_scenario({"local_standby": "sync"}), seed=4)
    asynchronous = _run(_scenario({"local_standby": "async"}), seed=4)
    assert sync.data_loss_s.mean() < asynchronous.data_loss_s.mean()


def test_it_reproduces_the_opener_incident():
    batch = _run(load_file(EXAMPLES / "opener-incident.yaml"), n=300, keep=True)
    assert 1.5 * 3600 <= np.median(batch.rto_s) <= 2.5 * 3600
    assert batch.humans_needed.all()
    median = batch.replays[int(np.argsort(batch.rto_s)[len(batch) // 2])]
    lengths = {}
    for name, start, end in median.phases:
        lengths[name] = lengths.get(name, 0.0) + end - start
    assert max(lengths, key=lengths.get) in ("reconnect", "restart")
    assert lengths["restart"] > 0.5 * median.rto_s


def test_it_recovers_the_fixed_opener_in_one_to_three_minutes():
    batch = _run(load_file(EXAMPLES / "opener-fixed.yaml"), n=500)
    assert 60 <= np.median(batch.rto_s) <= 180
    # the load balancer fails open while every deep check fails, so the fleet serves as soon as it works
    assert np.mean((batch.rto_s >= 40) & (batch.rto_s <= 180)) >= 0.9


def test_it_loses_nothing_on_a_node_failure_in_the_worked_example():
    batch = _run(load_file(EXAMPLES / "worked-active-passive.yaml"), n=300)
    assert not batch.data_loss_s.any()
    assert np.median(batch.rto_s) <= 180


def test_it_gets_worse_with_more_instances_to_cycle_by_hand():
    opener = load_file(EXAMPLES / "opener-incident.yaml")
    # six instances still carry the opener's 1,200 req/s; fewer could not serve it at all
    few = opener.model_copy(
        update={"regions": [opener.regions[0].model_copy(update={"app_instances": 6}), opener.regions[1]]}
    )
    assert np.median(_run(few, n=200).rto_s) < np.median(_run(opener, n=200).rto_s) - 30 * 60


def test_it_names_only_known_phases():
    batch = _run(load_file(EXAMPLES / "opener-incident.yaml"), n=20, keep=True)
    assert {name for r in batch.replays for name, _, _ in r.phases} <= set(PHASES)
    assert all(start <= end for r in batch.replays for _, start, end in r.phases)


def test_it_gives_identical_results_for_the_same_seed_and_different_for_another():
    scenario = _scenario(failover={"automation_success_probability": 0.8})
    a, b, c = _run(scenario, n=200, seed=11), _run(scenario, n=200, seed=11), _run(scenario, n=200, seed=12)
    for name in ("rto_s", "impact_s", "data_loss_s", "lost_tx", "humans_needed"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.rto_s, c.rto_s)


def test_it_recovers_the_opener_sooner_when_deep_checks_drain_the_zombies():
    # instances cycled by hand take the whole load once the load balancer stops routing to the hung ones
    opener = load_file(EXAMPLES / "opener-incident.yaml")
    deep = opener.model_copy(update={"app": opener.app.model_copy(update={"health_check": "deep"})})
    assert np.median(_run(deep, n=200).rto_s) < np.median(_run(opener, n=200).rto_s) - 20 * 60


def _lowest_served(batch) -> float:
    return min(v for replay in batch.replays for _, v in replay.served)


def _active_active(pattern: str, **sections):
    second = "read-replica" if pattern == "active-active-read" else "primary"
    return load_scenario(
        {
            "pattern": pattern,
            "regions": [{"name": "a", "role": "primary"}, {"name": "b", "role": second}],
            "database": {"size_gb": 10},
            "failover": SURE,
            "traffic": {"write_share": 0.25},
            **sections,
        }
    )


def test_it_keeps_serving_reads_in_active_active_read():
    batch = _run(_active_active("active-active-read"), n=100, keep=True)
    assert _lowest_served(batch) == pytest.approx(0.75)  # only the writes wait for the promotion
    assert np.all(batch.rto_s > 0) and np.all(batch.rto_s < 180)


def test_it_affects_only_the_failed_primarys_region_in_active_active_full():
    regions = [
        {"name": "a", "role": "primary", "app_instances": 4},
        {"name": "b", "role": "primary", "app_instances": 12},
    ]
    batch = _run(_active_active("active-active-full", regions=regions), n=400, keep=True)
    lowest = [min(v for _, v in replay.served) for replay in batch.replays]
    assert set(np.round(lowest, 6)) == {0.75, 0.25}  # the failed region's share of the traffic is lost
    assert np.mean(np.isclose(lowest, 0.75)) == pytest.approx(0.5, abs=0.08)  # either primary fails


def test_people_paged_by_escalation_carry_out_a_failover_that_detection_has_not_started():
    # a detector that needs ten failed checks 10 min apart declares the failure after ≥ 90 min;
    # people paged at the 15-min escalation promote the standby themselves long before that
    slow = {"detection": {"interval_s": 600, "failure_threshold": 10}}
    batch = _run(_scenario(failover=slow), n=300)
    assert batch.humans_needed.all()
    assert np.median(batch.rto_s) < 9 * 600
    assert np.median(batch.rto_s) > 900  # they start only at the escalation


def test_a_hot_synchronous_standby_fails_over_in_one_to_two_minutes_at_any_size():
    # AWS: Multi-AZ DB instance failovers typically take 60-120 s, whatever the size. DNS with a 30 s TTL,
    # validating pools, a Route 53-like detector (3 checks 10 s apart)
    app = {"discovery": "dns", "pool": {"validate_on_borrow": True}}
    failover = {"dns_ttl_s": 30}
    small = _run(_scenario({"size_gb": 10}, failover, app), n=300, seed=3).rto_s
    big = _run(_scenario({"size_gb": 500}, failover, app), n=300, seed=3).rto_s
    assert np.array_equal(small, big)
    assert np.percentile(big, 5) >= 60 and np.percentile(big, 95) <= 120


def test_size_costs_failover_time_only_where_data_replays_or_warms_up():
    # the brief's "2 min at 10 GB, maybe 20 min at 500 GB": a standby with a cold cache whose working set
    # (half the data) is read in at 0.25 GB/s
    cold = {"standby_cache": "cold", "working_set_share": 0.5, "cache_warm_up_gb_per_s": 0.25}
    small = np.median(_run(_scenario({"size_gb": 10, **cold}), n=300).rto_s)
    big = np.median(_run(_scenario({"size_gb": 500, **cold}), n=300).rto_s)
    assert big - small == pytest.approx(0.5 * 490 / 0.25, rel=0.05)
    assert 60 < small < 180 and 15 * 60 < big < 25 * 60
    # an asynchronous standby's replay backlog: catch-up = backlog / replay throughput, its own phase
    backlog = {"local_standby": "async", "replay_backlog_gb": 6, "replay_throughput_gb_per_s": 0.05}
    batch = _run(_scenario(backlog), n=50, keep=True)
    catch_up = [end - start for r in batch.replays for name, start, end in r.phases if name == "catch-up"]
    assert len(catch_up) == 50 and np.allclose(catch_up, 120)


def test_a_node_restarted_in_place_replays_the_wal_since_its_checkpoint_not_its_size():
    database = {"local_standby": "none", "replicas": [], "backups": {"kind": "none"}, "node_repair_s": 3600}
    recovery = {"crash_recovery_wal_gb": 2, "replay_throughput_gb_per_s": 0.05, "working_set_share": 0}
    small = _run(_scenario({**database, **recovery, "size_gb": 10}), n=100, keep=True)
    big = _run(_scenario({**database, **recovery, "size_gb": 5000}), n=100, keep=True)
    assert np.array_equal(small.rto_s, big.rto_s)
    phases = {name: end - start for name, start, end in big.replays[0].phases}
    assert phases["crash-recovery"] == pytest.approx(40)


def test_escalation_pages_people_before_a_slow_detector_in_a_manual_failover():
    slow = {"mode": "manual", "detection": {"interval_s": 600, "failure_threshold": 10}}
    batch = _run(_scenario(failover=slow), n=300)
    assert np.median(batch.rto_s) < 9 * 600  # paged at the 15-min escalation, not after the ≥ 90-min detection


REJOIN_S = 0.5 + 2 * 10  # reconnection, then two passing load-balancer checks 10 s apart


def _blip(blip_s, detection, n=200, seed=5):
    # no auto-restart: an orchestrator restarting what deep checks drained would outlast a long blip
    scenario = _scenario(failover={"detection": detection}, app={"auto_restart": False})
    failure = scenario.incidents.db_primary_failure.model_copy(update={"duration_s": blip_s})
    incidents = scenario.incidents.model_copy(update={"db_primary_failure": failure})
    return _run(scenario.model_copy(update={"incidents": incidents}), n=n, seed=seed, keep=True)


@pytest.mark.parametrize(
    "detection",
    [
        {"interval_s": 10, "failure_threshold": 3},
        {"interval_s": 5, "failure_threshold": 2, "timeout_s": 2},
        {"interval_s": 30, "failure_threshold": 3},
        {"interval_s": 1, "failure_threshold": 1, "lease_s": 30},  # Patroni: nobody takes over within the lease
    ],
)
def test_a_blip_shorter_than_detection_is_ridden_out(detection):
    blip = 0.95 * max((detection["failure_threshold"] - 1) * detection["interval_s"], detection.get("lease_s", 0))
    batch = _blip(Fixed(value=blip), detection)
    assert not batch.humans_needed.any() and not batch.data_loss_s.any()
    # the blip, plus reconnection, plus the load balancer's return of what its deep checks drained meanwhile
    assert np.all(batch.rto_s >= blip) and np.all(batch.rto_s <= blip + REJOIN_S)
    assert not any(name == "promote" for r in batch.replays for name, _, _ in r.phases)


def test_a_blip_longer_than_detection_is_failed_over():
    batch = _blip(Fixed(value=25), {"interval_s": 5, "failure_threshold": 2, "timeout_s": 2})
    assert all(any(name == "promote" for name, _, _ in r.phases) for r in batch.replays)


@settings(max_examples=25, deadline=None)
@given(
    interval=st.floats(1, 30),
    threshold=st.integers(1, 5),
    more_checks=st.integers(0, 3),
    longer=st.floats(1, 3),
    lease=st.sampled_from([0, 10, 30]),
    share=st.floats(0.05, 0.99),
)
def test_a_more_patient_detector_never_lengthens_a_blip_shorter_than_it(
    interval, threshold, more_checks, longer, lease, share
):
    eager = {"interval_s": interval, "failure_threshold": threshold, "lease_s": lease}
    patient = {"interval_s": interval * longer, "failure_threshold": threshold + more_checks, "lease_s": lease}
    # shorter than the patient detector's decisive check, and than the eager one's detection + promotion (10 s)
    limit = max((threshold + more_checks - 1) * interval * longer, lease)
    blip = min(share * limit, max((threshold - 1) * interval, lease) + 10)
    if blip <= 0:
        return
    rto_eager = _blip(Fixed(value=blip), eager, n=20).rto_s
    rto_patient = _blip(Fixed(value=blip), patient, n=20).rto_s
    assert np.all(rto_patient <= rto_eager + 1e-9)
    assert np.all(rto_patient <= blip + REJOIN_S)


def _lb(fail_open, **app):
    app = {"health_check": "deep", "load_balancer": {"fail_open": fail_open}, **app}
    return _scenario(app=app, failover={"promotion_s": 20})


def test_a_load_balancer_that_fails_open_keeps_the_fleet_when_every_deep_check_fails():
    closed = _run(_lb(False, auto_restart=False), n=200, keep=True)
    opened = _run(_lb(True, auto_restart=False), n=200, keep=True)
    # closed: the instances wait for two passing checks (rejoin) after they work again; open: they never left
    assert np.median(closed.rto_s) - np.median(opened.rto_s) == pytest.approx(15, abs=6)
    for replay, rto in zip(closed.replays, closed.rto_s):
        phases = {name: (start, end) for name, start, end in replay.phases}
        assert phases["rejoin"][1] == pytest.approx(rto)  # the phases add up to the RTO
        assert phases["detect"][0] == 0 and phases["rejoin"][0] == pytest.approx(phases["reconnect"][1])


@settings(max_examples=20, deadline=None)
@given(
    instances=st.integers(2, 6),
    unhealthy=st.integers(1, 4),
    healthy=st.integers(1, 4),
    auto_restart=st.booleans(),
    seed=st.integers(0, 100),
)
def test_failing_open_never_lowers_the_served_fraction(instances, unhealthy, healthy, auto_restart, seed):
    lb = {"unhealthy_threshold": unhealthy, "healthy_threshold": healthy}
    runs = {}
    for fail_open in (False, True):
        app = {
            "health_check": "deep",
            "auto_restart": auto_restart,
            "capacity_rps_per_instance": 1000,
            "load_balancer": {**lb, "fail_open": fail_open},
        }
        runs[fail_open] = _run(_scenario(app=app, instances=instances), n=10, seed=seed)
    assert np.all(runs[True].impact_s <= runs[False].impact_s + 1e-6)
    assert np.all(runs[True].rto_s <= runs[False].rto_s + 1e-6)


def test_a_promotion_once_started_goes_on_when_the_old_primary_returns():
    # the primary is back 40 s after failing: after the detector declared it (25-35 s), before the 60 s
    # promotion ends; the promotion completes and the app follows the new primary
    scenario = _scenario(failover={"promotion_s": 60}, app={"auto_restart": False})
    failure = scenario.incidents.db_primary_failure.model_copy(update={"duration_s": Fixed(value=40)})
    scenario = scenario.model_copy(
        update={"incidents": scenario.incidents.model_copy(update={"db_primary_failure": failure})}
    )
    batch = _run(scenario, n=100, keep=True)
    for replay in batch.replays:
        phases = {name: (start, end) for name, start, end in replay.phases}
        assert "promote" in phases and phases["promote"][1] - phases["promote"][0] == pytest.approx(60)
    assert np.all(batch.rto_s > 60 + 25)
    # people acting while the node is still down promote too, even when it returns before they finish
    manual = scenario.model_copy(update={"failover": scenario.failover.model_copy(update={"mode": "manual"})})
    failure = failure.model_copy(update={"duration_s": Fixed(value=1500)})
    manual = manual.model_copy(
        update={"incidents": manual.incidents.model_copy(update={"db_primary_failure": failure})}
    )
    setup = db_draws.db_setup(manual)
    rows = db_draws.DbRow.rows(db_draws.draw_db(manual, setup, np.random.default_rng(1), 50))
    for app_row, db_row in zip(draw_app(manual, np.random.default_rng(2), 50, 4).rows(), rows):
        outcome = db_primary_failure.plan_db_recovery(setup, db_row, app_row, Response(), Phases(), repair_cap_s=1500)
        acting = app_row.detect_s + app_row.respond_s + app_row.execute_s
        assert outcome.path == ("promote" if acting < 1500 else "repair")


def test_a_switchover_pair_matches_the_closed_form_unavailability_and_double_failure_rate():
    # a pair of nodes, MTBF M, repair R (fixed), switchover d: U ≈ u² + λ(1 − u)d with u = R/(M + R), and
    # double failures (the other node down: still being rebuilt, or failed on its own) at about λ · 2u
    year = 365.25 * 86400
    mtbf, repair = 2000 * 3600.0, 20 * 3600.0
    rate = year / mtbf
    database = {
        "size_gb": 1,
        "rebuild_throughput_gb_per_s": 1 / repair,  # the old primary is back as a standby after R
        "node_repair_s": repair,
        "standby_failure_rate_per_year": rate,
        "backups": {"kind": "none"},
        "replicas": [],
        "working_set_share": 0,
        "crash_recovery_wal_gb": 0,
    }
    fast = {"page_s": 1, "acknowledge_s": 1, "diagnose_s": 1, "execute_s": 1, "escalation_s": 1e7}
    failover = {"detection": {"interval_s": 1, "failure_threshold": 1}, "promotion_s": 30, "humans": fast}
    app = {"dead_host_signature": "refuse", "health_check": "liveness"}
    scenario = _scenario(database, failover, app)
    failure = scenario.incidents.db_primary_failure.model_copy(update={"rate_per_year": rate})
    scenario = scenario.model_copy(
        update={"incidents": scenario.incidents.model_copy(update={"db_primary_failure": failure})}
    )
    n = 40_000
    batch = _run(scenario, n=n, seed=9)
    double = batch.rto_s > 3600
    d = batch.impact_s[~double].mean()  # the switchover as replayed
    u = repair / (mtbf + repair)
    lam = 1 / mtbf
    expected_u = u**2 + lam * (1 - u) * d
    per_incident = batch.impact_s * lam  # unavailability contributed per failure, scaled by the rate
    mean, half = per_incident.mean(), 1.96 * per_incident.std(ddof=1) / np.sqrt(n)
    assert abs(mean - expected_u) < half  # within the 95 % confidence interval
    p, p_half = double.mean(), 1.96 * np.sqrt(double.mean() * (1 - double.mean()) / n)
    assert abs(p - 2 * u) < p_half
