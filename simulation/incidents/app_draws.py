"""The app tier's random inputs, drawn up front for a whole batch, and the closed forms they feed.

In the words of DESIGN.md "Modelling notes":

- **Detection**: checks every ``interval_s`` at a random phase; against a
  hanging host a check fails only after its timeout, a refusing host fails at
  once; ``failure_threshold`` consecutive failures declare the failure.
- **Endpoint propagation**: service discovery delivers a new endpoint about at
  once; DNS clients follow at their first cache refresh (uniform over their
  own cache period) after the resolver's remaining TTL (uniform); a static
  configuration never follows without a restart.
- **Stale connections**: after the primary is lost, a pool's connections to
  the dead host are held by hung requests; they leave it by a socket timeout
  or the OS TCP give-up (evicted), or, once a query timeout returns them, by
  max lifetime or validation on borrow; or by a restart (``stale_drain_s``).
- **Humans**: their random inputs are drawn here; what they do (escalation,
  a manual failover, cycling instances) is in ``people``.

``draw_app`` draws every input of ``n`` incidents in a fixed order; the SimPy
replay of incident ``i`` (``fleet``) reads row ``i`` only. Times are seconds.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simulation.model.scenario import App, Detection, Humans, Scenario

INF = math.inf
SERVICE_DISCOVERY_S = 1.0  # a registry watch delivers a new endpoint about at once
REFUSED_EVICTION_S = 0.5  # a refused connection fails on its next use and the pool drops it

# What an app-tier model reads of the document (its ``READS`` for engine.cache): the fleet, its
# traffic and the failover entries ``draw_app`` and ``people`` use.
APP_TIER_READS = (
    "pattern",
    "regions",
    "app",
    "failover.detection",
    "failover.humans",
    "failover.dns_ttl_s",
    "traffic",
    "simulation",
    "incidents",
)


# -- closed-form pieces (vectorised over a batch) ------------------------------------------------


def decisive_check_s(detection: Detection, phase_u: NDArray[np.float64]) -> NDArray[np.float64]:
    """When the check that would declare the failure starts (the ``failure_threshold``-th since the failure),
    or the leader lease runs out if later: a host back before then is never failed over."""
    interval = detection.interval_s
    start = phase_u * interval + (detection.failure_threshold - 1) * interval
    return np.maximum(start, detection.lease_s)


def detection_s(detection: Detection, phase_u: NDArray[np.float64], hanging: bool) -> NDArray[np.float64]:
    """Time from the failure until ``failure_threshold`` consecutive checks have failed.

    The first check after the failure starts at a uniform phase in the interval;
    each check against a hanging host fails only when its timeout expires.
    Mean: I/2 + (k − 1)·I + (timeout if hanging). With a leader lease
    (``lease_s``, e.g. Patroni's ``ttl``) nobody takes over before it runs out.
    """
    interval = detection.interval_s
    fail_after = detection.timeout_s if hanging else 0.0
    declared = phase_u * interval + (detection.failure_threshold - 1) * interval + fail_after
    return np.maximum(declared, detection.lease_s)


def endpoint_follow_s(
    app: App, dns_ttl_s: float, ttl_u: NDArray[np.float64], cache_u: NDArray[np.float64] | None = None
) -> NDArray[np.float64]:
    """Per instance: time from an endpoint change until the instance's client uses the new address.

    DNS: the resolver serves the old record for the rest of its TTL (``ttl_u × TTL``,
    uniform). A client cache of C seconds (``dns_client_cache_s``, e.g. the JVM's
    ``networkaddress.cache.ttl``) keeps each answer C seconds whatever its TTL, so
    the client asks again at the rest of its own period (``cache_u × C``) and
    then every C until the resolver has the new record.
    """
    if app.discovery == "service-discovery":
        return np.full(ttl_u.shape, SERVICE_DISCOVERY_S)
    if app.discovery == "dns":
        resolver = ttl_u * dns_ttl_s
        cache = app.dns_client_cache_s
        if cache <= 0 or cache_u is None:
            return resolver
        client = cache_u * cache
        late = np.maximum(resolver - client, 0.0)
        return client + np.ceil(late / cache) * cache  # the first client refresh after the resolver's
    return np.full(ttl_u.shape, INF)  # static: read once at start


def stale_drain_s(app: App, hanging: bool, lifetime_u: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per instance: time from losing the primary until its pool holds no connection to the dead host.

    Pool semantics as HikariCP defines them. Against a silent (hanging) host
    every connection is soon held by a hung request, and a pool never retires
    an in-use connection: max lifetime and idle timeout act only when it is
    returned. A hung request ends at the first of the socket timeout
    (``app.socket_timeout_s``; the broken connection is evicted), the query
    timeout (the request ends but the connection goes back to the pool: a
    timeout does not evict) and the OS TCP give-up (evicted). Returned after a
    query timeout, a connection past its max lifetime is retired; otherwise
    validation on borrow evicts it one validation timeout later, or, without
    validation, it is handed to the next request, which hangs in turn. So the
    last connection (remaining lifetime ``max_lifetime_s × lifetime_u``,
    ``lifetime_u`` the maximum of ``pool.max_size`` uniforms) leaves at the
    first query-timeout return past its lifetime.
    """
    pool = app.pool
    if not hanging and app.dead_host_signature == "read-only":
        return read_only_drain_s(app, lifetime_u)
    if not hanging:
        return np.full(lifetime_u.shape, REFUSED_EVICTION_S)  # every use fails at once and evicts
    give_up = app.tcp_give_up_s
    socket = app.socket_timeout_s if app.socket_timeout_s is not None else INF
    query = app.timeouts.oltp_query_s if app.timeouts.oltp_query_s is not None else INF
    if socket <= query:  # the first hung request breaks its connection: evicted
        return np.full(lifetime_u.shape, min(socket, give_up))
    remaining = pool.max_lifetime_s * lifetime_u if pool.max_lifetime_s is not None else np.full(lifetime_u.shape, INF)
    if pool.validate_on_borrow:
        # returned at the query timeout: retired if past its lifetime, else the next borrow's validation evicts it
        drain = np.where(remaining <= query, query, query + pool.connection_timeout_s)
    else:
        drain = np.ceil(remaining / query) * query  # returned every query timeout until past its lifetime
    return np.minimum(drain, give_up)


def read_only_drain_s(app: App, lifetime_u: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per instance: the demoted primary is back read-only at the same address (Aurora's old writer).

    Pooled connections stay connected and every write fails fast with a
    read-only error: no timeout fires, the socket is fine, ``SELECT 1`` passes
    (validation on borrow does not help). The connections go only when max
    lifetime retires them (they are returned at once after each failed
    write), when a driver that checks the node's role (``pool.checks_role``)
    drops them, or on a restart.
    """
    if app.pool.checks_role:
        return np.full(lifetime_u.shape, REFUSED_EVICTION_S)
    if app.pool.max_lifetime_s is None:
        return np.full(lifetime_u.shape, INF)
    drain: NDArray[np.float64] = app.pool.max_lifetime_s * lifetime_u
    return drain


# -- random inputs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppDraws:
    """Random inputs of the app tier and the detector for ``n`` incidents of ``instances`` instances.

    Times are seconds; per-instance arrays have shape (n, instances).
    """

    detect_s: NDArray[np.float64]  # failure declared, from the failure
    lb_phase_s: NDArray[np.float64]  # the load balancer checks at phase + j × interval
    follow_s: NDArray[np.float64]  # endpoint change → instance uses the new address
    drain_s: NDArray[np.float64]  # primary lost → no stale connection left
    restart_s: NDArray[np.float64]  # one restart of the instance
    respond_s: NDArray[np.float64]  # page + acknowledge + diagnose
    execute_s: NDArray[np.float64]  # a person carries out a failover or restore
    decisive_s: NDArray[np.float64]  # a host back before this is not failed over (``decisive_check_s``)

    def row(self, i: int) -> AppRow:
        return AppRow(
            float(self.detect_s[i]),
            float(self.lb_phase_s[i]),
            self.follow_s[i].tolist(),
            self.drain_s[i].tolist(),
            self.restart_s[i].tolist(),
            float(self.respond_s[i]),
            float(self.execute_s[i]),
            float(self.decisive_s[i]),
        )

    def rows(self, at: NDArray[np.intp] | None = None) -> Iterator[AppRow]:
        """Every row in order (or those ``at``), converted to plain floats in one go."""
        arrays = (
            self.detect_s,
            self.lb_phase_s,
            self.follow_s,
            self.drain_s,
            self.restart_s,
            self.respond_s,
            self.execute_s,
            self.decisive_s,
        )
        columns = [(a if at is None else a[at]).tolist() for a in arrays]
        for values in zip(*columns):
            yield AppRow(*values)


@dataclass(slots=True)  # made per replay: a frozen one costs 6× as much to build
class AppRow:
    """Row ``i`` of ``AppDraws`` as plain floats (fast inside the SimPy replay)."""

    detect_s: float
    lb_phase_s: float
    follow_s: list[float]
    drain_s: list[float]
    restart_s: list[float]
    respond_s: float
    execute_s: float
    decisive_s: float


def draw_humans(humans: Humans, rng: np.random.Generator, n: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(page + acknowledge + diagnose, execute) for ``n`` incidents, in a fixed order."""
    respond = humans.page_s.sample(rng, n) + humans.acknowledge_s.sample(rng, n) + humans.diagnose_s.sample(rng, n)
    return respond, humans.execute_s.sample(rng, n)


def draw_app(
    scenario: Scenario,
    rng: np.random.Generator,
    n: int,
    instances: int,
    *,
    detection: Detection | None = None,
    hanging: bool | None = None,
) -> AppDraws:
    """Draw every random input of the app tier up front, always in the same order.

    ``detection`` is the detector watching the failure (default: the failover
    detector); ``hanging`` whether the lost host hangs rather than refuses, for
    the detector's checks and for the pools' stale connections (default: the
    app's ``dead_host_signature``; a lost region or zone hangs).
    """
    app = scenario.app
    detection = detection or scenario.failover.detection
    if hanging is None:
        hanging = app.dead_host_signature == "hang"
    detect_u = rng.random(n)
    lb_u = rng.random(n)
    ttl_u = rng.random((n, instances))
    lifetime_u = rng.random((n, instances)) ** (1.0 / app.pool.max_size)  # max of max_size uniforms
    restart = app.restart_s.sample(rng, n * instances).reshape(n, instances)
    respond, execute = draw_humans(scenario.failover.humans, rng, n)
    cache_u = rng.random((n, instances)) if app.discovery == "dns" and app.dns_client_cache_s > 0 else None
    return AppDraws(
        detect_s=detection_s(detection, detect_u, hanging),
        lb_phase_s=lb_u * app.load_balancer.interval_s,
        follow_s=endpoint_follow_s(app, scenario.failover.dns_ttl_s, ttl_u, cache_u),
        drain_s=stale_drain_s(app, hanging, lifetime_u),
        restart_s=restart,
        respond_s=respond,
        execute_s=execute,
        decisive_s=decisive_check_s(detection, detect_u),
    )
