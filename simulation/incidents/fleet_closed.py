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
from simulation.incidents.fleet import Fleet, lb_check_s, parked_recovery
from simulation.incidents.served import ServedTracker, add_point

WORKS, DRAINED, RETURNED = 0, 1, 2  # kinds of change: works again, out of rotation, back in rotation
Points = list[tuple[float, float]]


class FleetShape:
    """What a batch's fleet does, read once from a ``Fleet`` and its tracker made for the batch; the served
    fraction of a (in rotation, serving) count, worked out once per count by the tracker itself."""

    __slots__ = (
        "tracker", "instances", "deep", "auto_restart", "static", "fail_open", "panic_below", "interval_s",
        "unhealthy_after", "healthy_after", "whole", "_values",
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
        self.whole = tracker.points[0][1]  # every instance in rotation and working
        self._values: dict[tuple[int, int], float] = {}

    def served(self, healthy: int, working: int, serving_healthy: int) -> float:
        """Served fraction with ``healthy`` instances passing their checks, ``working`` working, and
        ``serving_healthy`` both; fail-open routes to every instance below the panic threshold."""
        if self.fail_open and (healthy == 0 or healthy < self.panic_below):
            key = (self.instances, working)
        else:
            key = (healthy, serving_healthy)
        value = self._values.get(key)
        if value is None:
            tracker = self.tracker
            tracker.rotation_count, tracker.serving_count = key
            value = self._values[key] = 1.0 - tracker.traffic_share * (1.0 - tracker.fleet_served())
        return value


def _changes(shape: FleetShape, row: AppRow, ready_s: float, same_address: bool) -> list[tuple[float, int, int]] | None:
    """Every instance's changes ``(t, kind, instance)`` after the primary was lost at 0 and a primary is
    reachable again at ``ready_s`` (at the same address or not); None where the order of events decides."""
    phase_s, interval_s = row.lb_phase_s, shape.interval_s
    deep, auto_restart, healthy_after = shape.deep, shape.auto_restart, shape.healthy_after
    drained_s = lb_check_s(phase_s, interval_s, 0.0, shape.unhealthy_after) if deep else INF
    if ready_s == drained_s:
        return None
    follow_s, drain_s, restart_s = row.follow_s, row.drain_s, row.restart_s
    changes: list[tuple[float, int, int]] = []
    for i in range(shape.instances):
        # what ``Fleet.primary_is_ready`` plans for a stale pool: endpoint followed and pool drained
        follow = ready_s if same_address else ready_s + follow_s[i]
        drain = min(drain_s[i], ready_s + REFUSED_EVICTION_S) if same_address else drain_s[i]
        works = follow if follow > drain else drain
        if not deep or (ready_s < drained_s and works < drained_s):
            if works < INF:  # works again before the load balancer gave up on it: it stays in rotation
                changes.append((works, WORKS, i))
            continue
        if works == drained_s:
            return None
        changes.append((drained_s, DRAINED, i))
        if not auto_restart:
            back = works
        else:  # restarted when drained; a fresh process works if a primary is reachable when it is up
            up = drained_s + restart_s[i]
            if up == ready_s:
                return None
            if up > ready_s:
                back = up
            else:  # up too early: restarted by the load balancer until a restart comes up after ``ready_s``
                follows = follow if (same_address or not shape.static) else INF
                back = parked_recovery(phase_s, interval_s, shape.unhealthy_after, up, restart_s[i], ready_s, follows)[
                    0
                ]
        if back < INF:
            changes.append((back, WORKS, i))
            changes.append((lb_check_s(phase_s, interval_s, back, healthy_after), RETURNED, i))
    return changes


def served_after_primary_loss(
    shape: FleetShape, row: AppRow, ready_s: float, same_address: bool, *, escalation_s: float, threshold: float
) -> Points | None:
    """The served timeline of a fleet that lost its primary at 0 and can reach one again from ``ready_s``,
    when nobody acts: what the replay records, or None when it must be replayed (see the module)."""
    if not 0.0 < ready_s < INF:
        return None
    changes = _changes(shape, row, ready_s, same_address)
    if changes is None:
        return None
    return _timeline(shape, [False] * shape.instances, changes, escalation_s, threshold)


def served_after_crash(shape: FleetShape, row: AppRow, *, escalation_s: float, threshold: float) -> Points | None:
    """The served timeline of a fleet whose instance 0 died at 0, when nobody acts: the load balancer takes it
    out; auto-restart restarts it then, and it returns after its passing checks."""
    phase_s, interval_s = row.lb_phase_s, shape.interval_s
    drained_s = lb_check_s(phase_s, interval_s, 0.0, shape.unhealthy_after)
    changes = [(drained_s, DRAINED, 0)]
    if shape.auto_restart:
        up = drained_s + row.restart_s[0]
        changes += [(up, WORKS, 0), (lb_check_s(phase_s, interval_s, up, shape.healthy_after), RETURNED, 0)]
    works = [True] * shape.instances
    works[0] = False
    return _timeline(shape, works, changes, escalation_s, threshold)


def _timeline(
    shape: FleetShape, works: list[bool], changes: list[tuple[float, int, int]], escalation_s: float, threshold: float
) -> Points | None:
    """The served timeline from the instances working right after the failure at 0 (``works``, changed in
    place), every instance in rotation then, and the later ``changes``; None where people would act."""
    if not escalation_s > 0.0:
        return None
    changes.sort()
    m = shape.instances
    working = sum(works)
    healthy, serving_healthy = m, working
    passing = [True] * m  # passes its checks
    points: Points = [(0.0, shape.whole)]
    add_point(points, 0.0, shape.served(healthy, working, serving_healthy))
    escalation_due = True
    k, count = 0, len(changes)
    while k < count:
        t = changes[k][0]
        if escalation_due and t >= escalation_s:
            if t == escalation_s or shape.served(healthy, working, serving_healthy) < threshold:
                return None  # people are paged, or the order of events at the escalation would decide
            escalation_due = False
        while k < count and changes[k][0] == t:
            _, kind, i = changes[k]
            k += 1
            if kind == WORKS:
                works[i] = True
                working += 1
                serving_healthy += passing[i]
            else:
                back = kind == RETURNED
                passing[i] = back
                healthy += 1 if back else -1
                if works[i]:
                    serving_healthy += 1 if back else -1
        add_point(points, t, shape.served(healthy, working, serving_healthy))
    if escalation_due and shape.served(healthy, working, serving_healthy) < threshold:
        return None
    if points[-1][1] != 1.0:
        return None  # not whole at the end: the replay's end time would count
    return points
