"""Agent retry storms: extra load from the requests that fail.

Automated clients that retry at once, many in parallel, multiply their own
traffic during a partial outage: each failed agent call becomes
``agent_retry_multiplier`` calls. Backoff keeps the extra to about half a call
per failed call; per-client rate limits (agent API keys separate from human
sessions) turn the excess away before it reaches the app, so what gets through
is no more than a backing-off client would send. Human clients are counted
as not retrying.

Only failed requests are retried: with base load L and s0 the share of it the
service serves without retries, the extra load is
L · agent_share · extra calls · (1 − s0). ``retry_amplification`` is the load
multiplier when every request fails (s0 = 0); ``ServedTracker`` and the
models scale its excess by the failed share (``retry_load_factor``).
"""

from __future__ import annotations

from simulation.model.scenario import Scenario

BACKOFF_EXTRA = 0.5  # a backing-off client adds about half a call per failed call


def retry_amplification(scenario: Scenario) -> float:
    """Load multiplier when every request fails: 1 + agent share × extra calls per failed agent request."""
    traffic = scenario.traffic
    if traffic.agent_retry == "none" or traffic.agent_share == 0:
        return 1.0
    extra = traffic.agent_retry_multiplier - 1 if traffic.agent_retry == "immediate" else BACKOFF_EXTRA
    if traffic.per_client_rate_limits:
        extra = min(extra, BACKOFF_EXTRA)
    return 1.0 + traffic.agent_share * extra


def retry_load_factor(amplification: float, served_without_retries: float) -> float:
    """Load multiplier when a share ``served_without_retries`` (s0) of the requests succeeds.

    1 + (amplification − 1) · (1 − s0): no extra load while everything is served.
    """
    failed = 1.0 - served_without_retries
    return 1.0 + (amplification - 1.0) * failed if failed > 0 else 1.0
