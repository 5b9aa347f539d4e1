"""Workload sections: traffic and the incidents that strike it (rates, durations)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import Field

from simulation.model.base import Section
from simulation.model.distributions import Dist, lognormal


class Traffic(Section):
    request_rate_rps: float = Field(default=500, gt=0)
    write_share: float = Field(default=0.2, ge=0, le=1)
    agent_share: float = Field(default=0.0, ge=0, le=1)
    agent_retry: Literal["none", "backoff", "immediate"] = "backoff"
    agent_retry_multiplier: float = Field(
        default=5, ge=1, description="calls per failed agent request when retrying at once"
    )
    per_client_rate_limits: bool = False


class IncidentRate(Section):
    rate_per_year: float = Field(ge=0, le=100_000)
    duration_s: Dist | None = None


class NetworkPartition(IncidentRate):
    """The primary's zone or region cut off from the failover controller and from a share of the clients,
    the old primary alive (split brain when a failover happens and nothing fences the old primary)."""

    rate_per_year: float = Field(default=0.2, ge=0, le=100_000)
    duration_s: Dist | None = Field(
        default_factory=lambda: lognormal(43, 600),
        description="how long the partition lasts (default centred on GitHub's 43 s of 2018-10-21)",
    )
    scope: Literal["zone", "region"] = Field(
        default="zone", description="what is cut off with the old primary: its zone, or its whole region"
    )
    old_side_client_share: float | None = Field(
        default=None,
        description="share of the clients on the old primary's side, which keep reaching it; null: from the "
        "topology (zone: one zone of the primary region's instances; region: the primary region's)",
        ge=0,
        le=1,
    )
    reconciliation_s_per_conflicting_tx: float = Field(
        default=120,
        ge=0,
        le=86_400,  # a day per transaction at most
        description="degraded service people need per conflicting transaction to reconcile the two sides "
        "(GitHub: a few seconds of divergent writes, 24 h 11 min degraded)",
    )
    reconciliation_served_share: float = Field(
        default=0.9,
        ge=0,
        le=1,
        description="share of requests served normally while people reconcile (GitHub: reads of stale data, "
        "webhooks and Pages builds held back)",
    )


def _rate(rate: float, duration: Dist | None = None) -> Callable[[], IncidentRate]:
    return lambda: IncidentRate(rate_per_year=rate, duration_s=duration)


class Incidents(Section):
    db_primary_failure: IncidentRate = Field(default_factory=_rate(0.5))
    instance_crash: IncidentRate = Field(
        default_factory=_rate(2),
        description="crashes per serving app instance per year (the fleet's rate is this × serving instances)",
    )
    zone_outage: IncidentRate = Field(default_factory=_rate(0.5, lognormal(3600, 4 * 3600)))
    region_outage: IncidentRate = Field(default_factory=_rate(0.1, lognormal(4 * 3600, 12 * 3600)))
    dependency_slowdown: IncidentRate = Field(default_factory=_rate(4, lognormal(900, 3600)))
    data_corruption: IncidentRate = Field(default_factory=_rate(0.1))
    network_partition: NetworkPartition = Field(default_factory=NetworkPartition)
    slowdown_latency_s: Dist = Field(
        default_factory=lambda: lognormal(30, 120), description="latency of a slowed dependency"
    )
    corruption_detection_s: Dist = Field(default_factory=lambda: lognormal(3600, 6 * 3600))
    slowdown_call_share: float = Field(
        default=0.3, gt=0, le=1, description="share of requests that call the slowed dependency"
    )
    slowdown_call_type: Literal[
        "internal_http", "external_http", "oltp_query", "reporting_query", "cache", "queue_publish", "llm"
    ] = Field(default="external_http", description="which of app.timeouts bounds a call to the dependency")
    slowdown_concern: Literal["critical", "standard", "background"] = Field(
        default="standard", description="the bulkhead that holds calls to the slowed dependency"
    )
    slowdown_fallback: bool = Field(
        default=False, description="a fallback (cached answer, feature off) answers calls that fail fast"
    )
    corruption_export_interval_s: float = Field(
        default=7 * 86_400,
        gt=0,
        description="with no backups: time between logical exports (e.g. a weekly dump) to restore from",
    )
    logical_restore_throughput_gb_per_s: float = Field(
        default=0.01, gt=0, description="restoring a logical export (rebuilds indexes): slower than a backup"
    )
