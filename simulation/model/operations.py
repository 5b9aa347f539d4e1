"""Operations sections: failover (detection, people), the app tier (pools, load balancer,
timeouts, breaker, bulkheads) and deployments."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simulation.model.base import Section
from simulation.model.distributions import Dist, Uniform, lognormal

UNTESTED_UNDER_LOAD_FACTOR = 0.9  # automation success probability multiplier when never tested under load


class Detection(Section):
    interval_s: float = Field(default=10, gt=0, le=3600)
    timeout_s: float = Field(default=5, gt=0, le=3600)
    failure_threshold: int = Field(default=3, ge=1, le=100)
    lease_s: float = Field(
        default=0,
        ge=0,
        le=3600,
        description="leader lease: nobody takes over before it runs out after the failure (Patroni's ttl, "
        "default 30 s); a primary back within it keeps its role",
    )


class Fencing(Section):
    """How a failover keeps an old primary that is still alive (cut off by a partition) from taking writes."""

    mode: Literal["none", "lease", "stonith"] = Field(
        default="stonith",
        description="none: the old primary takes writes until the partition heals; lease: it stops once its "
        "leader lease runs out (lease_s after the partition starts); stonith: the controller powers it off "
        "through an out-of-band path before it promotes the standby",
    )
    lease_s: float = Field(
        default=30,
        gt=0,
        le=3600,
        description="the old primary's leader lease (Patroni's ttl, 30 s); not effective when longer than the "
        "controller waits before promoting (failover.detection.lease_s)",
    )
    stonith_s: float = Field(
        default=5, ge=0, le=3600, description="time to power off the old primary before the promotion starts"
    )


class Humans(Section):
    page_s: Dist = Field(default_factory=lambda: lognormal(120, 600))
    acknowledge_s: Dist = Field(default_factory=lambda: lognormal(300, 900))
    diagnose_s: Dist = Field(default_factory=lambda: lognormal(900, 2700))
    execute_s: Dist = Field(default_factory=lambda: lognormal(300, 900))
    escalation_s: float = Field(
        default=900, ge=0, description="still down this long after the failure: people are paged"
    )
    restart_batch_size: int = Field(default=1, ge=1, description="instances restarted by hand at once")
    verify_s: float = Field(
        default=120,
        ge=0,
        description="after a manual failover, people watch the service this long before they cycle "
        "instances that are still broken",
    )


class GlobalRouting(Section):
    """The global traffic manager in front of the regions (Route 53 health-checked failover or latency
    records, a GSLB): in the active-active patterns it takes a region whose service fails its check out of
    DNS, and its users move to the other regions (an evacuation, racing local recovery)."""

    evacuate: bool = Field(
        default=True,
        description="active-active: move a region's users to the other regions when its service fails the "
        "global health check",
    )
    check: Literal["deep", "shallow"] = Field(
        default="deep",
        description="deep: the check calls an endpoint that exercises the region's service (its database "
        "included) and fails when the service does; shallow: it only sees a region that does not answer "
        "at all (a region outage), so local failures are never evacuated",
    )
    interval_s: float = Field(
        default=10, gt=0, le=3600, description="time between global health checks (Route 53: 30 s standard, 10 s fast)"
    )
    failure_threshold: int = Field(
        default=3,
        ge=1,
        le=100,
        description="consecutive failed checks before the region is taken out of DNS, and passing ones "
        "before it is put back (Route 53 default: 3)",
    )
    ttl_s: float | None = Field(
        default=None, ge=0, description="TTL of the global DNS records; null: failover.dns_ttl_s"
    )
    client_cache_s: float = Field(
        default=0,
        ge=0,
        description="users' clients keep each DNS answer this long whatever its TTL (a browser or the JVM's "
        "networkaddress.cache.ttl); each refreshes at a random moment within it",
    )
    fail_back: Literal["automatic", "manual"] = Field(
        default="automatic",
        description="automatic: users move back once the region passes its checks again; manual: people move "
        "them back manual_fail_back_s after the region recovered (meanwhile the other regions carry them)",
    )
    manual_fail_back_s: Dist = Field(
        default_factory=lambda: lognormal(1800, 4 * 3600),
        description="manual fail-back: from the region's recovery until people put it back in DNS",
    )
    scale_out: bool = Field(
        default=True,
        description="the receiving regions' autoscaling adds instances for the moved load, ready after the "
        "receiving region's warm_up_s; without it they carry only what their instances can",
    )


class Failover(Section):
    mode: Literal["automated", "manual"] = "automated"
    detection: Detection = Field(default_factory=Detection)
    fencing: Fencing = Field(default_factory=Fencing)
    dns_ttl_s: float = Field(default=60, ge=0)
    promotion_s: Dist = Field(default_factory=lambda: Uniform(low=10, high=30))
    humans: Humans = Field(default_factory=Humans)
    automation_success_probability: float = Field(default=0.97, ge=0, le=1)
    automation_decay_per_day: float = Field(
        default=0.001, ge=0, le=1, description="success probability lost per day since the last failover test"
    )
    days_since_failover_test: float = Field(default=60, ge=0)
    tested_under_load: bool = Field(
        default=True,
        description="the last failover test ran under production load; when not, the automation success "
        "probability is multiplied by UNTESTED_UNDER_LOAD_FACTOR (0.9): a failover only tested "
        "idle meets full connection pools and traffic for the first time in a real incident",
    )
    global_routing: GlobalRouting = Field(default_factory=GlobalRouting)


class Pool(Section):
    max_size: int = Field(default=20, ge=1, le=10_000)
    connection_timeout_s: float = Field(default=5, gt=0)
    idle_timeout_s: float | None = Field(default=300, gt=0)
    max_lifetime_s: float | None = Field(default=1800, gt=0)
    validate_on_borrow: bool = True
    checks_role: bool = Field(
        default=False,
        description="the driver checks that its node is still the primary and drops connections to a demoted "
        "one (pgjdbc targetServerType=primary, the AWS JDBC wrapper's failover plugin)",
    )


class LoadBalancer(Section):
    interval_s: float = Field(default=10, gt=0)
    unhealthy_threshold: int = Field(default=3, ge=1)
    healthy_threshold: int = Field(default=2, ge=1)
    fail_open: bool = Field(
        default=True,
        description="when no target passes its checks, route to all of them (an AWS ALB does): deep checks "
        "failing everywhere do not take the whole fleet out",
    )
    panic_healthy_share: float = Field(
        default=0,
        ge=0,
        le=1,
        description="with fail_open, route to all targets also when fewer than this share pass their checks "
        "(Envoy's panic threshold, default there 0.5); 0: only when none passes",
    )


class Timeouts(Section):
    """Per call type; null means no timeout (the call waits for the OS)."""

    internal_http_s: float | None = Field(default=3, gt=0)
    external_http_s: float | None = Field(default=5, gt=0)
    oltp_query_s: float | None = Field(default=10, gt=0)
    reporting_query_s: float | None = Field(default=60, gt=0)
    cache_s: float | None = Field(default=0.5, gt=0)
    queue_publish_s: float | None = Field(default=5, gt=0)
    llm_s: float | None = Field(default=15, gt=0)


class CircuitBreaker(Section):
    enabled: bool = True
    failure_threshold: int = Field(default=5, ge=1)
    window_s: float = Field(default=30, gt=0)
    open_s: float = Field(default=30, gt=0)


class Bulkheads(Section):
    enabled: bool = True
    critical_pool_size: int = Field(default=10, ge=1)
    standard_pool_size: int = Field(default=15, ge=1)
    background_pool_size: int = Field(default=5, ge=1)


class App(Section):
    discovery: Literal["service-discovery", "dns", "static"] = "service-discovery"
    dns_client_cache_s: float = Field(
        default=0,
        ge=0,
        description="the client keeps each DNS answer this long whatever its TTL (the JVM's "
        "networkaddress.cache.ttl); it refreshes at a random moment within it, not after a fixed delay",
    )
    pool: Pool = Field(default_factory=Pool)
    dead_host_signature: Literal["hang", "refuse", "read-only"] = Field(
        default="hang",
        description="how the lost primary looks to its clients: connections hang, are refused, or (read-only) "
        "the demoted primary is back at the same address and refuses writes only, as Aurora's old writer",
    )
    socket_timeout_s: float | None = Field(
        default=None,
        gt=0,
        description="socket read timeout of the database driver (pgjdbc socketTimeout, libpq tcp_user_timeout): "
        "breaks a connection whose host is silent, and the pool evicts it; null (the drivers' default): none",
    )
    tcp_give_up_s: float = Field(
        default=924, gt=0, description="OS TCP retransmission give-up for a hanging peer (Linux default ~15 min)"
    )
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


class Deployment(Section):
    strategy: Literal["in-place", "rolling", "blue-green", "canary"] = "rolling"
    canary_steps_pct: list[float] = Field(default_factory=lambda: [5, 25, 50, 100], min_length=1)  # type: ignore[arg-type]  # mypy infers list[int] for the lambda; float literals would change the default's values
    canary_step_s: float = Field(default=1200, gt=0)
    canary_analysis: Literal["automated", "manual"] = "automated"
    deploys_per_month: float = Field(default=20, ge=0, le=10_000)
    bad_deploy_probability: float = Field(default=0.03, ge=0, le=1)
    bad_deploy_error_share: float = Field(default=1.0, gt=0, le=1, description="share of requests a bad version fails")
    detection_s: Dist = Field(default_factory=lambda: lognormal(300, 1200))
    rollback_s: Dist = Field(default_factory=lambda: lognormal(600, 900))
    health_gated: bool = True
    rolling_batch_size: int = Field(default=1, ge=1, description="instances replaced per rolling step")
    rolling_step_s: float = Field(
        default=120, gt=0, description="time per rolling step: drain, restart, warm up, health gate"
    )
    traffic_switch_s: Dist = Field(
        default_factory=lambda: Uniform(low=5, high=30),
        description="routing traffic back to the old version (blue-green switch, canary route-back)",
    )
    bad_version_fails_health_checks_probability: float = Field(
        default=0.3, ge=0, le=1, description="share of bad versions that fail the health checks at once"
    )
    manual_noticeable_error_share: float = Field(
        default=0.02,
        gt=0,
        le=1,
        description="error share people watching dashboards notice within detection_s; smaller takes longer",
    )
    automated_detectable_error_share: float = Field(
        default=0.005,
        gt=0,
        le=1,
        description="error share of the canary cohort automated analysis catches within its detection time",
    )
    automated_detection_factor: float = Field(
        default=0.2, gt=0, le=1, description="automated canary analysis detects in this fraction of detection_s"
    )

    @model_validator(mode="after")
    def _steps(self) -> Deployment:
        steps = self.canary_steps_pct
        if any(b <= a for a, b in zip(steps, steps[1:])) or not 0 < steps[0] <= 100 or steps[-1] != 100:
            raise ValueError("canary_steps_pct: must rise strictly and end at 100")
        return self
