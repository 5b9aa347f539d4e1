"""When things happen to a fleet: its moments on the SimPy queue and the load balancer's check grid.

A ``Moment`` is a fleet's timeout to an absolute time. The load balancer
checks every instance at ``phase_s`` + j × ``interval_s`` (``lb_check_s``);
``parked_recovery`` works out, from that grid, the restart cycles of an
instance that came up while no primary was reachable.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from heapq import heappush

import simpy
from simpy.events import NORMAL

from simulation.incidents.app_draws import INF


class Moment(simpy.Event):
    """A moment of a fleet's schedule: a ``simpy.Timeout`` to absolute time ``t`` (value ``t``), calling
    ``fire`` then; built in one step (the same queue entry as ``Timeout(env, t − now, t)``)."""

    def __init__(self, env: simpy.Environment, t: float, fire: Callable[[simpy.Event], None]) -> None:
        now = env._now
        self.env = env
        self.callbacks = [fire]
        self._value = t
        self._ok = True
        heappush(env._queue, (now + (t - now if t > now else 0.0), NORMAL, next(env._eid), self))


def lb_check_s(phase_s: float, interval_s: float, t: float, checks: int) -> float:
    """Time of the ``checks``-th load-balancer check at or after ``t`` (checks at ``phase_s`` + j × ``interval_s``)."""
    first = phase_s + math.ceil((t - phase_s) / interval_s) * interval_s
    return first + (checks - 1) * interval_s


def parked_recovery(
    phase_s: float, interval_s: float, unhealthy_after: int, up_since_s: float, restart_s: float, ready_s: float,
    follow_s: float,
) -> tuple[float, bool, float | None]:  # fmt: skip
    """When a fresh process that came up at ``up_since_s``, while no primary was reachable, works:
    ``(time, by a restart, when the first restart started or None)``, with deep checks and auto-restart.

    It works once it follows the endpoint (``follow_s``; infinite with a static
    configuration). Meanwhile it is restarted every time the load balancer gives
    up on it; the first restart that completes after the primary is ready
    (``ready_s``) works. The cycles leave the instance out of rotation and broken
    throughout, so they are computed rather than replayed.
    """
    # the load balancer gives up on it at a check after it came up (strictly later: progress)
    first = lb_check_s(phase_s, interval_s, up_since_s + 1e-6, unhealthy_after)
    if follow_s <= first:
        return max(follow_s, up_since_s), False, None
    if first + restart_s >= ready_s:
        return first + restart_s, True, first
    # every later restart comes up at the same offset from the check grid: a fixed period
    period = lb_check_s(phase_s, interval_s, first + restart_s + 1e-6, unhealthy_after) - first
    j_follow = cycles_until(follow_s - first, period)  # restart j starts at first + j·period
    j_ready = cycles_until(ready_s - restart_s - first, period)
    if j_follow <= j_ready:
        return max(follow_s, first + (j_follow - 1) * period + restart_s), False, first
    return first + j_ready * period + restart_s, True, first


def cycles_until(gap_s: float, period_s: float) -> float:
    """Smallest j ≥ 1 with j × period ≥ gap (infinite for an infinite gap); O(1) for any size."""
    ratio = gap_s / period_s
    if not ratio < INF:
        return INF
    if ratio <= 1.0:
        return 1
    j = math.ceil(ratio)
    if ratio > 2.0**52:  # beyond float precision every neighbour of j is as good
        return j
    if (j - 1) * period_s >= gap_s:  # the float division rounded up by one
        j -= 1
    elif j * period_s < gap_s:  # or down by one
        j += 1
    return j
