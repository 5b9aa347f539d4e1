"""The scenario document: a versioned, validated description of one design option.

Every field carries its unit in its name (``_s`` seconds, ``_gb`` gigabytes,
``_per_year``, ``_usd``) and has a default, so a minimal scenario is a few
lines. Models are frozen; ``load_scenario`` turns a mapping into a ``Scenario``
or raises ``ScenarioError`` listing every problem by field path and rule.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from simulation.limits import MAX_COUNT, MAX_DURATION_S, MAX_QUANTITY
from simulation.model.distributions import Dist, Fixed, LogNormal, Uniform


Pattern = Literal["single-region", "active-passive", "active-active-read", "active-active-full"]
ReplicationMode = Literal["sync", "async"]


UNTESTED_UNDER_LOAD_FACTOR = 0.9  # automation success probability multiplier when never tested under load


def check_bounds(model: BaseModel) -> None:
    """Raise ``ValueError("<field>: …")`` for the first number of ``model`` above its sane upper bound.

    The unit in a field's name decides the bound: ``_s`` fields (durations) at most
    ``MAX_DURATION_S``; whole numbers at most ``MAX_COUNT``; every other number at
    most ``MAX_QUANTITY``. Fields with a tighter ``le=`` keep it. Non-finite numbers
    are rejected before this by ``allow_inf_nan=False``.
    """
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        label = info.alias or name
        if name.endswith("_s") and value > MAX_DURATION_S:
            raise ValueError(f"{label}: must be at most {MAX_DURATION_S} s (10 years), got {value:g}")
        if isinstance(value, int) and value > MAX_COUNT:
            raise ValueError(f"{label}: must be at most {MAX_COUNT}, got {value}")
        if value > MAX_QUANTITY:
            raise ValueError(f"{label}: must be at most {MAX_QUANTITY:g}, got {value:g}")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="after")
    def _bounds(self):
        check_bounds(self)
        return self


def _lognormal(median: float, p95: float) -> LogNormal:
    return LogNormal(median=median, p95=p95)


class Region(_Section):
    name: str = Field(min_length=1, max_length=64)
    role: Literal["primary", "standby", "read-replica"] = "primary"
    app_instances: int = Field(default=4, ge=1, le=500)
    zones: int = Field(default=3, ge=1, le=6)
    warmth: Literal["hot", "warm", "cold"] = Field(
        default="hot", description="hot: serving-ready; warm: scaled down; cold: must be built")
    warm_up_s: Dist = Field(
        default_factory=lambda: _lognormal(600, 1800),
        description="time to scale a warm standby up to full capacity (a cold one: after it is built)")
    cold_build_s: Dist = Field(
        default_factory=lambda: _lognormal(3600, 4 * 3600),
        description="cold standby: time to build the app tier from scratch (provision, deploy, configure) "
                    "before it warms up")
    warm_capacity_share: float = Field(
        default=0.25, ge=0, le=1,
        description="share of this region's app instances a warm standby keeps running before it scales up")


class Replica(_Section):
    region: str = Field(min_length=1)
    mode: ReplicationMode = "async"
    lag_s: Dist = Field(default_factory=lambda: _lognormal(1.0, 5.0))


class Backups(_Section):
    kind: Literal["none", "daily", "pitr"] = "daily"
    interval_s: float = Field(
        default=86_400, gt=0,
        description="time between recoverable points: backup interval, or WAL archive interval for pitr")
    restore_throughput_gb_per_s: float = Field(default=0.05, gt=0)
    restore_setup_s: Dist = Field(default_factory=lambda: _lognormal(900, 2700))
    storage: Literal["same-region", "cross-region"] = "cross-region"


class Database(_Section):
    size_gb: float = Field(default=100, gt=0, le=1_000_000)
    write_rate_tps: float = Field(default=50, ge=0)
    local_standby: Literal["none", "sync", "async"] = "sync"
    local_standby_lag_s: Dist = Field(default_factory=lambda: _lognormal(0.5, 2.0))
    replicas: list[Replica] = Field(
        default_factory=list, max_length=8,
        description="cross-region replicas; when not given, multi-region patterns get one async replica in "
                    "their first region besides the primary (active-active-full: the replication between "
                    "its primaries); give [] for none")
    backups: Backups = Field(default_factory=Backups)
    promotion_s_per_gb: float = Field(
        default=2.2, ge=0,
        description="extra promotion time per GB of data: crash recovery, replay of the replication backlog "
                    "and cache warm-up grow with size (2.2 s/GB: about 2 min of failover at 10 GB, about "
                    "20 min at 500 GB)")
    rebuild_throughput_gb_per_s: float = Field(
        default=0.1, gt=0, description="speed of rebuilding a standby after a failover")
    node_repair_s: Dist = Field(
        default_factory=lambda: _lognormal(4 * 3600, 12 * 3600),
        description="time to repair a failed node when nothing can take over")
    conflict_duplicate_share: float = Field(
        default=0.5, ge=0, le=1,
        description="active-active full: share of unreplicated writes that clients re-submit in the surviving "
                    "region and that come back as duplicates; the rest are lost by conflict resolution")


class Detection(_Section):
    interval_s: float = Field(default=10, gt=0, le=3600)
    timeout_s: float = Field(default=5, gt=0, le=3600)
    failure_threshold: int = Field(default=3, ge=1, le=100)


class Humans(_Section):
    page_s: Dist = Field(default_factory=lambda: _lognormal(120, 600))
    acknowledge_s: Dist = Field(default_factory=lambda: _lognormal(300, 900))
    diagnose_s: Dist = Field(default_factory=lambda: _lognormal(900, 2700))
    execute_s: Dist = Field(default_factory=lambda: _lognormal(300, 900))
    escalation_s: float = Field(
        default=900, ge=0, description="still down this long after the failure: people are paged")
    restart_batch_size: int = Field(default=1, ge=1, description="instances restarted by hand at once")
    verify_s: float = Field(
        default=120, ge=0,
        description="after a manual failover, people watch the service this long before they cycle "
                    "instances that are still broken")


class Failover(_Section):
    mode: Literal["automated", "manual"] = "automated"
    detection: Detection = Field(default_factory=Detection)
    dns_ttl_s: float = Field(default=60, ge=0)
    promotion_s: Dist = Field(default_factory=lambda: Uniform(low=10, high=30))
    humans: Humans = Field(default_factory=Humans)
    automation_success_probability: float = Field(default=0.97, ge=0, le=1)
    automation_decay_per_day: float = Field(
        default=0.001, ge=0, le=1,
        description="success probability lost per day since the last failover test")
    days_since_failover_test: float = Field(default=60, ge=0)
    tested_under_load: bool = Field(
        default=True,
        description="the last failover test ran under production load; when not, the automation success "
                    "probability is multiplied by UNTESTED_UNDER_LOAD_FACTOR (0.9): a failover only tested "
                    "idle meets full connection pools and traffic for the first time in a real incident")


class Pool(_Section):
    max_size: int = Field(default=20, ge=1, le=10_000)
    connection_timeout_s: float = Field(default=5, gt=0)
    idle_timeout_s: float | None = Field(default=300, gt=0)
    max_lifetime_s: float | None = Field(default=1800, gt=0)
    validate_on_borrow: bool = True


class LoadBalancer(_Section):
    interval_s: float = Field(default=10, gt=0)
    unhealthy_threshold: int = Field(default=3, ge=1)
    healthy_threshold: int = Field(default=2, ge=1)


class Timeouts(_Section):
    """Per call type; null means no timeout (the call waits for the OS)."""

    internal_http_s: float | None = Field(default=3, gt=0)
    external_http_s: float | None = Field(default=5, gt=0)
    oltp_query_s: float | None = Field(default=10, gt=0)
    reporting_query_s: float | None = Field(default=60, gt=0)
    cache_s: float | None = Field(default=0.5, gt=0)
    queue_publish_s: float | None = Field(default=5, gt=0)
    llm_s: float | None = Field(default=15, gt=0)


class CircuitBreaker(_Section):
    enabled: bool = True
    failure_threshold: int = Field(default=5, ge=1)
    window_s: float = Field(default=30, gt=0)
    open_s: float = Field(default=30, gt=0)


class Bulkheads(_Section):
    enabled: bool = True
    critical_pool_size: int = Field(default=10, ge=1)
    standard_pool_size: int = Field(default=15, ge=1)
    background_pool_size: int = Field(default=5, ge=1)


class App(_Section):
    discovery: Literal["service-discovery", "dns", "static"] = "service-discovery"
    dns_client_cache_s: float = Field(
        default=0, ge=0, description="extra caching of DNS answers inside the client beyond the TTL")
    pool: Pool = Field(default_factory=Pool)
    dead_host_signature: Literal["hang", "refuse"] = "hang"
    tcp_give_up_s: float = Field(
        default=924, gt=0, description="OS TCP retransmission give-up for a hanging peer (Linux default ~15 min)")
    health_check: Literal["liveness", "deep"] = "deep"
    load_balancer: LoadBalancer = Field(default_factory=LoadBalancer)
    auto_restart: bool = True
    restart_s: Dist = Field(default_factory=lambda: Uniform(low=30, high=90))
    capacity_rps_per_instance: float = Field(default=250, gt=0)
    latency_s: float = Field(default=0.05, gt=0, description="normal request service time")
    threads_per_instance: int = Field(default=50, ge=1)
    timeouts: Timeouts = Field(default_factory=Timeouts)
    circuit_breaker: CircuitBreaker = Field(default_factory=CircuitBreaker)
    bulkheads: Bulkheads = Field(default_factory=Bulkheads)


class Deployment(_Section):
    strategy: Literal["in-place", "rolling", "blue-green", "canary"] = "rolling"
    canary_steps_pct: list[float] = Field(default_factory=lambda: [5, 25, 50, 100], min_length=1)
    canary_step_s: float = Field(default=1200, gt=0)
    canary_analysis: Literal["automated", "manual"] = "automated"
    deploys_per_month: float = Field(default=20, ge=0, le=10_000)
    bad_deploy_probability: float = Field(default=0.03, ge=0, le=1)
    bad_deploy_error_share: float = Field(
        default=1.0, gt=0, le=1, description="share of requests a bad version fails")
    detection_s: Dist = Field(default_factory=lambda: _lognormal(300, 1200))
    rollback_s: Dist = Field(default_factory=lambda: _lognormal(600, 900))
    health_gated: bool = True
    rolling_batch_size: int = Field(default=1, ge=1, description="instances replaced per rolling step")
    rolling_step_s: float = Field(
        default=120, gt=0, description="time per rolling step: drain, restart, warm up, health gate")
    traffic_switch_s: Dist = Field(
        default_factory=lambda: Uniform(low=5, high=30),
        description="routing traffic back to the old version (blue-green switch, canary route-back)")
    bad_version_fails_health_checks_probability: float = Field(
        default=0.3, ge=0, le=1, description="share of bad versions that fail the health checks at once")
    manual_noticeable_error_share: float = Field(
        default=0.02, gt=0, le=1,
        description="error share people watching dashboards notice within detection_s; smaller takes longer")
    automated_detectable_error_share: float = Field(
        default=0.005, gt=0, le=1,
        description="error share of the canary cohort automated analysis catches within its detection time")
    automated_detection_factor: float = Field(
        default=0.2, gt=0, le=1, description="automated canary analysis detects in this fraction of detection_s")

    @model_validator(mode="after")
    def _steps(self):
        steps = self.canary_steps_pct
        if any(b <= a for a, b in zip(steps, steps[1:])) or not 0 < steps[0] <= 100 or steps[-1] != 100:
            raise ValueError("canary_steps_pct: must rise strictly and end at 100")
        return self


class Traffic(_Section):
    request_rate_rps: float = Field(default=500, gt=0)
    write_share: float = Field(default=0.2, ge=0, le=1)
    agent_share: float = Field(default=0.0, ge=0, le=1)
    agent_retry: Literal["none", "backoff", "immediate"] = "backoff"
    agent_retry_multiplier: float = Field(
        default=5, ge=1, description="calls per failed agent request when retrying at once")
    per_client_rate_limits: bool = False


class IncidentRate(_Section):
    rate_per_year: float = Field(ge=0, le=100_000)
    duration_s: Dist | None = None


def _rate(rate: float, duration: Dist | None = None):
    return lambda: IncidentRate(rate_per_year=rate, duration_s=duration)


class Incidents(_Section):
    db_primary_failure: IncidentRate = Field(default_factory=_rate(0.5))
    instance_crash: IncidentRate = Field(
        default_factory=_rate(2),
        description="crashes per serving app instance per year (the fleet's rate is this × serving instances)")
    zone_outage: IncidentRate = Field(default_factory=_rate(0.5, _lognormal(3600, 4 * 3600)))
    region_outage: IncidentRate = Field(default_factory=_rate(0.1, _lognormal(4 * 3600, 12 * 3600)))
    dependency_slowdown: IncidentRate = Field(default_factory=_rate(4, _lognormal(900, 3600)))
    data_corruption: IncidentRate = Field(default_factory=_rate(0.1))
    slowdown_latency_s: Dist = Field(
        default_factory=lambda: _lognormal(30, 120), description="latency of a slowed dependency")
    corruption_detection_s: Dist = Field(default_factory=lambda: _lognormal(3600, 6 * 3600))
    slowdown_call_share: float = Field(
        default=0.3, gt=0, le=1, description="share of requests that call the slowed dependency")
    slowdown_call_type: Literal[
        "internal_http", "external_http", "oltp_query", "reporting_query", "cache", "queue_publish", "llm"
    ] = Field(default="external_http", description="which of app.timeouts bounds a call to the dependency")
    slowdown_concern: Literal["critical", "standard", "background"] = Field(
        default="standard", description="the bulkhead that holds calls to the slowed dependency")
    slowdown_fallback: bool = Field(
        default=False, description="a fallback (cached answer, feature off) answers calls that fail fast")
    corruption_export_interval_s: float = Field(
        default=7 * 86_400, gt=0,
        description="with no backups: time between logical exports (e.g. a weekly dump) to restore from")
    logical_restore_throughput_gb_per_s: float = Field(
        default=0.01, gt=0, description="restoring a logical export (rebuilds indexes): slower than a backup")


class Costs(_Section):
    currency: str = Field(default="USD", min_length=3, max_length=3)
    app_instance_usd_per_month: float = Field(default=150, ge=0)
    db_node_usd_per_month: float = Field(default=700, ge=0)
    storage_usd_per_gb_month: float = Field(default=0.12, ge=0)
    backup_usd_per_gb_month: float = Field(default=0.05, ge=0)
    cross_region_usd_per_gb: float = Field(default=0.02, ge=0)
    dns_health_checks_usd_per_month: float = Field(default=50, ge=0)
    engineer_fte_usd_per_month: float = Field(default=15_000, ge=0)
    platform_fte: float | None = Field(
        default=None, ge=0, description="engineering effort for the pattern; default by pattern")
    chaos_testing_hours_per_month: float = Field(default=0, ge=0)
    chaos_testing_usd_per_hour: float = Field(default=120, ge=0)
    warm_standby_share: float = Field(
        default=0.3, ge=0, le=1, description="share of its app instances' price a warm standby region pays")
    cold_standby_share: float = Field(
        default=0.0, ge=0, le=1, description="share of its app instances' price a cold standby region pays")
    backup_retention_days: float = Field(default=7, gt=0, le=3650)
    replicated_bytes_per_write: float = Field(
        default=2000, ge=0, description="bytes of replication / WAL stream per written transaction")


class Business(_Section):
    outage_cost_usd_per_hour: float = Field(default=10_000, ge=0)
    lost_transaction_usd: float = Field(default=5, ge=0)


IncidentType = Literal["db_primary_failure", "instance_crash", "zone_outage", "region_outage",
                       "dependency_slowdown", "bad_deploy", "data_corruption"]
# Recovery objectives are written for infrastructure failures; slowdowns, bad deploys and
# corruption are judged through availability and outage cost unless a scenario lists them.
RECOVERY_TARGET_TYPES = ("db_primary_failure", "instance_crash", "zone_outage", "region_outage")


class Targets(_Section):
    rto_s: float = Field(default=300, gt=0)
    rpo_s: float = Field(default=60, ge=0)
    availability: float = Field(default=0.999, gt=0, lt=1)
    monthly_budget_usd: float | None = Field(default=None, ge=0)
    confidence: float = Field(default=0.95, gt=0, lt=1)
    agreed_with_business: bool = True
    applies_to: list[IncidentType] | None = Field(
        default_factory=lambda: list(RECOVERY_TARGET_TYPES),
        description="incident types the RTO and RPO targets are judged on (null: every type); "
                    "the others still count in availability and outage cost")


class Simulation(_Section):
    recovery_threshold: float = Field(default=0.99, gt=0, le=1)


def _default_replica(data: dict) -> dict:
    """Multi-region patterns get an async replica in their second region unless ``database.replicas`` is given.

    A standby (or read) region with no copy of the data could not take over, yet would be paid
    for; active-active-full's replica stands for the stream between its primaries. An explicit
    ``replicas: []`` keeps the scenario without one.
    """
    if not isinstance(data, dict) or data.get("pattern", "active-passive") == "single-region":
        return data
    database = data.get("database", {})
    regions = data.get("regions")
    if not isinstance(database, dict) or "replicas" in database or not isinstance(regions, list):
        return data
    if not all(isinstance(r, dict) and isinstance(r.get("name"), str) for r in regions):
        return data
    first_primary = next((r["name"] for r in regions if r.get("role", "primary") == "primary"), None)
    others = [r["name"] for r in regions if r["name"] != first_primary]
    if first_primary is None or not others:
        return data
    return {**data, "database": {**database, "replicas": [{"region": others[0], "mode": "async"}]}}


class Scenario(_Section):
    schema_: Literal[1] = Field(default=1, alias="schema")
    name: str = Field(default="Unnamed scenario", min_length=1, max_length=200)
    pattern: Pattern = "active-passive"
    regions: list[Region] = Field(default_factory=list, max_length=6)
    database: Database = Field(default_factory=Database)
    failover: Failover = Field(default_factory=Failover)
    app: App = Field(default_factory=App)
    deployment: Deployment = Field(default_factory=Deployment)
    traffic: Traffic = Field(default_factory=Traffic)
    incidents: Incidents = Field(default_factory=Incidents)
    costs: Costs = Field(default_factory=Costs)
    business: Business = Field(default_factory=Business)
    targets: Targets = Field(default_factory=Targets)
    simulation: Simulation = Field(default_factory=Simulation)
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _default_regions(cls, data):
        """Regions default by pattern: one primary, plus a standby for multi-region patterns."""
        if isinstance(data, dict) and not data.get("regions"):
            pattern = data.get("pattern", "active-passive")
            regions = [{"name": "region-a", "role": "primary"}]
            if pattern != "single-region":
                role = "standby" if pattern == "active-passive" else "read-replica"
                if pattern == "active-active-full":
                    role = "primary"
                regions.append({"name": "region-b", "role": role})
            data = {**data, "regions": regions}
        return _default_replica(data)

    @model_validator(mode="after")
    def _topology(self):
        names = [r.name for r in self.regions]
        if len(set(names)) != len(names):
            raise ValueError("regions: names must be unique")
        primaries = [r for r in self.regions if r.role == "primary"]
        if self.pattern == "active-active-full":
            if len(primaries) < 2:
                raise ValueError("regions: active-active-full needs at least two primary regions")
        elif len(primaries) != 1:
            raise ValueError("regions: exactly one region must have role primary")
        if self.pattern == "single-region" and len(self.regions) != 1:
            raise ValueError("regions: single-region has exactly one region")
        if self.pattern != "single-region" and len(self.regions) < 2:
            raise ValueError(f"regions: {self.pattern} needs at least two regions")
        for i, replica in enumerate(self.database.replicas):
            if replica.region not in names:
                raise ValueError(f"database.replicas[{i}].region: unknown region {replica.region!r}")
        self._check_capacity()
        return self

    def _check_capacity(self) -> None:
        """Normal operation must carry the load at the recovery threshold, or no incident could ever recover."""
        capacity_rps = self.serving_instances * self.app.capacity_rps_per_instance
        needed_rps = self.traffic.request_rate_rps * self.simulation.recovery_threshold
        if capacity_rps < needed_rps:
            raise ValueError(
                f"app.capacity_rps_per_instance: {self.serving_instances} serving instances × "
                f"{self.app.capacity_rps_per_instance:g} req/s = {capacity_rps:g} req/s cannot carry "
                f"{self.traffic.request_rate_rps:g} req/s × recovery threshold "
                f"{self.simulation.recovery_threshold:g} = {needed_rps:g} req/s; add app instances or capacity")

    # -- derived facts the models share -------------------------------------------------
    @property
    def primary_region(self) -> Region:
        return next(r for r in self.regions if r.role == "primary")

    @property
    def serving_instances(self) -> int:
        """App instances that serve traffic in normal operation."""
        if self.pattern in ("active-active-read", "active-active-full"):
            return sum(r.app_instances for r in self.regions)
        return self.primary_region.app_instances

    @property
    def cross_region_replica(self) -> Replica | None:
        primary = self.primary_region.name
        return next((r for r in self.database.replicas if r.region != primary), None)

    def automation_success_probability(self) -> float:
        """The configured probability, minus the decay per day since the last test, × 0.9 if not tested under load."""
        f = self.failover
        p = f.automation_success_probability - f.automation_decay_per_day * f.days_since_failover_test
        if not f.tested_under_load:
            p *= UNTESTED_UNDER_LOAD_FACTOR
        return max(0.0, min(1.0, p))
