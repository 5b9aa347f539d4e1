"""The closed forms of ``fleet_closed`` for a whole batch at once, in NumPy.

For every incident of a batch where nobody acts, each instance's change times
are worked out as arrays (incidents × instances) with the same float operations
in the same order as ``fleet_closed`` (a moment planned at ``created`` for
``target`` fires at ``created + (target − created)``); the changes of each
incident are sorted, and the counts (in rotation, working, serving) after
every distinct instant are sums of per-instance steps (they do not depend on
the order within an instant). The served fraction of each count is the
``FleetShape``'s, worked out once per count met; RTO and impact follow from
the distinct instants as ``served.rto_and_impact`` would from the points,
segment after segment in the same order, without building the points. The two
sides of a network partition (``two_sides_batch``) are two fleets whose changes
share one sorted array; each side's served fraction after each instant is merged
as ``network_partition.merged_points`` merges them.

An incident the batch cannot decide exactly is left undecided (``decided``
false) and goes through the per-incident path (the closed form, then SimPy):
people act (the service is below the threshold at the escalation, or a change
falls close to it), two changes it depends on fall close to each other, one
target is planned from two instants that would fire apart, an instance comes
up again before the primary is ready (``parked_recovery``), or the service is
not whole at the end.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from simulation.incidents.app_draws import INF, REFUSED_EVICTION_S, AppDraws
from simulation.incidents.batch_arrays import gather, previous, row_starts, stack_columns, value_at
from simulation.incidents.fleet_closed import FleetShape, Route
from simulation.incidents.protocol import BatchOutcomes
from simulation.incidents.served_counts import served_of

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]


def _fires(created: Floats, target: Floats) -> Floats:
    """``fleet_closed._fires_s``, elementwise."""
    fires: Floats = np.where(target > created, created + (target - created), created)
    return fires


def _close(a: Floats, b: Floats | float) -> Bools:
    """``fleet_closed._close``, elementwise."""
    finite = (a < INF) & (b < INF)
    close: Bools = np.where(finite, np.abs(a - b) <= 1e-12 * (1.0 + np.abs(a)), a == b)
    return close


def _lb_check(phase: Floats, interval_s: float, t: Floats, checks: int) -> Floats:
    """``fleet.lb_check_s``, elementwise (``phase`` broadcast against ``t``)."""
    first = phase + np.ceil((t - phase) / interval_s) * interval_s
    later: Floats = first + (checks - 1) * interval_s
    return later


class _Plans:
    """Every (target, firing time) a replay plans; a target planned to fire at two different times is refused
    (``_Moments.plan``): the replay decides."""

    def __init__(self) -> None:
        self.targets: list[Floats] = []
        self.fires: list[Floats] = []
        self._stacked: tuple[int, int, Floats, Floats] | None = None  # the last stacked, and of how many

    def plan(self, created: Floats, target: Floats, made: Bools) -> Floats:
        """The firing times; only where ``made`` is the moment planned."""
        fires = _fires(created, target)
        self.targets.append(np.where(made, target, np.nan))
        self.fires.append(fires)
        return fires

    def stacked(self) -> tuple[Floats, Floats]:
        """Every planned target (NaN: none) and firing time, a column each."""
        made = self._stacked
        if made is None or made[:2] != (len(self.targets), len(self.fires)):
            targets, fires = stack_columns(self.targets), stack_columns(self.fires)
            made = self._stacked = (len(self.targets), len(self.fires), targets, fires)
        return made[2], made[3]

    def refused(self) -> Bools:
        targets, fires = self.stacked()
        refused = np.zeros(len(targets), dtype=bool)
        # of two moments for one target firing apart, one fires apart from its target: only those incidents
        apart = ((fires != targets) & (targets == targets)).any(axis=1) if fires.shape == targets.shape else True
        at = np.flatnonzero(apart | refused)  # NaN: not planned
        targets, fires = targets[at], fires[at]
        order = np.argsort(targets, axis=1)
        targets, fires = gather(targets, order + row_starts(targets)), gather(fires, order + row_starts(fires))
        refused[at] = ((targets[:, 1:] == targets[:, :-1]) & (fires[:, 1:] != fires[:, :-1])).any(axis=1)
        return refused


class _Side:
    """One fleet's changes in a batch: ``times`` (incidents × changes; INF: none; a first change at 0 with no
    step) and their ``steps`` of (in rotation, working, serving), counted from ``base`` (every instance
    registered); ``undecided`` where the order of its events would decide. With ``routes``, a fourth step
    counts the index of the route in them (from 0). ``registered_only``: every instance out of rotation is
    deregistered too (people took it out), so fail-open routes to the same instances. ``end_s``: the last
    instant anything of the fleet happens, so the replay's end, where people may act on it (they check its
    escalation themselves); None: nobody acts, the escalation is checked here and the service must be whole at
    its last change (the replay's end would count)."""

    __slots__ = ("shape", "times", "base", "steps", "undecided", "routes", "registered_only", "end_s")

    def __init__(
        self,
        shape: FleetShape,
        times: Floats,
        base: tuple[int, ...],
        steps: tuple[NDArray[np.int64], ...],
        undecided: Bools,
        routes: list[Route] | None = None,
    ) -> None:
        self.shape, self.times, self.base, self.steps, self.undecided = shape, times, base, steps, undecided
        self.routes = routes
        self.registered_only = False
        self.end_s: Floats | None = None


def _primary_loss(shape: FleetShape, changes: tuple[Floats, tuple[Floats, Floats, Floats], Bools, Bools]) -> _Side:
    """The ``_Side`` of the ``changes`` of ``_primary_changes`` for every instance of the fleet."""
    m = shape.instances
    lost, dwr, stays, undecided = changes
    return _instances(shape, (lost, (0, -m, -m)), (m, m, m), dwr, stays, undecided)


@np.errstate(invalid="ignore", over="ignore")  # where undecided: infinite times, NaN for none
def _primary_changes(
    shape: FleetShape,
    draws: AppDraws,
    rows: NDArray[np.intp],
    ready: Floats,
    same_address: Bools,
    lost: Floats | None,
    escalation_s: float | Floats,
    running: NDArray[np.intp] | None = None,
    plans: _Plans | None = None,
) -> tuple[Floats, tuple[Floats, Floats, Floats], Bools, Bools]:
    """The changes of ``_primary_lost`` for the incidents ``rows`` of ``draws``: every instance (of ``running``;
    None: all) lost its primary at ``lost`` (None: at 0) and can reach one again from ``ready`` (at the same
    address or not). The instant of the loss, per-instance changes (D, W, R), ``stays`` and ``undecided``;
    its moments planned in ``plans`` (None: its own); ``escalation_s`` may differ by incident."""
    columns = np.arange(shape.instances) if running is None else running
    n, m = len(rows), len(columns)
    phase = draws.lb_phase_s[rows][:, None]
    follow_s, drain_s = draws.follow_s[rows][:, columns], draws.drain_s[rows][:, columns]
    restart_s = draws.restart_s[rows][:, columns]
    interval_s, deep = shape.interval_s, shape.deep
    lost = np.zeros(n) if lost is None else lost
    undecided = ~((ready > 0.0) & (ready < INF) & (lost >= 0.0) & (lost <= ready)) | ~(np.asarray(escalation_s) > 0.0)
    ready = np.where(undecided, 1.0, ready)[:, None]
    lost = np.where(undecided, 0.0, lost)[:, None]
    same = same_address[:, None]
    zero, never = np.zeros((n, m)), np.full((n, m), INF)
    plans = _Plans() if plans is None else plans
    # what ``Fleet.primary_is_ready`` plans for a stale pool: endpoint followed and pool drained
    follow = np.where(same, ready, ready + follow_s)
    drain_at = lost + drain_s
    drain = np.where(same, np.minimum(drain_at, ready + REFUSED_EVICTION_S), drain_at)
    works = np.where(follow > drain, follow, drain)
    if deep:
        target = _lb_check(phase, interval_s, lost, shape.unhealthy_after)
        drained = plans.plan(lost, target, np.ones((n, 1), dtype=bool))
        undecided |= _close(ready, drained)[:, 0]
        stale = ready < drained
    else:
        drained, stale = never[:, :1], np.ones((n, 1), dtype=bool)
    planned = stale & (works < INF)
    works_s = np.where(planned, plans.plan(ready + zero, works, planned), INF)
    # works again before the load balancer gave up on it: it stays in rotation
    stays = stale & (works_s < drained) if deep else np.ones((n, m), dtype=bool)
    out = ~stays  # drained out of rotation, back after its passing checks
    undecided |= (out & _close(works_s, drained + zero)).any(axis=1)
    if not shape.auto_restart:  # the recovery planned when the primary is ready
        back, planned_s = works, ready + zero
    else:  # restarted when drained: a process up before the primary is ready is parked (left to the replay)
        back = drained + restart_s
        up = plans.plan(drained + zero, back, out)
        undecided |= (out & (_close(up, ready) | ~(up > ready))).any(axis=1)
        planned_s = drained + zero
    again = out & (back < INF)
    again_s = plans.plan(planned_s, back, again)
    returned = plans.plan(again_s, _lb_check(phase, interval_s, again_s, shape.healthy_after), again)
    undecided |= plans.refused()
    # per instance: out of rotation at D, works at W, back in rotation at R (D ≤ W ≤ R), INF where not
    d = np.where(out, drained, INF)
    w = np.where(stays, works_s, np.where(again, again_s, INF))
    r = np.where(again, returned, INF)
    return lost, (d, w, r), stays, undecided


def _instances(
    shape: FleetShape,
    start: tuple[Floats, tuple[int, int, int]],
    base: tuple[int, int, int],
    dwr: tuple[Floats, Floats, Floats],
    stays: Bools,
    undecided: Bools,
    routes: tuple[Floats, NDArray[np.int64], list[Route]] | None = None,
) -> _Side:
    """The ``_Side`` of per-instance changes ``dwr``: out of rotation at D, works at W (serving then where it
    ``stays`` in rotation), back in rotation at R; before them a change at 0 with no step, then ``start``
    (times, steps) of the whole fleet; after them ``routes`` (when each is taken, its index in the routes, the
    routes), if any."""
    d, w, r = dwr
    (n, k), first = d.shape, 2  # instances from column 2: after the change at 0 and the fleet's start
    times = np.concatenate((np.zeros((n, 1)), start[0], d, w, r), axis=1)
    # steps of (in rotation, working, serving), applied in that order within an instance: out, works, back
    width = times.shape[1] + (0 if routes is None else routes[1].shape[1])
    steps = np.zeros((3 if routes is None else 4, n, width), dtype=np.int64)
    for counted, step in zip(steps, start[1]):
        counted[:, 1] = step
    out, works, back = (slice(first + i * k, first + (i + 1) * k) for i in range(3))
    steps[0][:, out], steps[0][:, back] = -1, 1
    steps[1][:, works] = 1
    steps[2][:, works], steps[2][:, back] = stays, 1
    if routes is None:
        return _Side(shape, times, base, tuple(steps), undecided)
    at, index, taken = routes
    steps[3][:, times.shape[1] :] = index
    steps[3][:, times.shape[1] + 1 :] -= index[:, :-1]  # the route's index counted from the one before
    return _Side(shape, np.concatenate((times, at), axis=1), base, tuple(steps), undecided, taken)


@np.errstate(invalid="ignore", over="ignore")
def served_after_instances_lost_batch(
    shape: FleetShape,
    draws: AppDraws,
    rows: NDArray[np.intp],
    lost: list[int],
    back: Floats,
    *,
    escalation_s: float,
    threshold: float,
) -> tuple[Floats, Floats, Bools]:
    """``served_after_instances_lost`` for the incidents ``rows`` of ``draws`` whose instances ``lost`` were
    gone at 0 until ``back``: RTO, impact and whether decided."""
    n, m, k = len(rows), shape.instances, len(lost)
    zero = np.zeros((n, 1))
    undecided = np.full(n, not escalation_s > 0.0)
    if not k:  # a zone without instances: nothing changes (a zone never back is left, as the closed form does)
        undecided |= ~(back < INF)
        empty = np.zeros((n, 0))
        side = _instances(shape, (zero, (0, 0, 0)), (m, m, m), (empty, empty, empty), empty > 0, undecided)
        rto, impact, whole = _outcomes([side], escalation_s, threshold)
        return rto, impact, whole & ~undecided
    plans = _Plans()
    d, w, r, stays = lost_changes(shape, draws, rows, lost, back, plans, undecided)
    undecided |= plans.refused()
    side = _instances(shape, (zero, (0, 0, 0)), (m, m - k, m - k), (d, w, r), stays, undecided)
    rto, impact, whole = _outcomes([side], escalation_s, threshold)
    return rto, impact, whole & ~undecided


@np.errstate(invalid="ignore", over="ignore")
def lost_changes(
    shape: FleetShape,
    draws: AppDraws,
    rows: NDArray[np.intp],
    lost: list[int],
    back: Floats,
    plans: _Plans,
    undecided: Bools,
) -> tuple[Floats, Floats, Floats, Bools]:
    """The per-instance changes (D, W, R) and ``stays`` of the instances ``lost`` (at least one) at 0 until
    ``back``, for the incidents ``rows`` of ``draws`` (``_instances_lost`` of ``fleet_closed``); their moments
    planned in ``plans``, ``undecided`` changed in place where the order of events decides."""
    n = len(rows)
    phase, restart_s = draws.lb_phase_s[rows][:, None], draws.restart_s[rows][:, lost]
    interval_s, zero, made = shape.interval_s, np.zeros((n, 1)), np.ones((n, 1), dtype=bool)
    back = back[:, None]
    drained = plans.plan(zero, _lb_check(phase, interval_s, zero, shape.unhealthy_after), made)
    undecided |= _close(back, drained)[:, 0]
    late = back > drained + 0 * restart_s  # the load balancer gave up on them first: restarted
    restarted = drained if shape.auto_restart else back
    # booted when the zone is back, the load balancer's count started again from then
    again = plans.plan(back, _lb_check(phase, interval_s, back, shape.unhealthy_after), ~late[:, :1])
    up = plans.plan(back + 0 * restart_s, back + restart_s, ~late)
    undecided |= (~late & _close(up, again + 0 * up)).any(axis=1)
    stays = ~late & (up < again)
    w = np.where(late, plans.plan(restarted + 0 * restart_s, restarted + restart_s, late), up)
    r = np.where(stays, INF, plans.plan(w, _lb_check(phase, interval_s, w, shape.healthy_after), ~stays))
    d = np.where(late, drained, np.where(stays, INF, again))
    return d, w, r, stays


def served_after_primary_loss_batch(
    shape: FleetShape,
    draws: AppDraws,
    rows: NDArray[np.intp],
    ready: Floats,
    same_address: Bools,
    *,
    escalation_s: float | Floats,
    threshold: float,
    checks: Floats | None = None,
) -> tuple[Floats, Floats, Bools]:
    """RTO, impact and whether decided, for the incidents ``rows`` of ``draws`` whose fleet lost its primary at 0
    and can reach one again from ``ready`` (at the same address or not): ``served_after_primary_loss`` with
    ``rto_and_impact`` of its points up to the last, for the whole batch. ``escalation_s`` may differ by incident;
    ``checks``: the instants people look at the service (see ``_outcomes``)."""
    side = _primary_loss(shape, _primary_changes(shape, draws, rows, ready, same_address, None, escalation_s))
    rto, impact, whole = _outcomes([side], escalation_s, threshold, checks=checks)
    return rto, impact, whole & ~side.undecided


SideOf = Callable[[FleetShape, tuple[Floats, Bools], Floats | None], _Side]
"""``side_of(shape, (ready, same address), lost)``: a fleet's side, its primary lost at ``lost`` (None: at 0)
and reachable again from ``ready``."""


def two_sides_batch(
    far: FleetShape,
    old: FleetShape | float | None,
    draws: AppDraws,
    rows: NDArray[np.intp],
    far_ready: tuple[Floats, Bools],
    old_loss: tuple[Floats, Floats] | None,
    *,
    escalation_s: float,
    threshold: float,
    side_of: SideOf | None = None,
) -> tuple[Floats, Floats, Bools]:
    """``served_after_primary_loss`` of the ``far`` side (lost its primary at 0, reaches one from ``far_ready``:
    when, at the same address) and of the ``old`` side, merged as ``network_partition.merged_points`` merges
    them: the old side lost its primary at ``old_loss`` (lost, reaches a new one from) or, without it, stays
    whole throughout (``old``: its served fraction then; None: no old side). ``side_of``: each side's changes
    (None: nobody acts, ``_primary_changes``)."""

    def nobody_acts(shape: FleetShape, primary: tuple[Floats, Bools], lost: Floats | None) -> _Side:
        return _primary_loss(shape, _primary_changes(shape, draws, rows, *primary, lost, escalation_s))

    side_of = side_of or nobody_acts
    far_side = side_of(far, far_ready, None)
    sides: list[_Side | float] = [far_side]
    undecided = far_side.undecided
    if isinstance(old, FleetShape) and old_loss is not None:
        lost, back = old_loss
        old_side = side_of(old, (back, np.zeros(len(rows), dtype=bool)), lost)
        sides.append(old_side)
        undecided = undecided | old_side.undecided
    elif old is not None:
        sides.append(float(old) if not isinstance(old, FleetShape) else old.whole)
    rto, impact, whole = _outcomes(sides, escalation_s, threshold, merged=True)
    return rto, impact, whole & ~undecided


@np.errstate(invalid="ignore", over="ignore")
def served_after_crash_batch(
    shape: FleetShape, draws: AppDraws, *, escalation_s: float, threshold: float
) -> BatchOutcomes:
    """``served_after_crash`` for every incident of ``draws`` at once: instance 0 died at 0, the load balancer
    takes it out; auto-restart restarts it then, and it returns after its passing checks."""
    n, m = len(draws.lb_phase_s), shape.instances
    phase, zero, made = draws.lb_phase_s[:, None], np.zeros((n, 1)), np.ones((n, 1), dtype=bool)
    plans = _Plans()
    drained = plans.plan(zero, _lb_check(phase, shape.interval_s, zero, shape.unhealthy_after), made)
    works = returned = np.full((n, 1), INF)
    if shape.auto_restart:
        works = plans.plan(drained, drained + draws.restart_s[:, :1], made)
        returned = plans.plan(works, _lb_check(phase, shape.interval_s, works, shape.healthy_after), made)
    times = np.concatenate((zero, drained, works, returned), axis=1)
    # steps of (in rotation, working, serving): out, works (out of rotation), back
    steps = tuple(np.array([column] * n, dtype=np.int64) for column in ([0, -1, 0, 1], [0, 0, 1, 0], [0, 0, 0, 1]))
    side = _Side(shape, times, (m, m - 1, m - 1), steps, plans.refused() | (not escalation_s > 0.0))
    rto, impact, whole = _outcomes([side], escalation_s, threshold)
    outcomes = BatchOutcomes.undecided(n)
    outcomes.decided[:] = whole & ~side.undecided
    outcomes.rto_s[:], outcomes.impact_s[:] = rto, impact
    return outcomes


@np.errstate(invalid="ignore", over="ignore")
def _outcomes(
    sides: list[_Side | float],
    escalation_s: float | Floats,
    threshold: float,
    *,
    merged: bool = False,
    checks: Floats | None = None,
) -> tuple[Floats, Floats, Bools]:
    """RTO, impact and whether whole at the end and nobody acts, from each incident's changes on every side
    (``_Side``; a float: a side served at that fraction throughout); ``merged``: the served fraction is
    ``merged_points``' (each side's shortfall taken from 1 in turn), otherwise the one side's. Each side is
    whole at the end and nobody on it acts; ``escalation_s`` may differ by incident. ``checks``: per incident,
    an instant people look at the service and act on it unless it is served at the threshold at least (NaN:
    none): left undecided where they would act or a change falls close to it."""
    changing = [side for side in sides if isinstance(side, _Side)]
    times = np.concatenate([side.times for side in changing], axis=1)
    n = times.shape[0]
    order = np.argsort(times, axis=1, kind="stable")
    starts = row_starts(times)
    flat = order + starts
    times = gather(times, flat)
    finite = times < INF
    ends = finite.copy()  # the last change of each instant
    ends[:, :-1] &= times[:, :-1] != times[:, 1:]
    columns = np.broadcast_to(np.arange(times.shape[1]), times.shape)
    end_columns = np.where(ends, columns, -1)
    escalation = escalation_s if np.ndim(escalation_s) == 0 else np.asarray(escalation_s)[:, None]
    escalated = np.where(times < escalation, end_columns, -1).max(axis=1, keepdims=True)
    final = end_columns.max(axis=1, keepdims=True)
    refused = (finite & _close(times, escalation)).any(axis=1)
    decided: Bools = np.ones(n, dtype=bool)
    known = [side.end_s for side in changing if side.end_s is not None]  # the replay's end, where people may act
    merged_values: Floats | float = 1.0
    for side in sides:
        side_values = side if isinstance(side, float) else _values(side, changing, flat, ends)
        if not isinstance(side_values, float) and isinstance(side, _Side) and side.end_s is None:  # nobody acts:
            # whole at the end, nobody paged
            at_final, at_escalated = (
                value_at(side_values, final, starts)[:, 0],
                value_at(side_values, escalated, starts)[:, 0],
            )
            decided &= (at_final == 1.0) & ~(at_escalated < threshold)
            decided &= ~refused
        merged_values = merged_values - (1.0 - side_values) if merged else side_values
    values = np.where(ends, np.maximum(0.0, merged_values) if merged else merged_values, np.nan)
    # the points as ``add_point`` keeps them: the first instant's, then each instant whose value changes
    before = previous(end_columns)  # the instant before (-1: none)
    kept = ends & ((before < 0) | (values != value_at(values, before, starts)))
    latest = np.maximum.accumulate(np.where(kept, columns, -1), axis=1)
    point = previous(latest, accumulated=True)  # the point before
    change = kept & (before >= 0)
    if checks is not None:  # the service people find: after the last instant before the check
        looked = np.where(times <= checks[:, None], end_columns, -1).max(axis=1, keepdims=True)
        decided &= (value_at(values, looked, starts)[:, 0] >= threshold) | np.isnan(checks)
        decided &= ~(finite & _close(times, checks[:, None])).any(axis=1)
    last_t, last_v = value_at(times, point, starts), value_at(values, point, starts)
    # ∫(1 − served) dt segment after segment: accumulated one by one in order, as ``rto_and_impact`` adds them
    segments = np.where(change, (1.0 - last_v) * (times - last_t), 0.0)
    impact = np.add.accumulate(np.concatenate((np.zeros((n, 1)), segments), axis=1), axis=1)[:, -1]
    rto = np.where(change & (last_v < threshold), times, 0.0).max(axis=1)  # the last: times increase
    last = latest[:, -1:]
    last_t, last_v = value_at(times, last, starts)[:, 0], value_at(values, last, starts)[:, 0]
    # the last point lasts until the end: itself, or the last instant anything happens where people may act
    end_s = np.maximum.reduce(known) if known else last_t
    end = np.where(last_t > end_s, last_t, end_s)
    impact = impact + (1.0 - last_v) * (end - last_t)
    rto = np.where(last_v < threshold, end, rto)
    return rto, impact, decided & ((last_v == 1.0) | bool(known))


def _values(side: _Side, sides: list[_Side], flat: NDArray[np.intp], ends: Bools) -> Floats:
    """The served fraction of ``side`` after each instant (``ends`` of the changes of all ``sides``, in the order
    ``flat`` gathers them (``gather``); NaN elsewhere)."""
    shape, m = side.shape, side.shape.instances
    padded = side.steps  # no step at the other sides' changes
    if len(sides) > 1:
        padded = tuple(
            np.concatenate([s if other is side else np.zeros(other.times.shape, np.int64) for other in sides], axis=1)
            for s in side.steps
        )
    counts = (b + np.cumsum(gather(d, flat), axis=1) for b, d in zip((*side.base, 0), padded))
    healthy, working, serving, *route = counts
    # fail-open routes to every registered instance (all of them) below the panic threshold
    if shape.fail_open and not side.registered_only:
        panic = (healthy == 0) | (healthy < shape.panic_below)
        healthy, serving = np.where(panic, m, healthy), np.where(panic, working, serving)
    keys = healthy * (m + 1) + serving + (route[0] * (m + 1) ** 2 if route else 0)  # the route's index: highest
    values = np.full(ends.shape, np.nan)
    values[ends] = served_of(shape, side.routes or [shape.route], keys[ends])
    return values
