"""Agent retry storms: extra load while the service is degraded.

Automated clients that retry at once, many in parallel, multiply their own
traffic during a partial outage: each failed agent call becomes
``agent_retry_multiplier`` calls. Backoff keeps the extra to about half a call
per failed call; per-client rate limits (agent API keys separate from human
sessions) turn the excess away before it reaches the app, so what gets through
is no more than a backing-off client would send. Human clients are counted
as not retrying. Models multiply their load by ``retry_amplification`` while
the service is degraded (served fraction below 1).
"""
from __future__ import annotations

from ..scenario import Scenario

BACKOFF_EXTRA = 0.5  # a backing-off client adds about half a call per failed call


def retry_amplification(scenario: Scenario) -> float:
    """Load multiplier while degraded: 1 + agent share × extra calls per failed request."""
    traffic = scenario.traffic
    if traffic.agent_retry == "none" or traffic.agent_share == 0:
        return 1.0
    extra = traffic.agent_retry_multiplier - 1 if traffic.agent_retry == "immediate" else BACKOFF_EXTRA
    if traffic.per_client_rate_limits:
        extra = min(extra, BACKOFF_EXTRA)
    return 1.0 + traffic.agent_share * extra
