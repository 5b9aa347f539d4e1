"""Dependency slowdowns worked out for a whole batch at once (``slowdown_batch``), exactly as
``dependency_slowdown._incident`` replays them: the same float operations in the same order per incident (a
timeout fires at now + (target − now)), the served timeline merged as ``served.add_point`` merges it, RTO and
impact summed segment by segment as ``served.rto_and_impact`` sums them."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from simulation.incidents.protocol import BatchOutcomes

if TYPE_CHECKING:
    from simulation.incidents.dependency_slowdown import BreakerModel, PoolModel

INF = math.inf
Floats = NDArray[np.float64]
Ints = NDArray[np.intp]
Bools = NDArray[np.bool_]


def _add_point(times: Floats, values: Floats, count: Ints, t: Floats, v: Floats, on: Bools) -> None:
    """``served.add_point`` for every incident ``on`` at once: its timeline is ``times``/``values`` up to ``count``."""
    rows = np.flatnonzero(on)
    last = count[rows] - 1
    same_t = times[rows, last] == t[rows]
    back = np.where(last > 0, last - 1, 0)
    pop = same_t & (last > 0) & (values[rows, back] == v[rows])
    replace = same_t & ~pop
    add = ~same_t & (values[rows, last] != v[rows])
    count[rows[pop]] -= 1
    values[rows[replace], last[replace]] = v[rows[replace]]
    at = rows[add]
    times[at, last[add] + 1] = t[at]
    values[at, last[add] + 1] = v[at]
    count[at] += 1


def _freeze_after(pool: PoolModel, rate: Floats, h: Floats) -> Floats:
    """``PoolModel.freeze_after_s`` per incident (the share of the calls is not zero)."""
    lam = rate / pool.instances
    room = pool.threads - lam * pool.latency_s
    with np.errstate(divide="ignore", invalid="ignore"):
        t = room / (lam * pool.call_share)
    t = np.where(t < h, t, INF)
    if pool.bulkhead is not None:
        t = np.where(pool.bulkhead <= room, INF, t)
    return np.where(room < 0, 0.0, t)


def _failing(pool: PoolModel, rate: Floats, h: Floats, times_out: Bools) -> Floats:
    """``PoolModel.failing_share`` per incident."""
    if pool.bulkhead is None:
        return np.where(times_out, 1.0, 0.0)
    calls = rate / pool.instances * pool.call_share * h
    with np.errstate(divide="ignore", invalid="ignore"):
        admitted = np.where(calls <= pool.bulkhead, 1.0, pool.bulkhead / calls)
    return np.where(times_out, 1.0, 1.0 - admitted)


def _served_factor(pool: PoolModel, failing: Floats) -> Floats:
    return np.ones_like(failing) if pool.fallback else 1.0 - pool.call_share * failing


def slowdown_batch(
    pool: PoolModel,
    breaker: BreakerModel | None,
    served: Callable[[float, bool], float],
    rate_rps: float,
    amplification: float,
    durations: Floats,
    latencies: Floats,
    *,
    threshold: float,
    escalation_s: float,
) -> BatchOutcomes:
    """The slowdowns ``_incident`` would replay, worked out at once with the same float operations in the same
    order: ``served(factor, working)`` the served fraction of the whole fleet with that factor, working or not.
    Left to the replay: a dependency no request calls or no traffic, a timeout that would go back in time, times
    not finite."""
    n = len(durations)
    if n == 0 or pool.call_share <= 0 or rate_rps <= 0 or not pool.instances:
        return BatchOutcomes.undecided(n)
    h = np.minimum(latencies, pool.timeout_s)
    times_out = latencies > pool.timeout_s
    stuck = durations + h
    freeze0 = _freeze_after(pool, np.full(n, rate_rps), h)
    full0 = np.full(n, INF)
    if pool.bulkhead is not None:
        full = pool.bulkhead / (rate_rps / pool.instances * pool.call_share)
        full0 = np.where(full < h, full, INF)
    fail_start = np.minimum(np.where(times_out, h, INF), np.where(full0 < durations, full0, INF))
    degraded_at = np.minimum(np.where(freeze0 < durations, freeze0, INF), INF if pool.fallback else fail_start)
    degraded = degraded_at < INF
    served0 = _served_factor(pool, _failing(pool, np.full(n, rate_rps), h, times_out))
    failed0 = 1.0 - served0
    storm = rate_rps * np.where(failed0 > 0, 1.0 + (amplification - 1.0) * failed0, 1.0)
    freeze1 = _freeze_after(pool, storm, h)
    frozen_at = np.where(freeze1 < durations, np.maximum(degraded_at, freeze1), INF)
    factor = _served_factor(pool, _failing(pool, storm, h, times_out))
    decided = np.isfinite(stuck) & (h >= 0) & (durations >= 0) & np.isfinite(factor)
    trip_at = np.full(n, INF)
    if breaker is not None:
        per_instance = storm / pool.instances
        per_instance = np.where(
            frozen_at < INF,
            np.minimum(per_instance, pool.threads / (pool.latency_s + pool.call_share * h)),
            per_instance,
        )
        failure_rate = per_instance * pool.call_share * _failing(pool, storm, h, times_out)
        with np.errstate(divide="ignore"):
            trips = np.where(
                (failure_rate <= 0) | (failure_rate * breaker.window_s < breaker.failure_threshold),
                INF,
                breaker.failure_threshold / failure_rate,
            )
        trip_at = np.where(fail_start < INF, fail_start + trips, INF)
        trip_at = np.where(trip_at >= stuck, INF, trip_at)
    trip_at = np.where(degraded, trip_at, INF)
    tripped = trip_at < INF
    frozen = degraded & (frozen_at < trip_at) & (frozen_at < stuck)
    # the clock as the replay moves it: each timeout fires at now + (target − now), never before now
    t_degraded = np.where(degraded, degraded_at, 0.0)
    t_frozen = np.where(frozen, t_degraded + (frozen_at - t_degraded), t_degraded)
    decided &= ~frozen | (frozen_at - t_degraded >= 0)
    target = np.where(tripped, trip_at, stuck)
    t_end = np.where(degraded, t_frozen + (target - t_frozen), stuck)
    decided &= ~degraded | (target - t_frozen >= 0)
    open_factor, open_working = 1.0, np.ones(n, dtype=bool)
    if breaker is not None:  # open: calls fail fast (threads released once the stuck ones end), then closed
        open_factor = 1.0 if pool.fallback else 1.0 - pool.call_share * 1.0
        open_working = ~(storm / pool.instances * pool.latency_s + 0.0 > pool.threads)  # ``busy_threads(storm, 0)``
        cycle = breaker.open_s + h
        first = trip_at + breaker.open_s
        decided &= ~tripped | (cycle > 0)
        failed_trials = np.maximum(0.0, np.ceil((durations - first) / np.where(cycle > 0, cycle, 1.0)))
        close_at = first + failed_trials * cycle
        release_at = np.minimum(np.minimum(trip_at + h, stuck), close_at)
        t_trip = t_end
        t_open = np.where(frozen, t_trip + (release_at - t_trip), t_trip)
        decided &= ~(tripped & frozen) | (release_at - t_trip >= 0)
        t_end = np.where(tripped, t_open + np.maximum(close_at - t_open, 0.0), t_end)
    decided &= np.isfinite(t_end)
    factor = np.where(decided, factor, 1.0)
    factors, at = np.unique(factor, return_inverse=True)
    working = np.array([served(f, True) for f in factors.tolist()])[at]
    broken = np.array([served(f, False) for f in factors.tolist()])[at]
    whole = served(1.0, True)
    opened = np.where(frozen, served(open_factor, False), served(open_factor, True))
    open_serving = np.where(open_working, served(open_factor, True), served(open_factor, False))
    closing = np.where(
        tripped, np.where(open_working, whole, served(1.0, False)), np.where(frozen, served(1.0, False), whole)
    )
    size = 8
    times, points = np.zeros((n, size)), np.full((n, size), whole)
    count = np.ones(n, dtype=np.intp)
    for t, value, on in (
        (t_degraded, working, degraded),
        (t_frozen, broken, frozen),
        (t_open if breaker is not None else t_end, opened, tripped),
        (t_open if breaker is not None else t_end, open_serving, tripped),
        (t_end, closing, degraded),  # the factor back first, then the threads
        (t_end, np.full(n, whole), degraded),
    ):
        _add_point(times, points, count, t, np.broadcast_to(value, (n,)), on & decided)
    rto, impact = np.zeros(n), np.zeros(n)
    t, value = times[:, 0], points[:, 0]
    for k in range(1, size):
        on = k < count
        next_t, next_value = times[:, k], points[:, k]
        impact = np.where(on, impact + (1.0 - value) * (next_t - t), impact)
        rto = np.where(on & (value < threshold), next_t, rto)
        t, value = np.where(on, next_t, t), np.where(on, next_value, value)
    end = np.where(t > t_end, t, t_end)
    impact = impact + (1.0 - value) * (end - t)
    rto = np.where(value < threshold, end, rto)
    # people are paged when the service is still down at the escalation
    return BatchOutcomes(decided, rto, impact, np.zeros(n), np.zeros(n), rto > escalation_s)
