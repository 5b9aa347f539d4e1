"""Agent retry storms: the load multiplier while degraded."""
import pytest

from simulation.incidents.retry_storm import BACKOFF_EXTRA, retry_amplification
from simulation.scenario import Scenario


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
        agent_share=0.5, agent_retry="immediate", agent_retry_multiplier=5)


def test_per_client_rate_limits_cap_immediate_retries():
    unlimited = amplification(agent_share=0.5, agent_retry="immediate", agent_retry_multiplier=8)
    limited = amplification(agent_share=0.5, agent_retry="immediate", agent_retry_multiplier=8,
                            per_client_rate_limits=True)
    assert limited == pytest.approx(1 + 0.5 * BACKOFF_EXTRA)
    assert limited < unlimited


def test_it_grows_with_the_agents_share():
    values = [amplification(agent_share=s, agent_retry="immediate") for s in (0.1, 0.3, 0.9)]
    assert values == sorted(values) and values[0] > 1.0
