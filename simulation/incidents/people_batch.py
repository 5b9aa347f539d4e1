"""Incidents where people cycle the app instances by hand, worked out for a whole batch at once.

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

Primary database failures (``db_batch``), region outages promoted by
automation (the users' routes as a fourth count, as ``region_batch`` counts
them) and both sides of a network partition (each side's own people, merged by
``fleet_batch.two_sides_batch``) go through it. The replay's end is known
as well: the last moment the fleet planned (superseded ones fire too) or the
escalation and the people's timeouts; so a service ending a hair below whole
(the merged sides of a partition) is decided.

Left to the replay: deep checks (the load balancer drains and auto-restart
restarts what people would pick), a primary not ready before the escalation
(people would carry out or verify the failover), a change close to an instant
people decide at (the escalation, the end of their response, a batch back), or
a primary never ready.
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
    _Side,
    lost_changes,
    two_sides_batch,
)
from simulation.incidents.fleet_closed import FleetShape, Route
from simulation.incidents.protocol import BatchOutcomes
from simulation.incidents.served_counts import ServedTable


def _close_to(instants: Floats, times: Floats) -> Bools:
    """``_close`` of finite ``times`` to ``instants`` (NaN: none), broadcast: where either is infinite or NaN,
    the difference is too and compares false."""
    close: Bools = np.abs(instants - times) <= 1e-12 * (1.0 + np.abs(instants))
    return close


def cycled_by_hand_batch(
    shape: FleetShape,
    draws: AppDraws,
    rows: NDArray[np.intp],
    primary: tuple[Floats, Bools],
    *,
    escalation_s: float,
    threshold: float,
    batch_size: int,
    routes: tuple[Floats, NDArray[np.int64], list[Route]] | None = None,
    zone: tuple[list[int], Floats] | None = None,
) -> tuple[Floats, Floats, Bools, Bools]:
    """RTO, impact, whether decided and whether people were paged, for the incidents ``rows`` of ``draws``
    whose fleet lost its primary at 0 and can reach one again from ``primary`` (when, at the same address or
    not): when the service is below ``threshold`` at the escalation, people cycle the instances ``batch_size``
    at a time (see the module); otherwise nobody acts. Left undecided too: a primary ready after the
    escalation (``fleet_batch`` works out those nobody acts in). ``routes``: the users' routes (when each is
    taken, its index in the routes, the routes: index 0 the fleet's own at the start; INF: none), as
    ``region_batch`` takes them; None: the fleet's own throughout. ``zone``: the instances lost with the
    primary's zone and when it is back (``zone_outage``): gone until then unless people cycle them first."""
    people = (escalation_s, batch_size)
    side, paged = _cycled_side(shape, draws, rows, primary, None, people, threshold, routes, zone)
    rto, impact, whole = _outcomes([side], escalation_s, threshold)
    return rto, impact, whole & ~side.undecided, paged


def two_sides_cycled_batch(
    far: FleetShape,
    old: FleetShape | float | None,
    draws: AppDraws,
    rows: NDArray[np.intp],
    sides: tuple[tuple[Floats, Bools], tuple[Floats, Floats] | None],
    *,
    escalation_s: float,
    threshold: float,
    batch_size: int,
) -> tuple[Floats, Floats, Bools, Bools]:
    """``cycled_by_hand_batch`` of both sides of a network partition, each with its own people, merged as
    ``fleet_batch.two_sides_batch`` merges them (``sides``: its ``far_ready`` and ``old_loss``)."""
    people, paged = (escalation_s, batch_size), np.zeros(len(rows), dtype=bool)

    def side_of(shape: FleetShape, primary: tuple[Floats, Bools], lost: Floats | None) -> _Side:
        side, side_paged = _cycled_side(shape, draws, rows, primary, lost, people, threshold)
        paged[:] |= side_paged
        return side

    rto, impact, decided = two_sides_batch(
        far, old, draws, rows, *sides, escalation_s=escalation_s, threshold=threshold, side_of=side_of
    )
    return rto, impact, decided, paged


@np.errstate(invalid="ignore", over="ignore")
def _cycled_side(
    shape: FleetShape,
    draws: AppDraws,
    rows: NDArray[np.intp],
    primary: tuple[Floats, Bools],
    lost: Floats | None,
    people: tuple[float, int],
    threshold: float,
    routes: tuple[Floats, NDArray[np.int64], list[Route]] | None = None,
    zone: tuple[list[int], Floats] | None = None,
) -> tuple[_Side, Bools]:
    """The changes of a fleet that lost its primary at ``lost`` (None: 0) and reaches one from ``primary``,
    people (escalation, batch size) cycling it by hand when paged (see ``cycled_by_hand_batch``): its side,
    and whether people were paged."""
    (ready, same_address), (escalation_s, batch_size), n, m = primary, people, len(rows), shape.instances
    plans = _Plans()
    gone = _ZoneLost(shape, draws, rows, zone, ready)
    changes = _primary_changes(shape, draws, rows, ready, same_address, lost, escalation_s, gone.running, plans)
    # liveness checks: every instance stays in rotation until people cycle it (deep checks: left to the replay)
    works, undecided = gone.full(changes[1][1]), changes[3] | gone.undecided | shape.deep | (not m) | (batch_size < 1)
    # the primary is ready before the escalation: people find it ready, nobody verifies a failover
    undecided |= ~(ready < escalation_s) | _close(ready, np.full(n, escalation_s))
    first, own_route = np.arange(n), routes is None
    if routes is None:
        routes = np.full((n, 1), INF), np.zeros((n, 1), dtype=np.int64), [shape.route]
    route_at, route_index, taken = routes
    route_at = plans.plan(np.zeros(route_at.shape), route_at, route_at < INF)
    undecided |= (route_at[:, 1:] < route_at[:, :-1]).any(axis=1)

    def route(t_s: Floats) -> NDArray[np.int64]:
        """The index of the route taken last by ``t_s`` (0: none yet)."""
        if own_route:  # the fleet's own throughout
            return np.zeros(len(t_s), dtype=np.int64)
        met = (route_at <= t_s[:, None]).sum(axis=1)
        index: NDArray[np.int64] = np.where(met > 0, route_index[first, np.maximum(met - 1, 0)], 0)
        return index

    served_by = ServedTable(shape, taken)
    at_escalation = gone.in_rotation(np.full((n, 1), escalation_s))
    serving_at_escalation = ((works <= escalation_s) & at_escalation).sum(axis=1)
    paged = served_by(at_escalation.sum(axis=1), serving_at_escalation, route(np.full(n, escalation_s))) < threshold
    acting = escalation_s + draws.respond_s[rows]
    restart_s, phase = draws.restart_s[rows], draws.lb_phase_s[rows]
    cycled = np.zeros((n, m), dtype=bool)
    started, back, returned = np.full((n, m), INF), np.full((n, m), INF), np.full((n, m), INF)
    now, active = acting, paged & ~undecided
    decisions = []  # the instants people pick a batch at
    for _ in range(m + 1):  # at most one batch per instance, then the last look finds none
        if not active.any():
            break
        decisions.append(np.where(active, now, np.nan))
        at = now[:, None]
        working = np.where(cycled, back <= at, works <= at)
        in_rotation = (
            np.where(cycled, returned <= at, gone.in_rotation(at))
            if gone.running is not None
            else ((returned <= at) | ~cycled)
        )
        served = served_by(in_rotation.sum(axis=1), (working & in_rotation).sum(axis=1), route(now))
        broken = ~cycled & ~working & (gone.not_restarting(at) if gone.running is not None else at < INF)
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
    undecided |= active | gone.refused(plans)
    # a change close to an instant people decide at: the order of their events would decide
    instants = np.column_stack([np.full(n, escalation_s), *decisions])[:, :, None]
    later = np.concatenate((works, returned, route_at, *gone.instants), axis=1)[:, None, :]
    undecided |= _close_to(instants, later).any(axis=(1, 2)) | _close_to(acting, np.full(n, escalation_s))
    undecided |= gone.cycled_too_soon(cycled, started)
    dwr = gone.changes(cycled, started, back, returned, works)
    side = _instances(
        shape, (changes[0], (0, -m, -m)), (m, m, m), dwr, gone.stays(cycled), undecided, (route_at, route_index, taken)
    )
    side.registered_only = True
    side.undecided |= gone.panics(side)
    # the replay ends with the fleet's last moment (those superseded fire too), or the people's timeouts
    targets, fires = plans.stacked()
    made = np.where(np.isnan(targets), -INF, fires).max(axis=1)
    side.end_s = np.maximum.reduce([np.full(n, escalation_s), np.where(paged, acting, -INF), made, gone.end(cycled)])
    return side, paged


class _ZoneLost:
    """The instances lost with the primary's zone until it is back (``zone``; None: none), every instance in
    its own column: as nobody acting would have them (``fleet_batch.lost_changes``) until people cycle them.
    Broken (down, not restarting) until the zone is back, or until the load balancer drains them with
    auto-restart; cycled by hand like any other (the zone's return then finds them up or restarting)."""

    def __init__(
        self,
        shape: FleetShape,
        draws: AppDraws,
        rows: NDArray[np.intp],
        zone: tuple[list[int], Floats] | None,
        ready: Floats,
    ) -> None:
        n, m = len(rows), shape.instances
        self.shape, self.plans = shape, _Plans()
        self.lost = np.zeros(m, dtype=bool)
        self.undecided = np.zeros(n, dtype=bool)
        self.d, self.w, self.r = np.full((n, m), INF), np.full((n, m), INF), np.full((n, m), INF)
        self.start, self.stays_lost, self.back = np.full((n, m), INF), np.zeros((n, m), dtype=bool), np.full(n, -INF)
        self.running: NDArray[np.intp] | None = None
        if zone is None or not zone[0]:
            return
        lost, back = zone
        self.lost[lost] = True
        self.running, self.back = np.flatnonzero(~self.lost), back
        d, w, r, stays = lost_changes(shape, draws, rows, lost, back, self.plans, self.undecided)
        drained = self.plans.fires[0]  # lost_changes plans the load balancer's draining first
        late = back[:, None] > drained
        self.d[:, lost], self.w[:, lost], self.r[:, lost], self.stays_lost[:, lost] = d, w, r, stays
        self.start[:, lost] = np.where(late & shape.auto_restart, drained, back[:, None]) + 0 * w
        # a lost instance works when it is up, which must be after the primary is ready
        self.undecided |= (_close(w, ready[:, None]) | ~(w > ready[:, None])).any(axis=1)

    def full(self, works: Floats) -> Floats:
        """When every instance works again with nobody acting, from the running ones' ``works``."""
        if self.running is None:
            return works
        full = self.w.copy()
        full[:, self.running] = works
        return full

    def in_rotation(self, at: Floats) -> Bools:
        """Whether each instance not cycled is in rotation at ``at`` (incidents × 1)."""
        out: Bools = (self.d <= at) & (at < self.r)
        return ~out

    def not_restarting(self, at: Floats) -> Bools:
        """Whether each instance not cycled is not restarting (nor up) by the zone's return at ``at``."""
        before: Bools = at < self.start
        return before

    @property
    def instants(self) -> list[Floats]:
        """The lost instances' changes and the zone's return: people deciding close to one is left undecided."""
        lost = self.lost
        return [self.d[:, lost], self.r[:, lost], self.start[:, lost], self.back[:, None] + 0 * self.r[:, lost][:, :1]]

    def cycled_too_soon(self, cycled: Bools, started: Floats) -> Bools:
        """A lost instance cycled before the load balancer drained it (or close to it): left undecided."""
        soon = cycled & self.lost & (_close(started, self.d) | ~(started > self.d))
        return np.asarray(soon.any(axis=1))

    def changes(
        self, cycled: Bools, started: Floats, back: Floats, returned: Floats, works: Floats
    ) -> tuple[Floats, Floats, Floats]:
        """Every instance's (D, W, R): cycled ones out when people took them (or drained), back when cycled."""
        d = np.where(self.lost, self.d, np.where(cycled, started, INF))
        return d, np.where(cycled, back, works), np.where(cycled, returned, self.r)

    def stays(self, cycled: Bools) -> Bools:
        """Whether each instance stays in rotation when it works again."""
        stays: Bools = np.where(self.lost, self.stays_lost, True) & ~cycled
        return stays

    def refused(self, plans: _Plans) -> Bools:
        """``plans.refused`` with the lost instances' moments too."""
        if not self.plans.targets:
            return plans.refused()
        every = _Plans()
        every.targets, every.fires = plans.targets + self.plans.targets, plans.fires + self.plans.fires
        return every.refused()

    def panics(self, side: _Side) -> Bools:
        """Fail-open routing to the drained, still registered lost instances: left undecided wherever the
        count in rotation could reach the panic threshold."""
        shape = self.shape
        if not (shape.fail_open and self.lost.any()):
            return np.zeros(len(self.back), dtype=bool)
        order = np.argsort(side.times, axis=1, kind="stable")
        rows = np.arange(len(order))[:, None]
        times = side.times[rows, order]
        count = side.base[0] + np.cumsum(side.steps[0][rows, order], axis=1)
        panic = (times < INF) & ((count <= 0) | (count < shape.panic_below))
        return np.asarray(panic.any(axis=1))

    def end(self, cycled: Bools) -> Floats:
        """The last moment the lost instances planned (none for those cycled: the zone's return skips them)."""
        end = self.back.copy()
        for index, (target, fires) in enumerate(zip(self.plans.targets, self.plans.fires)):
            made = ~np.isnan(target)
            if index >= 2:  # lost_changes plans per instance after the draining and the zone's return
                made &= ~cycled[:, self.lost]
            end = np.maximum(end, np.where(made, fires, -INF).max(axis=1))
        return end


def take_worked_out(
    outcomes: BatchOutcomes, rows: NDArray[np.intp], worked_out: tuple[Floats, Floats, Bools, Bools]
) -> Bools:
    """Take the RTO and impact of the incidents ``rows`` that ``cycled_by_hand_batch`` decided (``worked_out``),
    people paged among them; which it decided."""
    rto, impact, decided, paged = worked_out
    outcomes.take(rows, rto, impact, decided)
    if outcomes.humans_needed is None:
        outcomes.humans_needed = np.zeros(len(outcomes.decided), dtype=bool)
    outcomes.humans_needed[rows[decided & paged]] = True
    return decided
