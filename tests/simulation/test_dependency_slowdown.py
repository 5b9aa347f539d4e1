"""Dependency slowdown: Little's-law pool exhaustion, timeouts, circuit breaker, bulkheads, retry storms."""

import numpy as np
import pytest

from simulation.incidents import dependency_slowdown
from simulation.incidents.dependency_slowdown import BreakerModel, PoolModel
from simulation.model.scenario import Scenario

NO_BULKHEADS = {"enabled": False}
NO_BREAKER = {"enabled": False}


def scenario(
    rate_rps=500.0,
    *,
    timeout_s=5.0,
    bulkheads=True,
    breaker=True,
    latency_s=30.0,
    duration_s=600.0,
    traffic=None,
    incidents=None,
) -> Scenario:
    """Four instances of 50 threads, 30 % of requests call a dependency that slows to ``latency_s``."""
    return Scenario.model_validate(
        {
            "regions": [{"name": "a", "role": "primary", "app_instances": 4}, {"name": "b", "role": "standby"}],
            "app": {
                "threads_per_instance": 50,
                "latency_s": 0.05,
                "capacity_rps_per_instance": 1000,
                "timeouts": {"external_http_s": timeout_s},
                "bulkheads": {"enabled": bulkheads},
                "circuit_breaker": {"enabled": breaker},
            },
            "traffic": {"request_rate_rps": rate_rps, **(traffic or {})},
            "incidents": {
                "dependency_slowdown": {"rate_per_year": 4, "duration_s": duration_s},
                "slowdown_latency_s": latency_s,
                "slowdown_call_share": 0.3,
                "slowdown_call_type": "external_http",
                **(incidents or {}),
            },
        }
    )


def run(sc: Scenario, n: int = 300, seed: int = 3, **kw):
    return dependency_slowdown.simulate(sc, np.random.default_rng(seed), n, **kw)


def lowest_served(sc: Scenario) -> float:
    replay = run(sc, n=1, keep_replays=True).replays[0]
    return min(value for _, value in replay.served)


def test_it_computes_the_littles_law_threshold():
    pool = PoolModel.of(scenario(bulkheads=False))
    # 4 instances × 50 threads / (0.05 s + 0.3 × 5 s held per request)
    assert pool.critical_rate_rps(5.0) == pytest.approx(4 * 50 / (0.05 + 0.3 * 5))
    assert pool.busy_threads(100.0, 5.0) == pytest.approx(25 * 1.55)


def test_it_does_not_freeze_below_the_threshold_and_freezes_above_it_with_timeouts():
    critical = 4 * 50 / (0.05 + 0.3 * 5)
    below = scenario(0.95 * critical, bulkheads=False, breaker=False)
    above = scenario(1.05 * critical, bulkheads=False, breaker=False)
    assert lowest_served(below) == pytest.approx(0.7)  # the dependency's callers time out, the rest is served
    assert lowest_served(above) == 0.0
    assert run(above).impact_s.mean() > 2 * run(below).impact_s.mean()


def test_it_freezes_above_the_threshold_without_timeouts():
    critical = 4 * 50 / (0.05 + 0.3 * 30)  # the calls hold their threads for the full 30 s
    below = scenario(0.95 * critical, timeout_s=None, bulkheads=False, breaker=False)
    above = scenario(1.05 * critical, timeout_s=None, bulkheads=False, breaker=False)
    assert lowest_served(below) == 1.0  # slow but answered
    assert run(below).rto_s.max() == 0.0
    assert lowest_served(above) == 0.0
    assert run(above, n=50).rto_s == pytest.approx([600 + 30] * 50)  # frozen until the last slow call ends


def test_settings_fine_at_100_rps_exhaust_the_pool_at_1000_rps():
    fine = scenario(100, bulkheads=False, breaker=False)
    overloaded = scenario(1000, bulkheads=False, breaker=False)
    assert lowest_served(fine) > 0.5
    assert lowest_served(overloaded) == 0.0


def test_timeouts_reduce_the_impact():
    without = run(
        scenario(
            100,
            timeout_s=None,
            bulkheads=False,
            breaker=False,
            latency_s={"kind": "lognormal", "median": 30, "p95": 120},
        )
    )
    with_timeouts = run(
        scenario(
            100, timeout_s=5, bulkheads=False, breaker=False, latency_s={"kind": "lognormal", "median": 30, "p95": 120}
        )
    )
    assert with_timeouts.impact_s.mean() < 0.5 * without.impact_s.mean()


def test_a_circuit_breaker_reduces_the_impact():
    without = run(scenario(500, bulkheads=False, breaker=False))
    with_breaker = run(scenario(500, bulkheads=False, breaker=True))
    assert with_breaker.impact_s.mean() < 0.5 * without.impact_s.mean()


def test_a_breaker_does_not_trip_without_timeouts():
    no_timeout = scenario(500, timeout_s=None, bulkheads=False, breaker=True)
    assert lowest_served(no_timeout) == 0.0
    frozen_from = (50 / 125 - 0.05) / 0.3  # Little's law: the threads run out 1.17 s after the onset
    assert run(no_timeout, n=20).impact_s == pytest.approx([630.0 - frozen_from] * 20)


def test_bulkheads_reduce_the_impact():
    without = run(scenario(500, bulkheads=False, breaker=False))
    with_bulkheads = run(scenario(500, bulkheads=True, breaker=False))
    assert lowest_served(scenario(500, bulkheads=True, breaker=False)) == pytest.approx(0.7)
    assert with_bulkheads.impact_s.mean() < 0.5 * without.impact_s.mean()


def test_a_fallback_answers_the_failing_calls():
    plain = run(scenario(500))
    fallback = run(scenario(500, incidents={"slowdown_fallback": True}))
    assert fallback.impact_s.mean() < plain.impact_s.mean()
    assert fallback.rto_s.max() == 0.0


def test_the_breaker_closes_on_the_first_trial_after_the_recovery():
    sc = scenario(100, bulkheads=False, breaker=True, duration_s=100)
    batch = run(sc, n=1, keep_replays=True)
    trip = 5 + 5 / (25 * 0.3)  # first timeouts after 5 s, then 5 failures at 7.5 failures/s per instance
    trials = trip + 30 + np.arange(5) * 35  # open 30 s, a failed trial takes 5 s
    close = trials[trials >= 100][0]
    assert batch.rto_s[0] == pytest.approx(close)
    assert batch.impact_s[0] == pytest.approx(0.3 * (close - 5))
    assert ("detect", 0.0, pytest.approx(trip)) in batch.replays[0].phases


def test_a_breaker_needs_enough_failures_within_its_window():
    breaker = BreakerModel(failure_threshold=5, window_s=30, open_s=30)
    assert breaker.trips_after_s(1.0) == pytest.approx(5.0)
    assert breaker.trips_after_s(0.1) == np.inf
    assert breaker.closes_at_s(trip_s=10, recovered_s=5, trial_s=3) == 40


def test_immediate_agent_retries_without_rate_limits_make_it_worse():
    calm = scenario(100, bulkheads=False, breaker=False)
    storm = scenario(
        100,
        bulkheads=False,
        breaker=False,
        traffic={"agent_share": 0.5, "agent_retry": "immediate", "agent_retry_multiplier": 5},
    )
    limited = scenario(
        100,
        bulkheads=False,
        breaker=False,
        traffic={
            "agent_share": 0.5,
            "agent_retry": "immediate",
            "agent_retry_multiplier": 5,
            "per_client_rate_limits": True,
        },
    )
    assert lowest_served(calm) == pytest.approx(0.7)
    assert lowest_served(storm) == 0.0  # the retries push the pool past its Little's-law limit
    assert run(storm).impact_s.mean() > run(limited).impact_s.mean() >= run(calm).impact_s.mean()


def test_database_calls_are_bounded_by_the_connection_pool():
    sc = Scenario.model_validate(
        {
            "app": {"threads_per_instance": 200, "pool": {"max_size": 20}},
            "incidents": {"slowdown_call_type": "oltp_query"},
        }
    )
    assert PoolModel.of(sc).threads == 20


def test_it_pages_people_only_when_still_degraded_after_the_escalation_delay():
    short = run(scenario(500, bulkheads=False, breaker=False, duration_s=60))
    long = run(scenario(500, bulkheads=False, breaker=False, duration_s=3600))
    assert not short.humans_needed.any()
    assert long.humans_needed.all()


def test_it_is_stable_for_a_seed():
    sc = Scenario()
    a = dependency_slowdown.simulate(sc, np.random.default_rng(11), 300)
    b = dependency_slowdown.simulate(sc, np.random.default_rng(11), 300)
    c = dependency_slowdown.simulate(sc, np.random.default_rng(12), 300)
    for field in ("rto_s", "impact_s", "humans_needed"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.rto_s, c.rto_s)
    assert dependency_slowdown.rate_per_year(sc) == sc.incidents.dependency_slowdown.rate_per_year


def test_a_full_bulkhead_trips_the_breaker_before_the_first_timeout():
    batch = run(scenario(500, bulkheads=True, breaker=True, duration_s=100), n=1, keep_replays=True)
    full = 15 / (125 * 0.3)  # the standard bulkhead (15 calls) fills at 37.5 calls/s per instance
    assert ("detect", 0.0, pytest.approx(full + 5 / 37.5)) in batch.replays[0].phases


@pytest.mark.parametrize("rate_rps", [20, 100, 400, 2000])
@pytest.mark.parametrize("timeout_s", [None, 0.5, 5, 60])
@pytest.mark.parametrize(
    "bulkheads,breaker,fallback", [(False, False, False), (True, True, False), (False, True, True), (True, False, True)]
)
def test_it_keeps_a_consistent_timeline_for_any_setting(rate_rps, timeout_s, bulkheads, breaker, fallback):
    sc = scenario(
        rate_rps,
        timeout_s=timeout_s,
        bulkheads=bulkheads,
        breaker=breaker,
        latency_s={"kind": "lognormal", "median": 20, "p95": 200},
        duration_s={"kind": "lognormal", "median": 300, "p95": 3000},
        traffic={"agent_share": 0.3, "agent_retry": "immediate"},
        incidents={"slowdown_fallback": fallback},
    )
    batch = run(sc, n=40, keep_replays=True)
    assert (batch.rto_s >= 0).all() and (batch.impact_s >= 0).all()
    for replay in batch.replays:
        # before the RTO served may be 0; after it, it stays >= the threshold (0.99) until the end
        assert replay.impact_s <= replay.rto_s + 0.01 * (replay.served[-1][0] - replay.rto_s) + 1e-9
        times = [t for t, _ in replay.served]
        assert times == sorted(times) and all(0.0 <= v <= 1.0 for _, v in replay.served)
        assert replay.served[-1][1] == 1.0


def test_retrying_agents_add_load_only_for_the_calls_that_fail():
    # at 70 req/s the failing share (30 % of calls time out) brings 70 × (1 + 2 × 0.3) = 112 req/s: below the
    # critical rate of 129 req/s, so the threads never run out (retrying everything, 210 req/s, would freeze)
    sc = scenario(
        70,
        bulkheads=False,
        breaker=False,
        latency_s=30.0,
        duration_s=600.0,
        traffic={"agent_share": 0.5, "agent_retry": "immediate", "agent_retry_multiplier": 5},
    )
    pool = PoolModel.of(sc)
    assert 112 < pool.critical_rate_rps(5.0) < 210
    batch = run(sc, n=20, keep_replays=True)
    lowest = min(v for replay in batch.replays for _, v in replay.served)
    assert lowest == pytest.approx(0.7)
