"""``served_after_region_failover`` for a whole batch at once, with ``fleet_batch``'s machinery.

The surviving fleet's running instances lost their primary at 0 and reach the
promoted one from ``ready`` (``fleet_batch._primary_changes`` on those
instances); each instance built for the failover works when it is up and
joins after its passing checks; the routed share steps along each incident's
routes (a fourth count: the index of the route met last). Left undecided, for
the per-incident path, beyond what ``fleet_batch`` leaves: a build up before
the primary is ready, builds with fail-open routing (its registered count),
routes out of order in time.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from simulation.incidents.app_draws import INF, AppDraws
from simulation.incidents.fleet_batch import Bools, Floats, _instances, _lb_check, _outcomes, _Plans, _primary_changes
from simulation.incidents.fleet_closed import FleetShape, Route

# a failover: when the primary is ready, the builds (instances, when each is up), the routes taken (when, index)
Failover = tuple[Floats, tuple[NDArray[np.intp], Floats], tuple[Floats, NDArray[np.int64], list[Route]]]


def served_after_region_failover_batch(
    shape: FleetShape,
    draws: AppDraws,
    rows: NDArray[np.intp],
    failover: Failover,
    *,
    escalation_s: float,
    threshold: float,
) -> tuple[Floats, Floats, Bools]:
    """RTO, impact and whether decided, for the incidents ``rows`` of ``draws``: the surviving fleet lost its
    primary at 0, a promoted one is ready at ``ready``; ``failover`` is (``ready``, ``boots``, ``routes``):
    ``boots`` (the instances built, when each is up: one
    column each) and ``routes`` (when each is taken, its index in the routes, the routes: index 0 the fleet's
    own at the start; a route at INF: none)."""
    n, m = len(rows), shape.instances
    ready, (booted, start), routes = failover
    running = np.setdiff1d(np.arange(m), booted)
    plans = _Plans()
    lost, (d, w, r), stays, undecided = _primary_changes(
        shape, draws, rows, ready, np.zeros(n, dtype=bool), None, escalation_s, running, plans
    )
    # a build up when the primary is ready (or later) works then, and returns after its passing checks
    made = np.ones(start.shape, dtype=bool)
    up = plans.plan(np.zeros(start.shape), start, made)
    undecided |= (~(up >= ready[:, None])).any(axis=1) | (shape.fail_open and len(booted) > 0)
    returned = plans.plan(
        up, _lb_check(draws.lb_phase_s[rows][:, None], shape.interval_s, up, shape.healthy_after), made
    )
    at, index, taken = routes
    at = plans.plan(np.zeros(at.shape), at, at < INF)
    undecided |= (at[:, 1:] < at[:, :-1]).any(axis=1) | plans.refused()
    d = np.concatenate((d, np.full(up.shape, INF)), axis=1)
    w, r = np.concatenate((w, up), axis=1), np.concatenate((r, returned), axis=1)
    stays = np.concatenate((stays, up > INF), axis=1)
    k = len(running)
    side = _instances(shape, (lost, (0, -k, -k)), (k, k, k), (d, w, r), stays, undecided, (at, index, taken))
    rto, impact, whole = _outcomes([side], escalation_s, threshold)
    return rto, impact, whole & ~undecided
