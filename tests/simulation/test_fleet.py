"""The app tier and detection machinery: closed forms, the load balancer, pools, propagation."""

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.incidents import db_primary_failure, people
from simulation.incidents.app_draws import draw_app
from simulation.incidents.fleet import Fleet, cycles_until
from simulation.incidents.outcomes import Phases, Response
from simulation.incidents.served import ServedTracker
from simulation.model.loading import load_scenario

N = 2000


def _scenario(**sections):
    doc = {
        "pattern": "active-passive",
        "regions": [{"name": "a", "app_instances": 4}, {"name": "b", "role": "standby"}],
    }
    doc.update(sections)
    doc["database"] = {"size_gb": 10, **doc.get("database", {})}  # a small database: promotion of ~1 min
    return load_scenario(doc)


def test_it_declares_a_failure_after_k_checks_plus_a_timeout_against_a_hanging_host():
    detection = {"interval_s": 20, "timeout_s": 7, "failure_threshold": 4}
    scenario = _scenario(failover={"detection": detection}, app={"dead_host_signature": "hang"})
    batch = db_primary_failure.simulate(scenario, np.random.default_rng(1), 1000, keep_replays=True)
    detect = np.array([end for r in batch.replays for name, _, end in r.phases if name == "detect"])
    assert detect.mean() == pytest.approx(20 / 2 + 3 * 20 + 7, rel=0.03)
    assert detect.min() >= 3 * 20 + 7 and detect.max() <= 4 * 20 + 7


def test_it_declares_a_failure_without_the_timeout_when_the_host_refuses():
    scenario = _scenario(
        failover={"detection": {"interval_s": 10, "timeout_s": 5, "failure_threshold": 3}},
        app={"dead_host_signature": "refuse"},
    )
    draws = draw_app(scenario, np.random.default_rng(2), 4000, 4)
    assert draws.detect_s.mean() == pytest.approx(5 + 20, rel=0.02)


def test_it_drains_a_pool_by_max_lifetime_like_the_max_of_the_remaining_lifetimes():
    # no validation, no TCP give-up in reach: a query timeout returns each hung connection every 10 s, and
    # max lifetime retires it at the first return past its lifetime
    lifetime, connections, query = 1800.0, 20, 10.0
    app = {
        "discovery": "service-discovery",
        "health_check": "liveness",
        "auto_restart": False,
        "tcp_give_up_s": 1e7,
        "timeouts": {"oltp_query_s": query},
        "capacity_rps_per_instance": 1000,
        "pool": {"max_size": connections, "validate_on_borrow": False, "max_lifetime_s": lifetime},
    }
    scenario = _scenario(
        regions=[{"name": "a", "app_instances": 1}, {"name": "b", "role": "standby"}],
        app=app,
        failover={
            "automation_success_probability": 1,
            "days_since_failover_test": 0,
            "humans": {"escalation_s": 1e6},
            "promotion_s": 1,
        },
    )
    batch = db_primary_failure.simulate(scenario, np.random.default_rng(3), N)
    assert batch.rto_s.mean() == pytest.approx(lifetime * connections / (connections + 1) + query / 2, rel=0.02)


def test_max_lifetime_never_ends_a_connection_held_by_a_hung_request():
    # HikariCP retires only idle connections: without a query or socket timeout, the hung request holds its
    # connection until the OS gives up on TCP, however short the max lifetime
    app = {"pool": {"validate_on_borrow": False, "max_lifetime_s": 60}, "timeouts": {"oltp_query_s": None}}
    draws = draw_app(_scenario(app={**app, "tcp_give_up_s": 924}), np.random.default_rng(4), 50, 4)
    assert np.all(draws.drain_s == 924)
    with_socket = draw_app(_scenario(app={**app, "socket_timeout_s": 30}), np.random.default_rng(4), 50, 4)
    assert np.all(with_socket.drain_s == 30)  # a socket timeout breaks the connection: evicted


def test_a_query_timeout_returns_the_stale_connection_and_validation_then_evicts_it():
    pool = {"validate_on_borrow": True, "connection_timeout_s": 5, "max_lifetime_s": None}
    draws = draw_app(_scenario(app={"pool": pool, "timeouts": {"oltp_query_s": 30}}), np.random.default_rng(4), 10, 4)
    assert np.all(draws.drain_s == 30 + 5)  # validation passes only at the next borrow, after the timeout


@settings(max_examples=40, deadline=None)
@given(query=st.floats(1, 600), validate=st.booleans(), lifetime=st.sampled_from([None, 60, 1800]))
def test_adding_a_query_timeout_never_lengthens_the_drain(query, validate, lifetime):
    pool = {"validate_on_borrow": validate, "max_lifetime_s": lifetime}
    without = draw_app(
        _scenario(app={"pool": pool, "timeouts": {"oltp_query_s": None}}), np.random.default_rng(1), 20, 4
    )
    with_q = draw_app(
        _scenario(app={"pool": pool, "timeouts": {"oltp_query_s": query}}), np.random.default_rng(1), 20, 4
    )
    assert np.all(with_q.drain_s <= without.drain_s)


def test_it_drains_stale_connections_by_the_first_mechanism_that_applies():
    scenario = _scenario(
        app={
            "pool": {"validate_on_borrow": True, "connection_timeout_s": 5, "max_lifetime_s": None},
            "timeouts": {"oltp_query_s": 30},
            "socket_timeout_s": 20,
        }
    )
    draws = draw_app(scenario, np.random.default_rng(4), 10, 4)
    assert np.all(draws.drain_s == 20)
    slow = _scenario(
        app={
            "pool": {"validate_on_borrow": False, "max_lifetime_s": None},
            "timeouts": {"oltp_query_s": None},
            "tcp_give_up_s": 924,
        }
    )
    assert np.all(draw_app(slow, np.random.default_rng(4), 10, 4).drain_s == 924)
    refused = _scenario(app={"dead_host_signature": "refuse", "pool": {"validate_on_borrow": False}})
    assert np.all(draw_app(refused, np.random.default_rng(4), 10, 4).drain_s < 1)


def test_it_follows_dns_at_the_first_client_refresh_after_the_resolver_s_ttl():
    scenario = _scenario(app={"discovery": "dns", "dns_client_cache_s": 30}, failover={"dns_ttl_s": 120})
    draws = draw_app(scenario, np.random.default_rng(5), 2000, 4)
    # the client refreshes every 30 s at its own phase: on average 15 s after the resolver's 60 s
    assert draws.follow_s.mean() == pytest.approx(60 + 15, rel=0.03)
    assert draws.follow_s.min() >= 0 and draws.follow_s.max() <= 150


def test_a_client_dns_cache_adds_its_residual_whose_mean_is_half_the_cache():
    cache = 60.0
    scenario = _scenario(app={"discovery": "dns", "dns_client_cache_s": cache}, failover={"dns_ttl_s": 0})
    follow = draw_app(scenario, np.random.default_rng(6), 5000, 4).follow_s.ravel()
    half_width = 1.96 * follow.std(ddof=1) / np.sqrt(follow.size)
    assert abs(follow.mean() - cache / 2) < half_width  # within the 95 % confidence interval
    assert follow.min() >= 0 and follow.max() <= cache
    static = draw_app(_scenario(app={"discovery": "static"}), np.random.default_rng(5), 10, 4)
    assert np.all(np.isinf(static.follow_s))


def _fleet(health_check: str, instances: int = 4, capacity: float = 250, load: float = 500):
    scenario = _scenario(
        app={
            "health_check": health_check,
            "auto_restart": False,
            "load_balancer": {"interval_s": 10, "unhealthy_threshold": 3, "healthy_threshold": 2},
        }
    )
    row = draw_app(scenario, np.random.default_rng(6), 1, instances).row(0)
    env = simpy.Environment()
    tracker = ServedTracker(env, instances, capacity, load)
    return env, tracker, Fleet(env, tracker, scenario.app, row)


def test_it_keeps_zombies_in_rotation_with_a_liveness_check():
    env, tracker, fleet = _fleet("liveness")
    fleet.working[0] = False
    tracker.set(0, working=False)
    fleet._health_changed(0)
    env.run(until=600)
    assert tracker.in_rotation[0] and tracker.served() == pytest.approx(0.75)


def test_it_drains_zombies_with_a_deep_check_when_the_others_have_capacity():
    env, tracker, fleet = _fleet("deep")
    fleet.working[0] = False
    tracker.set(0, working=False)
    fleet._health_changed(0)
    env.run(until=600)
    assert not tracker.in_rotation[0] and tracker.served() == 1.0
    removed_at = tracker.points[-1][0]
    assert 20 <= removed_at <= 30  # third failed check, 10 s apart, first at a random phase


def test_it_cannot_absorb_a_drained_instance_without_capacity():
    env, tracker, fleet = _fleet("deep", instances=2, capacity=250, load=500)
    fleet.lose_instance(0)
    env.run(until=600)
    assert tracker.served() == pytest.approx(0.5)


def test_it_cycles_broken_instances_in_batches():
    scenario = _scenario(
        app={"discovery": "static", "health_check": "liveness", "auto_restart": False, "restart_s": 100},
        failover={"humans": {"escalation_s": 0, "restart_batch_size": 2}},
    )
    row = draw_app(scenario, np.random.default_rng(7), 1, 4).row(0)
    env = simpy.Environment()
    tracker = ServedTracker(env, 4, 250, 500)
    fleet = Fleet(env, tracker, scenario.app, row)
    fleet.lose_primary()
    env.timeout(10).callbacks.append(lambda _e: fleet.primary_is_ready(same_address=False))
    response = Response()
    people.escalate(env, fleet, scenario.failover.humans, response, Phases(), 0.99)
    env.run()
    assert response.needed and all(fleet.working)
    started = sorted(set(fleet.restart_starts_s))
    assert len(started) == 2 and started[1] - started[0] == pytest.approx(100)  # two batches of two


def test_it_recovers_faster_with_validation_on_borrow():
    base = {
        "discovery": "service-discovery",
        "timeouts": {"oltp_query_s": 30},  # ends hung requests: validation then evicts the returned connection
        "auto_restart": False,
        "pool": {"validate_on_borrow": False, "max_lifetime_s": 1800},
    }
    slow = _scenario(app=base)
    fast = _scenario(app={**base, "pool": {"validate_on_borrow": True, "max_lifetime_s": 1800}})
    rng_seed = 8
    slow_rto = db_primary_failure.simulate(slow, np.random.default_rng(rng_seed), 400).rto_s
    fast_rto = db_primary_failure.simulate(fast, np.random.default_rng(rng_seed), 400).rto_s
    assert np.median(fast_rto) < np.median(slow_rto) / 5


def test_it_recovers_faster_with_deep_health_checks_when_instances_recover_unevenly():
    # a refusing host, DNS discovery: instances follow at different times; deep checks drain the broken ones
    app = {
        "discovery": "dns",
        "dead_host_signature": "refuse",
        "auto_restart": False,
        "capacity_rps_per_instance": 1000,
    }
    liveness = _scenario(app={**app, "health_check": "liveness"}, failover={"dns_ttl_s": 600})
    deep = _scenario(app={**app, "health_check": "deep"}, failover={"dns_ttl_s": 600})
    impact_liveness = db_primary_failure.simulate(liveness, np.random.default_rng(9), 400).impact_s
    impact_deep = db_primary_failure.simulate(deep, np.random.default_rng(9), 400).impact_s
    assert impact_deep.mean() < impact_liveness.mean()


def test_it_recovers_faster_with_service_discovery_than_dns_than_static():
    app = {"auto_restart": False}
    medians = []
    for discovery in ("service-discovery", "dns", "static"):
        scenario = _scenario(app={**app, "discovery": discovery}, failover={"dns_ttl_s": 300})
        medians.append(np.median(db_primary_failure.simulate(scenario, np.random.default_rng(10), 300).rto_s))
    assert medians[0] < medians[1] < medians[2]


def test_it_replays_in_an_environment_that_behaves_like_simpys():
    from simulation.incidents.outcomes import ReplayEnvironment

    def process(env, log):
        log.append(env.active_process is not None)
        yield env.timeout(5)
        log.append(env.now)

    for env in (simpy.Environment(), ReplayEnvironment()):
        log = []
        env.process(process(env, log))
        env.timeout(3).callbacks.append(lambda _e, env=env, log=log: log.append(("cb", env.now)))
        env.run()
        assert log == [True, ("cb", 3), 5] and env.active_process is None


def test_it_computes_the_auto_restart_cycles_of_a_parked_instance_like_replaying_them():
    """Deep checks + auto-restart while no primary is reachable: restart, fail the checks, restart again..."""
    import random

    def replayed(lb_after, up_since, follow, restart, ready_at, checks):
        while True:
            next_restart = lb_after(up_since + 1e-6, checks)
            if follow <= next_restart:
                return max(follow, up_since)
            up_since = next_restart + restart
            if up_since >= ready_at:
                return up_since

    class PlanningFleet(Fleet):
        """Notes the times it plans instead of scheduling them."""

        def _plan_recovery(self, i: int, t: float, *, by_restart: bool | None) -> None:
            self.planned = [*getattr(self, "planned", []), t]

    rnd = random.Random(1)
    scenarios = {
        (interval, checks): _scenario(
            app={
                "health_check": "deep",
                "auto_restart": True,
                "load_balancer": {"interval_s": interval, "unhealthy_threshold": checks},
            }
        )
        for interval in (5, 10, 30)
        for checks in (1, 2, 3, 4)
    }
    for _ in range(2000):
        interval, checks = rnd.choice([5, 10, 30]), rnd.randint(1, 4)
        restart = rnd.choice([0.0, 30.0, rnd.uniform(0, 200)])
        up_since = rnd.uniform(0, 500)
        ready_at = up_since + rnd.uniform(0, 5000)
        follow = rnd.choice([np.inf, ready_at, ready_at + rnd.uniform(0, 300)])
        scenario = scenarios[interval, checks]
        row = draw_app(scenario, np.random.default_rng(rnd.randint(0, 999)), 1, 1).row(0)
        row.restart_s[0] = restart
        env = simpy.Environment()
        fleet = PlanningFleet(env, ServedTracker(env, 1, 250, 100), scenario.app, row)
        fleet.ready_at, fleet.parked_s[0] = ready_at, up_since
        fleet._plan_parked(0, follow)
        assert fleet.planned[0] == pytest.approx(replayed(fleet.lb_after, up_since, follow, restart, ready_at, checks))


def test_it_counts_restart_cycles_in_constant_time_for_any_gap():
    cycles = cycles_until
    assert cycles(0.0, 30.0) == 1 and cycles(30.0, 30.0) == 1 and cycles(30.000001, 30.0) == 2
    assert cycles(0.3, 0.1) == 3  # 0.3 / 0.1 rounds up to 3.0000000000000004 in floats
    assert cycles(1e300, 1e-300) == float("inf")  # the ratio overflows: never
    assert cycles(float("inf"), 30.0) == float("inf")
    huge = cycles(1e18, 7.0)  # the step-by-one search never ended here
    assert huge * 7.0 >= 1e18 and huge == pytest.approx(1e18 / 7.0)
    assert (cycles(1e12, 7.0) - 1) * 7.0 < 1e12 <= cycles(1e12, 7.0) * 7.0


def test_it_gives_a_never_firing_event_for_a_time_that_never_comes():
    from simulation.incidents.outcomes import ReplayEnvironment

    scenario = _scenario()
    env = ReplayEnvironment()
    row = next(draw_app(scenario, np.random.default_rng(0), 1, 4).rows())
    fleet = Fleet(env, ServedTracker(env, 4, 250, 500), scenario.app, row)
    never = fleet.at(float("inf"))
    assert isinstance(never, simpy.Event)

    def waiter():
        yield never
        raise AssertionError("resumed at infinity")

    env.process(waiter())
    env.run()
    assert not never.triggered


def _demoted(pool, escalation_s=1e6, auto_restart=True):
    return _scenario(
        regions=[{"name": "a", "app_instances": 4}, {"name": "b", "role": "standby"}],
        app={
            "dead_host_signature": "read-only",
            "health_check": "deep",
            "auto_restart": auto_restart,
            "pool": {"max_size": 20, "validate_on_borrow": True, **pool},
            "timeouts": {"oltp_query_s": 10},
            "socket_timeout_s": 30,
        },
        failover={
            "automation_success_probability": 1,
            "days_since_failover_test": 0,
            "humans": {"escalation_s": escalation_s},
        },
    )


def test_a_demoted_primary_back_read_only_needs_lifetime_recycling_a_role_check_or_a_restart():
    # validation (SELECT 1 passes), query and socket timeouts (writes fail fast) and deep checks do not help
    lifetime = 1800.0
    recycled = db_primary_failure.simulate(_demoted({"max_lifetime_s": lifetime}), np.random.default_rng(3), 400)
    # the last of 4 instances × 20 connections: the max of 80 remaining lifetimes
    assert recycled.rto_s.mean() == pytest.approx(lifetime * 80 / 81, rel=0.02)
    role = db_primary_failure.simulate(
        _demoted({"max_lifetime_s": lifetime, "checks_role": True}), np.random.default_rng(3), 400
    )
    assert np.all(role.rto_s < 120)
    # no lifetime, no role check: only people restarting the instances after the escalation end it
    restarted = db_primary_failure.simulate(
        _demoted({"max_lifetime_s": None}, escalation_s=900), np.random.default_rng(3), 200
    )
    assert np.all(restarted.rto_s > 900) and restarted.humans_needed.all()


def test_calls_due_at_one_moment_run_in_the_order_they_were_scheduled():
    """A moment's calls of one step share an entry only while nothing else was scheduled in between."""
    from simulation.incidents.outcomes import ReplayEnvironment

    scenario = _scenario()
    env = ReplayEnvironment()
    row = next(draw_app(scenario, np.random.default_rng(0), 1, 4).rows())
    fleet = Fleet(env, ServedTracker(env, 4, 250, 500), scenario.app, row)
    ran = []
    first = fleet._batch(10.0, lambda items: ran.extend(("lb", item) for item in items))
    first.append(0)
    fleet.at(10.0, lambda: ran.append(("other", None)))
    step = fleet._slots[10.0][1][0]
    fleet._batch(10.0, step).append(1)  # after another call: its own entry
    fleet._batch(10.0, step).append(2)  # right after: the same entry
    env.run()
    assert ran == [("lb", 0), ("other", None), ("lb", 1), ("lb", 2)]
    assert len(fleet._slots) == 0 and env.now == 10.0


def test_a_moment_is_queued_as_a_timeout_to_its_time():
    from simulation.incidents.outcomes import ReplayEnvironment

    scenario = _scenario()
    env = ReplayEnvironment()
    row = next(draw_app(scenario, np.random.default_rng(0), 1, 4).rows())
    fleet = Fleet(env, ServedTracker(env, 4, 250, 500), scenario.app, row)
    moment = fleet.at(0.1 + 0.2)
    timeout = env.timeout(0.1 + 0.2, 0.1 + 0.2)
    (t_moment, priority_moment, _, event_moment), (t_timeout, priority_timeout, _, _) = sorted(env._queue)
    assert (t_moment, priority_moment, event_moment) == (t_timeout, priority_timeout, moment)
    env.run()
    assert moment.processed and moment.value == timeout.value == 0.1 + 0.2


@pytest.mark.parametrize("health_check", ["deep", "liveness"])
def test_losing_the_primary_with_every_instance_working_changes_them_as_one_by_one(health_check):
    """The whole-fleet path of ``lose_primary`` leaves the state the per-instance path leaves."""
    scenario = _scenario(app={"health_check": health_check})
    row = draw_app(scenario, np.random.default_rng(3), 1, 4).row(0)

    def lost(whole_fleet: bool) -> tuple:
        env = simpy.Environment()
        tracker = ServedTracker(env, 4, 250, 100)
        fleet = Fleet(env, tracker, scenario.app, row)
        fleet._set_lb(2, False, registered=None)  # one instance already out of rotation
        env.run(until=5.0)
        fleet._lose_primary_everywhere() if whole_fleet else fleet._lose_primary_one_by_one()
        tracker.record()
        env.run(until=600.0)
        return fleet.state_v, fleet.lb_v, fleet.stale, fleet.working, tracker.in_rotation, tracker.points

    assert lost(whole_fleet=True) == lost(whole_fleet=False)


def test_recording_again_without_a_change_leaves_the_timeline_as_recording_it_afresh():
    """``record`` skips when nothing the served fraction depends on changed: the timeline is the same."""

    def timeline(skip: bool) -> list:
        env = simpy.Environment()
        tracker = ServedTracker(env, 4, 250, 600)
        for t, changes in [(0, [(0, False)]), (0, [(0, True)]), (0, []), (5, [(1, False)]), (9, []), (9, [(2, False)])]:
            if t > env.now:
                env.run(until=t)
            for i, working in changes:
                tracker.set_working(i, working)
            if not skip:
                tracker.recorded_state = ()  # forget what was recorded: compute afresh
            tracker.record()
        return tracker.points

    assert timeline(skip=True) == timeline(skip=False) == [(0.0, 1.0), (5.0, 0.75), (9.0, 0.5)]


def test_trackers_with_the_same_fixed_inputs_share_their_served_fractions_by_state():
    env = simpy.Environment()
    one, other = ServedTracker(env, 4, 250, 800), ServedTracker(env, 4, 250, 800)
    smaller = ServedTracker(env, 4, 200, 800)
    assert one.by_state is other.by_state and one.by_state is not smaller.by_state
    for tracker in (one, smaller):
        tracker.set(0, in_rotation=False)
        tracker.set(1, working=False)
        assert tracker.served() == 1.0 - tracker.traffic_share * (1.0 - tracker.fleet_served())
        assert tracker.points[-1] == (0.0, tracker.served())
    assert one.served() != smaller.served()
