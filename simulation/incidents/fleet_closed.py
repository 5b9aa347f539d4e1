"""The app tier's recovery after losing its primary, worked out from each instance's own change times.

When nobody acts, every instance of a ``Fleet`` goes through its states on its
own: its pool holds stale connections from the loss; deep checks drain it after
``unhealthy_threshold`` failed checks and auto-restart restarts it; it works
again once it follows the new endpoint and its pool has drained (or once a
restart comes up with a primary to reach: ``parked_recovery`` when it came up
too early); passing checks return it. Instances meet only in the served
fraction and in fail-open routing, both functions of how many instances pass
their checks and work at a moment. So the served timeline follows from the
sorted change times of every instance: point for point what ``Fleet`` and
``ServedTracker`` record, with the same float arithmetic in the same order.

A replay is left to SimPy (``None``) when people act (escalation finds the
service still down), when a change falls on the instant of another that it
depends on (the order of their events would decide), or when the service is
not whole at the end (the replay's end time would count).
"""

from __future__ import annotations

from simulation.incidents.app_draws import INF, REFUSED_EVICTION_S, AppRow
from simulation.incidents.evacuation import Evacuated
from simulation.incidents.fleet import Fleet, lb_check_s, parked_recovery
from simulation.incidents.protocol import ReplayOutcome
from simulation.incidents.served import ServedTracker, add_point

BROKEN, WORKS, DRAINED, RETURNED, ROUTED = 0, 1, 2, 3, 4  # kinds of change: broken, works (again), out of /
# back in rotation (its checks pass again: registered again too), routed share (``instance``: index in the routes)
Route = tuple[float, float]  # (routed share, load_rps) of the tracker
Points = list[tuple[float, float]]


class FleetShape:
    """What a batch's fleet does, read once from a ``Fleet`` and its tracker made for the batch; the served
    fraction of a (in rotation, serving) count, worked out once per count by the tracker itself."""

    __slots__ = (
        "tracker", "instances", "deep", "auto_restart", "static", "fail_open", "panic_below", "interval_s",
        "unhealthy_after", "healthy_after", "whole", "route", "_values",
    )  # fmt: skip

    def __init__(self, tracker: ServedTracker, fleet: Fleet) -> None:
        self.tracker = tracker
        self.instances = len(tracker.working)
        self.deep = fleet.deep
        self.auto_restart = fleet.auto_restart
        self.static = fleet.static
        self.fail_open = fleet.fail_open
        self.panic_below = fleet.panic_below
        self.interval_s = fleet.lb_interval_s
        self.unhealthy_after = fleet.unhealthy_after
        self.healthy_after = fleet.healthy_after
        self.whole = tracker.points[0][1]  # every instance in rotation and working, as the tracker was made
        self.route: Route = (tracker.routed, tracker.load)  # as the fleet starts
        self._values: dict[tuple[int, int, Route], float] = {}

    def served(self, rotation: int, serving: int, route: Route) -> float:
        """The tracker's served fraction with ``rotation`` instances in rotation, ``serving`` of them working."""
        key = (rotation, serving, route)
        value = self._values.get(key)
        if value is None:
            tracker = self.tracker
            tracker.rotation_count, tracker.serving_count = rotation, serving
            tracker.routed, tracker.load = route
            value = self._values[key] = 1.0 - tracker.traffic_share * (1.0 - tracker.fleet_served())
        return value


def _fires_s(created_s: float, target_s: float) -> float:
    """When a moment planned at ``created_s`` for ``target_s`` fires: a SimPy timeout of ``target − created``
    fires at ``created + (target − created)``, which may differ from ``target`` in the last bit."""
    return created_s + (target_s - created_s) if target_s > created_s else created_s


def _close(a_s: float, b_s: float) -> bool:
    """Two instants so close that which comes first may hang on rounding: the replay decides."""
    if not (a_s < INF and b_s < INF):
        return a_s == b_s
    return abs(a_s - b_s) <= 1e-12 * (1.0 + abs(a_s))


class _Moments:
    """The changes of a replay as ``(fires_s, kind, instance)``; moments planned for one target share the
    first one's firing time (``Fleet.at``), so a target planned from two instants that would fire apart is
    refused (``ok`` false): the replay decides."""

    __slots__ = ("changes", "fires", "ok")

    def __init__(self) -> None:
        self.changes: list[tuple[float, int, int]] = []
        self.fires: dict[float, float] = {}
        self.ok = True

    def plan(self, created_s: float, target_s: float) -> float:
        """The firing time of a moment planned at ``created_s`` for ``target_s``."""
        fires_s = _fires_s(created_s, target_s)
        if self.fires.setdefault(target_s, fires_s) != fires_s:
            self.ok = False
        return fires_s

    def add(self, created_s: float, target_s: float, kind: int, i: int) -> float:
        fires_s = self.plan(created_s, target_s)
        self.changes.append((fires_s, kind, i))
        return fires_s

    def works_again(self, created_s: float, target_s: float, i: int, shape: FleetShape, phase_s: float) -> float:
        """Instance ``i`` works from ``target_s`` and the load balancer returns it after its passing checks;
        when it works."""
        works_s = self.add(created_s, target_s, WORKS, i)
        returned = lb_check_s(phase_s, shape.interval_s, works_s, shape.healthy_after)
        self.add(works_s, returned, RETURNED, i)
        return works_s


def _primary_lost(
    moments: _Moments,
    shape: FleetShape,
    row: AppRow,
    lost_s: float,
    ready_s: float,
    same_address: bool,
    running: range | list[int],
) -> bool:
    """Add the changes of the ``running`` instances when the primary was lost at ``lost_s`` and a primary is
    reachable again at ``ready_s`` (at the same address or not); False where the order of events decides."""
    phase_s, interval_s = row.lb_phase_s, shape.interval_s
    deep, auto_restart = shape.deep, shape.auto_restart
    drained_s = moments.plan(lost_s, lb_check_s(phase_s, interval_s, lost_s, shape.unhealthy_after)) if deep else INF
    if _close(ready_s, drained_s):
        return False
    follow_s, drain_s, restart_s = row.follow_s, row.drain_s, row.restart_s
    moments.changes += [(lost_s, BROKEN, i) for i in running]
    for i in running:
        # what ``Fleet.primary_is_ready`` plans for a stale pool: endpoint followed and pool drained
        follow = ready_s if same_address else ready_s + follow_s[i]
        drain_at = lost_s + drain_s[i]
        drain = min(drain_at, ready_s + REFUSED_EVICTION_S) if same_address else drain_at
        works = follow if follow > drain else drain
        stale = not deep or ready_s < drained_s  # still up with a stale pool when the primary is ready
        works_s = moments.plan(ready_s, works) if stale and works < INF else INF
        if not deep or (stale and works_s < drained_s):
            if works_s < INF:  # works again before the load balancer gave up on it: it stays in rotation
                moments.changes.append((works_s, WORKS, i))
            continue
        if _close(works_s, drained_s):
            return False
        moments.changes.append((drained_s, DRAINED, i))
        if not auto_restart:  # the recovery planned when the primary is ready
            back, planned_s = works, ready_s
        else:  # restarted when drained; a fresh process works if a primary is reachable when it is up
            up_s = moments.plan(drained_s, drained_s + restart_s[i])
            if _close(up_s, ready_s):
                return False
            if up_s > ready_s:
                back, planned_s = drained_s + restart_s[i], drained_s
            else:  # up too early: restarted by the load balancer until a restart comes up after ``ready_s``
                follows = follow if (same_address or not shape.static) else INF
                back = parked_recovery(
                    phase_s, interval_s, shape.unhealthy_after, up_s, restart_s[i], ready_s, follows
                )[0]
                planned_s = ready_s
        if back < INF:
            moments.works_again(planned_s, back, i, shape, phase_s)
    return moments.ok


def served_after_primary_loss(
    shape: FleetShape,
    row: AppRow,
    ready_s: float,
    same_address: bool,
    *,
    escalation_s: float,
    threshold: float,
    lost_s: float = 0.0,
) -> Points | None:
    """The served timeline of a fleet that lost its primary at ``lost_s`` and can reach one again from
    ``ready_s``, when nobody acts: what the replay records, or None when it must be replayed (see the module)."""
    if not 0.0 < ready_s < INF or not 0.0 <= lost_s <= ready_s:
        return None
    moments = _Moments()
    if not _primary_lost(moments, shape, row, lost_s, ready_s, same_address, range(shape.instances)):
        return None
    return _timeline(shape, [True] * shape.instances, moments.changes, escalation_s, threshold)


def served_after_crash(shape: FleetShape, row: AppRow, *, escalation_s: float, threshold: float) -> Points | None:
    """The served timeline of a fleet whose instance 0 died at 0, when nobody acts: the load balancer takes it
    out; auto-restart restarts it then, and it returns after its passing checks."""
    phase_s = row.lb_phase_s
    moments = _Moments()
    drained_s = moments.add(0.0, lb_check_s(phase_s, shape.interval_s, 0.0, shape.unhealthy_after), DRAINED, 0)
    if shape.auto_restart:
        moments.works_again(drained_s, drained_s + row.restart_s[0], 0, shape, phase_s)
    if not moments.ok:
        return None
    works = [True] * shape.instances
    works[0] = False
    return _timeline(shape, works, moments.changes, escalation_s, threshold)


def served_after_instances_lost(
    shape: FleetShape, row: AppRow, lost: list[int], back_s: float, *, escalation_s: float, threshold: float
) -> Points | None:
    """The served timeline of a fleet whose instances ``lost`` were gone at 0 (a lost zone) until ``back_s``,
    when nobody acts: the load balancer takes them out; auto-restart replaces them then, otherwise they boot
    again when the zone is back (as they do when it is back before the load balancer gave up on them)."""
    moments = _Moments()
    works = [True] * shape.instances
    if not _instances_lost(moments, shape, row, lost, back_s, works) or not moments.ok:
        return None
    return _timeline(shape, works, moments.changes, escalation_s, threshold)


def served_after_primary_zone_lost(
    shape: FleetShape,
    row: AppRow,
    lost: list[int],
    back_s: float,
    ready_s: float,
    same_address: bool,
    *,
    escalation_s: float,
    threshold: float,
) -> Points | None:
    """The served timeline of a fleet that lost the zone of its primary at 0, when nobody acts: its instances
    ``lost`` are gone until ``back_s`` (``served_after_instances_lost``), the others lost their primary, which
    is reachable again from ``ready_s`` (``served_after_primary_loss``); None as well when a lost instance
    comes up before the primary is ready (or at that instant: the replay decides)."""
    if not 0.0 < ready_s < INF:
        return None
    moments = _Moments()
    works = [True] * shape.instances
    if not _instances_lost(moments, shape, row, lost, back_s, works, ready_s):
        return None
    running = [i for i in range(shape.instances) if works[i]]
    if not _primary_lost(moments, shape, row, 0.0, ready_s, same_address, running):
        return None
    return _timeline(shape, works, moments.changes, escalation_s, threshold)


def _instances_lost(
    moments: _Moments,
    shape: FleetShape,
    row: AppRow,
    lost: list[int],
    back_s: float,
    works: list[bool],
    ready_s: float = -INF,
) -> bool:
    """Add the changes of the instances ``lost`` at 0 until ``back_s`` (not working: ``works`` changed in
    place); False where the order of events decides, or where one comes up at or before ``ready_s`` (the
    primary is reachable from then)."""
    phase_s, interval_s, unhealthy_after = row.lb_phase_s, shape.interval_s, shape.unhealthy_after
    drained_s = moments.plan(0.0, lb_check_s(phase_s, interval_s, 0.0, unhealthy_after)) if lost else INF
    if _close(back_s, drained_s):
        return False
    for k in lost:
        works[k] = False
        restart_s = row.restart_s[k]
        if back_s > drained_s:
            moments.changes.append((drained_s, DRAINED, k))
            restarted_s = drained_s if shape.auto_restart else back_s
            up_s = moments.works_again(restarted_s, restarted_s + restart_s, k, shape, phase_s)
        else:  # booted when the zone is back: the load balancer's count starts again from then
            again_s = moments.plan(back_s, lb_check_s(phase_s, interval_s, back_s, unhealthy_after))
            up_s = moments.plan(back_s, back_s + restart_s)
            if _close(up_s, again_s):
                return False
            if up_s < again_s:
                moments.changes.append((up_s, WORKS, k))
            else:
                moments.changes.append((again_s, DRAINED, k))
                moments.works_again(back_s, back_s + restart_s, k, shape, phase_s)
        if _close(up_s, ready_s) or not up_s > ready_s:
            return False
    return True


def served_after_region_failover(
    shape: FleetShape,
    row: AppRow,
    ready_s: float,
    boots: list[tuple[int, float]],
    routes: list[tuple[float, Route]],
    *,
    escalation_s: float,
    threshold: float,
) -> Points | None:
    """The served timeline of the surviving fleet when a region is lost at 0, when nobody acts: its running
    instances lost their primary then, a promoted one is ready at ``ready_s``; ``boots`` (instance, up at) are
    built for the failover and join after their checks pass; users arrive along ``routes`` (at, route)."""
    if not 0.0 < ready_s < INF:
        return None
    moments = _Moments()
    booted = {k for k, _ in boots}
    running = [i for i in range(shape.instances) if i not in booted]
    if not _primary_lost(moments, shape, row, 0.0, ready_s, False, running):
        return None
    phase_s = row.lb_phase_s
    for k, start_s in boots:
        up_s = moments.plan(0.0, start_s)
        if up_s >= ready_s:  # a build up when the primary is ready (the same instant: ready first) works
            moments.works_again(0.0, start_s, k, shape, phase_s)
            continue
        if _close(up_s, ready_s):
            return None
        if shape.deep:  # up too early: fails its deep checks until the primary is ready, then works
            moments.works_again(ready_s, ready_s, k, shape, phase_s)
            continue
        # liveness checks return it while it cannot work yet; it works once the primary is ready
        returned_s = moments.plan(up_s, lb_check_s(phase_s, shape.interval_s, up_s, shape.healthy_after))
        if _close(returned_s, ready_s):
            return None
        if returned_s < ready_s:
            moments.changes.append((returned_s, RETURNED, k))
            moments.add(ready_s, ready_s, WORKS, k)  # the moment ``_plan_recovery`` makes then
        else:  # that return is called off: planned again from when it works
            moments.works_again(ready_s, ready_s, k, shape, phase_s)
    for j, (at_s, _) in enumerate(routes):
        moments.add(0.0, at_s, ROUTED, j)
    if not moments.ok:
        return None
    works = [i not in booted for i in range(shape.instances)]
    return _timeline(
        shape, works, moments.changes, escalation_s, threshold, out=sorted(booted), routes=[r for _, r in routes]
    )


def _timeline(
    shape: FleetShape,
    works: list[bool],
    changes: list[tuple[float, int, int]],
    escalation_s: float,
    threshold: float,
    *,
    out: tuple[int, ...] | list[int] = (),
    routes: tuple[Route, ...] | list[Route] = (),
) -> Points | None:
    """The served timeline from the instances working right after the failure at 0 (``works``, changed in
    place), every instance in rotation then but those ``out`` (booting: registered again when their checks
    pass), and the later ``changes`` (a ``ROUTED`` change selects one of ``routes``); None where people would
    act. Fail-open routes to every registered instance below the panic threshold. Counts are kept as the
    changes come, in local variables: this runs for most incidents."""
    if not escalation_s > 0.0:
        return None
    changes.sort()
    m = shape.instances
    passing, registered = [True] * m, [True] * m
    for i in out:
        passing[i] = registered[i] = False
    healthy = enrolled = m - len(out)
    working = sum(works)
    serving_healthy = enrolled_working = sum(1 for i in range(m) if works[i] and passing[i])
    route, served, fail_open, panic_below = shape.route, shape.served, shape.fail_open, shape.panic_below

    def value() -> float:
        if fail_open and (healthy == 0 or healthy < panic_below):
            return served(enrolled, enrolled_working, route)
        return served(healthy, serving_healthy, route)

    points: Points = [(0.0, shape.whole)]
    add_point(points, 0.0, value())
    escalation_due = True
    k, count = 0, len(changes)
    while k < count:
        t = changes[k][0]
        if escalation_due and t >= escalation_s:
            if _close(t, escalation_s) or value() < threshold:
                return None  # people are paged, or the order of events at the escalation would decide
            escalation_due = False
        while k < count:
            at_s, kind, i = changes[k]
            if at_s != t:
                break
            k += 1
            if kind <= WORKS:  # broken, or works (again): at one instant broken first, as it was lost first
                step = 1 if kind == WORKS else -1
                works[i] = kind == WORKS
                working += step
                if passing[i]:
                    serving_healthy += step
                if registered[i]:
                    enrolled_working += step
            elif kind == ROUTED:
                route = routes[i]
            else:  # out of rotation, or back (registered again)
                back = kind == RETURNED
                step = 1 if back else -1
                passing[i] = back
                healthy += step
                if works[i]:
                    serving_healthy += step
                if back and not registered[i]:
                    registered[i] = True
                    enrolled += 1
                    if works[i]:
                        enrolled_working += 1
        add_point(points, t, value())
    if escalation_due and value() < threshold:
        return None
    if points[-1][1] != 1.0:
        return None  # not whole at the end: the replay's end time would count
    return points


def whole_outcome(evacuated: Evacuated, lost_tx: float) -> ReplayOutcome | None:
    """A worked-out incident's outcome after its evacuation (``lost_tx`` lost by the local recovery); None when
    the service is not whole at the end (the replay's end time would count)."""
    points = evacuated.points
    if points[-1][1] != 1.0:
        return None
    return ReplayOutcome(
        points,
        points[-1][0],
        data_loss_s=evacuated.data_loss_s,
        lost_tx=lost_tx + evacuated.lost_tx,
        duplicated_tx=evacuated.duplicated_tx,
        humans_needed=evacuated.humans_needed,
    )
