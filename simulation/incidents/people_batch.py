"""Primary database failures where people cycle the app instances by hand, worked out for a whole batch at once.

The service is still below the threshold at the escalation, so people are
paged (``people.escalate``), respond (``respond_s``), then cycle the broken
instances in batches of ``restart_batch_size`` (``people.Cycling``): each batch
is the first broken instances not cycled yet, deregistered when it starts, back
(working) after its slowest restart, and returned to rotation after its passing
checks; the next batch starts the moment one is back, until none is left or
the service is whole. Everything else the instances do is what nobody acting
would give (``fleet_batch._primary_changes``): an instance not cycled yet works
again once its pool drained and it follows the endpoint.

With liveness checks an instance leaves the rotation only when people
deregister it and returns with its passing checks, so fail-open routing keeps
to the same instances. The people's batches are walked one at a time for every
incident at once, with the replay's float operations (a batch back at
now + ((now + restart) − now), the checks counted from then); the served
timeline then follows from every instance's changes as in ``fleet_batch``.

Left to the replay: deep checks (the load balancer drains and auto-restart
restarts what people would pick), a primary not ready before the escalation
(people would carry out or verify the failover), a change close to an instant
people decide at (the escalation, the end of their response, a batch back),
or a service not whole at the end.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from simulation.incidents.app_draws import INF, AppDraws
from simulation.incidents.fleet_batch import (
    Bools,
    Floats,
    _close,
    _instances,
    _lb_check,
    _outcomes,
    _Plans,
    _primary_changes,
)
from simulation.incidents.fleet_closed import FleetShape


class _Served:
    """The served fraction with ``rotation`` instances in rotation, ``serving`` of them working (every instance
    out of rotation deregistered: fail-open routes to the same ones), from the fleet's own; a table of every
    count for a small fleet."""

    def __init__(self, shape: FleetShape, n: int) -> None:
        self.shape, m = shape, shape.instances
        counts = np.arange((m + 1) ** 2) if (m + 1) ** 2 <= n else None
        self.table = None if counts is None else self.lookup(counts // (m + 1), counts % (m + 1))

    def __call__(self, rotation: NDArray[np.intp], serving: NDArray[np.intp]) -> Floats:
        if self.table is None:
            return self.lookup(rotation, serving)
        served: Floats = self.table[rotation * (self.shape.instances + 1) + serving]
        return served

    def lookup(self, rotation: NDArray[np.intp], serving: NDArray[np.intp]) -> Floats:
        shape, m = self.shape, self.shape.instances
        met, where = np.unique(rotation * (m + 1) + serving, return_inverse=True)
        values = np.array([shape.served(int(k) // (m + 1), int(k) % (m + 1), shape.route) for k in met.tolist()])
        served: Floats = values[where.reshape(-1)] if len(met) else np.zeros(len(rotation))
        return served


def _close_to(instants: Floats, times: Floats) -> Bools:
    """``_close`` of finite ``times`` to ``instants`` (NaN: none), broadcast: where either is infinite or NaN,
    the difference is too and compares false."""
    close: Bools = np.abs(instants - times) <= 1e-12 * (1.0 + np.abs(instants))
    return close


@np.errstate(invalid="ignore", over="ignore")
def cycled_by_hand_batch(
    shape: FleetShape,
    draws: AppDraws,
    rows: NDArray[np.intp],
    primary: tuple[Floats, Bools],
    *,
    escalation_s: float,
    threshold: float,
    batch_size: int,
) -> tuple[Floats, Floats, Bools, Bools]:
    """RTO, impact, whether decided and whether people were paged, for the incidents ``rows`` of ``draws``
    whose fleet lost its primary at 0 and can reach one again from ``primary`` (when, at the same address or
    not): when the service is below ``threshold`` at the escalation, people cycle the instances ``batch_size``
    at a time (see the module); otherwise nobody acts. Left undecided too: a primary ready after the
    escalation (``fleet_batch`` works out those nobody acts in)."""
    (ready, same_address), n, m = primary, len(rows), shape.instances
    if shape.deep or not n or not m or batch_size < 1:
        return np.zeros(n), np.zeros(n), np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    plans = _Plans()
    changes = _primary_changes(shape, draws, rows, ready, same_address, None, escalation_s, None, plans)
    works, undecided = changes[1][1], changes[3]  # liveness: every instance stays in rotation until cycled
    # the primary is ready before the escalation: people find it ready, nobody verifies a failover
    undecided |= ~(ready < escalation_s) | _close(ready, np.full(n, escalation_s))
    served_by = _Served(shape, n)
    paged = served_by(np.full(n, m), (works <= escalation_s).sum(axis=1)) < threshold
    acting = escalation_s + draws.respond_s[rows]
    restart_s, phase = draws.restart_s[rows], draws.lb_phase_s[rows]
    cycled = np.zeros((n, m), dtype=bool)
    started, back, returned = np.full((n, m), INF), np.full((n, m), INF), np.full((n, m), INF)
    now, active, first = acting, paged & ~undecided, np.arange(n)
    decisions = []  # the instants people pick a batch at
    for _ in range(m + 1):  # at most one batch per instance, then the last look finds none
        if not active.any():
            break
        decisions.append(np.where(active, now, np.nan))
        at = now[:, None]
        working = np.where(cycled, back <= at, works <= at)
        in_rotation = ~cycled | (returned <= at)
        served = served_by(in_rotation.sum(axis=1), (working & in_rotation).sum(axis=1))
        broken = ~cycled & ~working
        batch = broken & (np.cumsum(broken, axis=1) <= batch_size)
        go = active & batch.any(axis=1) & ~(served >= 1.0)
        if batch_size == 1:
            duration = restart_s[first, np.argmax(batch, axis=1)]
        else:
            duration = np.where(batch, restart_s, -INF).max(axis=1)
        undecided |= go & ~((duration > 0.0) & (duration < INF))
        fires = plans.plan(now, now + duration, go)  # the batch is back, working, out of rotation
        rejoins = plans.plan(fires, _lb_check(phase, shape.interval_s, fires, shape.healthy_after), go)
        picked = batch & go[:, None]
        started = np.where(picked, at, started)
        back = np.where(picked, fires[:, None], back)
        returned = np.where(picked, rejoins[:, None], returned)
        cycled |= picked
        now, active = np.where(go, fires, now), go & ~undecided
    undecided |= active | plans.refused()
    # a change close to an instant people decide at: the order of their events would decide
    instants = np.column_stack([np.full(n, escalation_s), *decisions])[:, :, None]
    later = np.concatenate((works, returned), axis=1)[:, None, :]
    undecided |= _close_to(instants, later).any(axis=(1, 2)) | _close_to(acting, np.full(n, escalation_s))
    dwr = np.where(cycled, started, INF), np.where(cycled, back, works), np.where(cycled, returned, INF)
    side = _instances(shape, (np.zeros((n, 1)), (0, -m, -m)), (m, m, m), dwr, ~cycled, undecided)
    side.registered_only = True
    rto, impact, whole = _outcomes([side], -INF, threshold)  # the escalation is checked above
    return rto, impact, whole & ~undecided, paged
