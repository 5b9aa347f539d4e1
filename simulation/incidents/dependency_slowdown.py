"""A downstream dependency slows down: a fluid (Little's-law) model of thread and pool exhaustion.

For ``incidents.dependency_slowdown.duration_s`` a dependency answers after
``incidents.slowdown_latency_s`` instead of at once. A share
(``incidents.slowdown_call_share``) of requests calls it. Each app instance is
a pool of ``app.threads_per_instance`` request threads (for database calls also
bounded by ``app.pool.max_size``: every request path shares that pool).

- **Holding time.** A call holds its thread for h = min(latency, timeout) with
  the timeout of ``incidents.slowdown_call_type`` from ``app.timeouts``; no
  timeout → the latency, cut at the OS TCP give-up (``app.tcp_give_up_s``). A
  call fails when the timeout (or the give-up) cuts it; otherwise it succeeds,
  slowly.
- **Little's law.** Busy threads = arrival rate × holding time:
  λᵢ·(latency + share·min(t, h)) for t after the onset. When that exceeds the
  pool, the pool is exhausted and, without bulkheads, every request path
  freezes (a queue grows in front of the threads; served = 0) until the stuck
  calls are released. The critical rate of the fleet is
  N·C / (latency + share·h) (``critical_rate_rps``).
- **Bulkheads.** Calls to the dependency run in their concern's own pool
  (``app.bulkheads.<concern>_pool_size``). It holds at most that many calls;
  the rest are rejected at once, so the request threads never fill unless
  λᵢ·latency + bulkhead > C. Only the slowed concern suffers.
- **Circuit breaker.** Timeouts and rejections are failures. The breaker goes
  CLOSED → OPEN after ``failure_threshold`` failures within ``window_s`` (the
  fluid failure rate decides whether and when), fails calls fast (threads are
  released once the stuck calls end, at most h later) → HALF-OPEN after
  ``open_s`` with one trial call, which fails after h while the dependency is
  still slow (→ OPEN) and succeeds once it has recovered (→ CLOSED). The
  open/trial cycle does not change the served fraction, so the model waits
  for the first trial after the recovery as one computed timeout. A call that
  is slow but not cut by a timeout is no failure: without timeouts the
  breaker never trips.
- **Fallback.** With ``incidents.slowdown_fallback`` a call that fails is
  answered by the fallback (served, degraded); without one it fails.
- **Agent retry storms.** Once requests fail, agents retry the failed ones:
  the arrival rate grows by ``retry_load_factor`` of the share that fails at
  the normal rate (``retry_storm``): settings that hold at the normal rate can
  exhaust the pool under the storm.
- **End.** Calls started before the dependency recovers end at most h later;
  without a tripped breaker the service is back at duration + h.
- **Load balancer and restarts.** Every instance freezes alike, so deep
  health checks and auto-restarts do not help: a restarted instance fills its
  threads again within the same Little's-law time while the dependency is slow.
- **Humans.** The dependency recovers on its own; people are counted as
  needed when the service is still degraded at ``failover.humans.escalation_s``
  (they get paged).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypedDict

import numpy as np
import simpy
from simpy.events import ProcessGenerator

from simulation.incidents.app_draws import APP_TIER_READS
from simulation.incidents.outcomes import (
    Batch,
    Phases,
    PhaseTimeline,
    ReplayEnvironment,
    Response,
    SoloEnvironment,
    run_process,
)
from simulation.incidents.protocol import BatchOutcomes, ReplayOutcome, replay_batch
from simulation.incidents.retry_storm import retry_amplification, retry_load_factor
from simulation.incidents.served import ServedTracker
from simulation.incidents.slowdown_batch import slowdown_batch
from simulation.model.scenario import Scenario

INF = math.inf
_DATABASE_CALLS = ("oltp_query", "reporting_query")


# document sections ``simulate`` reads (engine.cache)
READS = APP_TIER_READS


def rate_per_year(scenario: Scenario) -> float:
    """Slowdowns per year: the scenario's rate."""
    return scenario.incidents.dependency_slowdown.rate_per_year


@dataclass(frozen=True)
class PoolModel:
    """Per-instance pool of one scenario, with the Little's-law quantities the replay needs."""

    instances: int
    threads: float  # request threads (or DB connections) per instance
    latency_s: float  # normal service time of a request
    call_share: float  # share of requests that call the slowed dependency
    timeout_s: float  # what cuts a call: its timeout, or the OS TCP give-up
    bulkhead: float | None  # calls the concern's bulkhead holds per instance; None without bulkheads
    fallback: bool

    @classmethod
    def of(cls, scenario: Scenario) -> PoolModel:
        """Read the pool, timeout and bulkhead of the slowed call type from the scenario."""
        app, inc = scenario.app, scenario.incidents
        timeout = getattr(app.timeouts, f"{inc.slowdown_call_type}_s")
        threads = app.threads_per_instance
        if inc.slowdown_call_type in _DATABASE_CALLS:
            threads = min(threads, app.pool.max_size)
        bulkhead = None
        if app.bulkheads.enabled:
            bulkhead = float(getattr(app.bulkheads, f"{inc.slowdown_concern}_pool_size"))
        return cls(
            scenario.serving_instances,
            float(threads),
            app.latency_s,
            inc.slowdown_call_share,
            app.tcp_give_up_s if timeout is None else min(timeout, app.tcp_give_up_s),
            bulkhead,
            inc.slowdown_fallback,
        )

    def holding_s(self, slow_latency_s: float) -> float:
        """How long a call to the slowed dependency holds its thread."""
        return min(slow_latency_s, self.timeout_s)

    def busy_threads(self, rate_rps: float, holding_s: float) -> float:
        """Little's law, steady state: busy request threads of one instance at fleet rate ``rate_rps``."""
        lam = rate_rps / self.instances
        calls = lam * self.call_share * holding_s
        if self.bulkhead is not None:
            calls = min(calls, self.bulkhead)
        return lam * self.latency_s + calls

    def freeze_after_s(self, rate_rps: float, holding_s: float) -> float:
        """Time after the onset at which the request threads run out (``inf``: never)."""
        lam = rate_rps / self.instances
        room = self.threads - lam * self.latency_s
        if room < 0:
            return 0.0
        if self.bulkhead is not None and self.bulkhead <= room:
            return INF
        t = room / (lam * self.call_share)
        return t if t < holding_s else INF

    def admitted_share(self, rate_rps: float, holding_s: float) -> float:
        """Share of dependency calls the bulkhead admits in steady state (1 without bulkheads)."""
        if self.bulkhead is None:
            return 1.0
        calls = rate_rps / self.instances * self.call_share * holding_s
        return 1.0 if calls <= self.bulkhead else self.bulkhead / calls

    def bulkhead_full_after_s(self, rate_rps: float, holding_s: float) -> float:
        """Time after the onset at which the bulkhead starts rejecting calls (``inf``: never)."""
        if self.bulkhead is None:
            return INF
        t = self.bulkhead / (rate_rps / self.instances * self.call_share)
        return t if t < holding_s else INF

    def failing_share(self, rate_rps: float, holding_s: float, times_out: bool) -> float:
        """Share of dependency calls that fail (timed out or rejected by the bulkhead)."""
        return 1.0 if times_out else 1.0 - self.admitted_share(rate_rps, holding_s)

    def served_factor(self, failing_share: float) -> float:
        """Served fraction while not frozen: the failing calls' requests fail unless a fallback answers."""
        return 1.0 if self.fallback else 1.0 - self.call_share * failing_share

    def critical_rate_rps(self, holding_s: float) -> float:
        """Fleet request rate above which the request threads run out (Little's law, steady state)."""
        lam = self.threads / (self.latency_s + self.call_share * holding_s)
        if self.bulkhead is not None and lam * self.call_share * holding_s > self.bulkhead:
            lam = max(self.threads - self.bulkhead, 0.0) / self.latency_s  # the bulkhead caps the slow calls
        return self.instances * lam


@dataclass(frozen=True)
class BreakerModel:
    """Circuit breaker settings (``None`` in place of this when disabled)."""

    failure_threshold: int
    window_s: float
    open_s: float

    def trips_after_s(self, failure_rate_per_s: float) -> float:
        """Time from the first failure to the trip (``inf`` when too few failures fall in a window)."""
        if failure_rate_per_s <= 0 or failure_rate_per_s * self.window_s < self.failure_threshold:
            return INF
        return self.failure_threshold / failure_rate_per_s

    def closes_at_s(self, trip_s: float, recovered_s: float, trial_s: float) -> float:
        """First successful HALF-OPEN trial: trials start ``open_s`` after each opening and fail after ``trial_s``."""
        cycle = self.open_s + trial_s
        first = trip_s + self.open_s
        failed_trials = max(0, math.ceil((recovered_s - first) / cycle))
        return first + failed_trials * cycle


class _Log(TypedDict, total=False):
    """What happened in one slowdown (seconds from the onset); a key is there once it has happened."""

    degraded: float  # requests start failing or the threads run out
    frozen: tuple[float, float]  # the request threads are exhausted (from, until)
    trip: float  # the circuit breaker opens
    end: float  # the service is back


def _incident(
    env: simpy.Environment,
    tracker: ServedTracker,
    pool: PoolModel,
    breaker: BreakerModel | None,
    rate_rps: float,
    amplification: float,
    duration_s: float,
    slow_latency_s: float,
    log: _Log,
) -> ProcessGenerator:
    """One slowdown: onset → degraded (→ frozen) (→ breaker open → released) → recovered."""
    h = pool.holding_s(slow_latency_s)
    times_out = slow_latency_s > pool.timeout_s
    stuck_until = duration_s + h  # the last slow call ends
    # Onset at the normal rate: calls fail after h (timeouts), the bulkhead fills, or the threads run out.
    freeze0 = pool.freeze_after_s(rate_rps, h)
    full0 = pool.bulkhead_full_after_s(rate_rps, h)
    fail_start = min(h if times_out else INF, full0 if full0 < duration_s else INF)
    degraded_at = min(freeze0 if freeze0 < duration_s else INF, INF if pool.fallback else fail_start)
    if degraded_at == INF:
        log["end"] = stuck_until
        return
    yield env.timeout(degraded_at)
    log["degraded"] = degraded_at
    # Failing requests bring the agents' retries: the pool now faces the amplified rate.
    served0 = pool.served_factor(pool.failing_share(rate_rps, h, times_out))
    storm_rps = rate_rps * retry_load_factor(amplification, served0)
    freeze1 = pool.freeze_after_s(storm_rps, h)
    frozen_at = max(degraded_at, freeze1) if freeze1 < duration_s else INF
    failing = pool.failing_share(storm_rps, h, times_out)
    trip_at = INF
    if breaker is not None and fail_start < INF:
        per_instance_rps = storm_rps / pool.instances
        if frozen_at < INF:  # threads complete at the pool's pace; the timed-out calls are failures
            per_instance_rps = min(per_instance_rps, pool.threads / (pool.latency_s + pool.call_share * h))
        trip_at = fail_start + breaker.trips_after_s(per_instance_rps * pool.call_share * failing)
        if trip_at >= stuck_until:
            trip_at = INF
    tracker.set_factor(pool.served_factor(failing))
    if frozen_at < trip_at and frozen_at < stuck_until:
        yield env.timeout(frozen_at - env.now)
        tracker.set_all(working=False)
        log["frozen"] = (frozen_at, min(trip_at + h, stuck_until))
    if breaker is None or trip_at == INF:  # the breaker (if any) never trips
        yield env.timeout(stuck_until - env.now)
    else:
        yield env.timeout(trip_at - env.now)
        log["trip"] = trip_at
        open_factor = pool.served_factor(1.0)  # every call fails fast (or gets the fallback)
        open_frozen = pool.busy_threads(storm_rps, 0.0) > pool.threads
        close_at = breaker.closes_at_s(trip_at, duration_s, h)
        if "frozen" in log:  # stuck calls still hold threads until their timeout
            release_at = min(trip_at + h, stuck_until, close_at)
            yield env.timeout(release_at - env.now)
        tracker.set_factor(open_factor)
        tracker.set_all(working=not open_frozen)
        yield env.timeout(max(close_at - env.now, 0.0))
    tracker.set_factor(1.0)
    tracker.set_all(working=True)
    log["end"] = env.now


def _phases(duration_s: float, log: _Log) -> PhaseTimeline:
    """Phase timeline for the replay picture: the dependency's own repair, breaker detection, recovery.

    The frozen stretch (``log["frozen"]``) shows in the served curve, not as a phase.
    """
    phases = [("repair", 0.0, duration_s)]
    if "trip" in log:
        phases.append(("detect", 0.0, log["trip"]))
    if "degraded" in log and log["end"] > duration_s:
        phases.append(("reconnect", duration_s, log["end"]))
    return tuple(phases)


def simulate(scenario: Scenario, rng: np.random.Generator, n: int, keep_replays: bool = False) -> Batch:
    """Replay ``n`` slowdowns; durations then latencies are drawn up front from ``rng``."""
    incidents = scenario.incidents
    duration_dist = incidents.dependency_slowdown.duration_s
    drawn_durations = (
        duration_dist.sample(rng, n) if duration_dist is not None else np.full(n, 900.0)
    )  # a quarter of an hour when the scenario gives none
    drawn_latencies = incidents.slowdown_latency_s.sample(rng, n)
    latencies = drawn_latencies.tolist()
    durations = drawn_durations.tolist()
    pool = PoolModel.of(scenario)
    cb = scenario.app.circuit_breaker
    breaker = BreakerModel(cb.failure_threshold, cb.window_s, cb.open_s) if cb.enabled else None
    rate = scenario.traffic.request_rate_rps
    amplification = retry_amplification(scenario)
    threshold = scenario.simulation.recovery_threshold
    escalation = scenario.failover.humans.escalation_s
    capacity = scenario.app.capacity_rps_per_instance

    def replay_one(i: int, env: ReplayEnvironment, phases: Phases, response: Response) -> ReplayOutcome:
        tracker = ServedTracker(env, pool.instances, capacity, rate, retry_amplification=amplification)
        log: _Log = {}
        duration = durations[i]
        run_process(env, _incident(env, tracker, pool, breaker, rate, amplification, duration, latencies[i], log))
        # people are paged when the service is still down at the escalation (they are not replayed)
        return ReplayOutcome(
            tracker.points,
            log["end"],
            paged_after_rto_s=escalation,
            phases=_phases(duration, log) if keep_replays else None,
        )

    def served(factor: float, working: bool) -> float:
        """The served fraction of the whole fleet with ``factor``, every instance working or none."""
        tracker = ServedTracker(SoloEnvironment(), pool.instances, capacity, rate, retry_amplification=amplification)
        tracker.factor = factor
        tracker.working = [working] * pool.instances
        tracker._recount()
        return tracker.served()

    def closed_form_batch() -> BatchOutcomes:
        return slowdown_batch(
            pool,
            breaker,
            served,
            rate,
            amplification,
            np.asarray(drawn_durations, dtype=float),
            np.asarray(drawn_latencies, dtype=float),
            threshold=threshold,
            escalation_s=escalation,
        )

    return replay_batch(
        n,
        threshold=threshold,
        keep_replays=keep_replays,
        replay_one=replay_one,
        closed_form_batch=closed_form_batch,
        environment=SoloEnvironment,
    )
