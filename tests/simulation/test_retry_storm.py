"""Agent retry storms: the load multiplier while degraded."""

import pytest

from simulation.incidents.retry_storm import BACKOFF_EXTRA, retry_amplification
from simulation.model.scenario import Scenario


def amplification(**traffic) -> float:
    return retry_amplification(Scenario.model_validate({"traffic": traffic}))


def test_it_adds_nothing_without_agents_or_retries():
    assert amplification(agent_share=0.0, agent_retry="immediate") == 1.0
    assert amplification(agent_share=0.6, agent_retry="none") == 1.0


def test_immediate_retries_multiply_the_agents_share():
    assert amplification(agent_share=0.5, agent_retry="immediate", agent_retry_multiplier=5) == pytest.approx(3.0)


def test_backoff_keeps_the_extra_small():
    assert amplification(agent_share=0.5, agent_retry="backoff") == pytest.approx(1 + 0.5 * BACKOFF_EXTRA)
    assert amplification(agent_share=0.5, agent_retry="backoff") < amplification(
        agent_share=0.5, agent_retry="immediate", agent_retry_multiplier=5
    )


def test_per_client_rate_limits_cap_immediate_retries():
    unlimited = amplification(agent_share=0.5, agent_retry="immediate", agent_retry_multiplier=8)
    limited = amplification(
        agent_share=0.5, agent_retry="immediate", agent_retry_multiplier=8, per_client_rate_limits=True
    )
    assert limited == pytest.approx(1 + 0.5 * BACKOFF_EXTRA)
    assert limited < unlimited


def test_it_grows_with_the_agents_share():
    values = [amplification(agent_share=s, agent_retry="immediate") for s in (0.1, 0.3, 0.9)]
    assert values == sorted(values) and values[0] > 1.0


def test_it_adds_load_only_for_the_share_that_fails():
    from simulation.incidents.retry_storm import retry_load_factor

    assert retry_load_factor(3.0, 1.0) == 1.0  # everything served: no retries
    assert retry_load_factor(3.0, 0.0) == pytest.approx(3.0)  # everything failing: the full storm
    assert retry_load_factor(3.0, 0.9) == pytest.approx(1.2)


def test_the_tracker_adds_no_retry_load_while_the_survivors_serve_everything():
    import simpy

    from simulation.incidents.served import ServedTracker

    tracker = ServedTracker(simpy.Environment(), 10, 250, 1500, retry_amplification=3.0)
    tracker.set(0, in_rotation=False, working=False)  # drained: 9 × 250 = 2250 req/s carry 1500 req/s
    assert tracker.demand_rps() == pytest.approx(1500) and tracker.served() == 1.0
    tracker.set(0, in_rotation=True)  # a broken instance in rotation: its 10 % fail and are retried
    assert tracker.demand_rps() == pytest.approx(1500 * (1 + 2 * 0.1))
    assert tracker.served() == pytest.approx(0.9)
