"""Served-fraction tracking: the state of the app instances behind a load balancer → served(t).

A replay runs SimPy processes that change the state of the app instances (in
the load balancer's rotation or not, working or not) and of the whole system
(a global factor, e.g. read-only mode); the ``ServedTracker`` turns those
changes into a piecewise-constant served-fraction timeline, from which RTO and
impact follow (``rto_and_impact``).
"""

from __future__ import annotations

import simpy

State = tuple[int, int, float, float, float, float]  # ``ServedTracker._state()``

# served fraction by state, for each kind of tracker with its fixed inputs (``ServedTracker._fixed()``): the
# same few states recur in replay after replay, and a tracker's served fraction depends on nothing else
_SERVED_BY_STATE: dict[tuple[object, ...], dict[State, float]] = {}
_SERVED_KINDS_KEPT = 1024  # kinds of tracker kept before the table starts over (analyses vary the inputs)


def served_by_state(fixed: tuple[object, ...]) -> dict[State, float]:
    """The table of served fractions by state shared by the trackers with the fixed inputs ``fixed``."""
    table = _SERVED_BY_STATE.get(fixed)
    if table is None:
        if len(_SERVED_BY_STATE) >= _SERVED_KINDS_KEPT:
            _SERVED_BY_STATE.clear()
        table = _SERVED_BY_STATE[fixed] = {}
    return table


def add_point(points: list[tuple[float, float]], t: float, value: float) -> None:
    """The served fraction is ``value`` from ``t`` on (``t`` not before the last point): a point only where the
    value changes, one per instant (a later value at the same instant replaces the earlier one)."""
    if points[-1][0] == t:
        if len(points) > 1 and points[-2][1] == value:
            points.pop()
        else:
            points[-1] = (t, value)
    elif points[-1][1] != value:
        points.append((t, value))


class ServedTracker:
    """Served fraction of a set of app instances behind a load balancer.

    Traffic is split evenly over the instances in rotation; a working one
    serves min(its share, its capacity), a broken one serves nothing.
    ``factor`` is the share of the requests reaching the fleet that can succeed
    at all (read-only mode, a bad version failing a share of requests, ...);
    ``routed`` the share of this fleet's users whose requests reach it (DNS
    still pointing elsewhere); ``amplification`` multiplies the base load.
    Retrying agents add load only for the requests that fail: with s0 the
    served fraction of the arriving requests without retries, the load is
    L · (1 + (retry_amplification − 1) · (1 − s0)), where ``retry_amplification``
    is the load multiplier when every request fails (``retry_storm``). So a
    fleet that still serves everything gets no extra load. ``traffic_share`` is
    the share of all traffic this fleet carries; the rest is served elsewhere
    (another region) and counts as served. Counts are kept incrementally so
    that ``served()`` is O(1).
    """

    __slots__ = (
        "env",
        "capacity",
        "load",
        "in_rotation",
        "working",
        "factor",
        "amplification",
        "points",
        "retry_amplification",
        "traffic_share",
        "rotation_count",
        "serving_count",
        "routed",
        "recorded_state",
        "by_state",
    )

    def __init__(
        self,
        env: simpy.Environment,
        instances: int,
        capacity_rps: float,
        load_rps: float,
        *,
        retry_amplification: float = 1.0,
        traffic_share: float = 1.0,
    ) -> None:
        self.env = env
        self.capacity = capacity_rps
        self.load = load_rps
        self.in_rotation = [True] * instances
        self.working = [True] * instances
        self.rotation_count = instances
        self.serving_count = instances
        self.factor = 1.0
        self.routed = 1.0
        self.amplification = 1.0
        self.retry_amplification = retry_amplification
        self.traffic_share = traffic_share
        self.by_state = served_by_state(self._fixed())
        self.points: list[tuple[float, float]] = [(0.0, self.served())]
        self.recorded_state = self._state()

    def arriving_served(self, demand_rps: float) -> float:
        """Share of ``demand_rps`` arriving at the fleet that succeeds (capacity, broken instances, factor)."""
        if self.rotation_count == 0 or self.factor <= 0:
            return 0.0
        if demand_rps <= 0:
            return self.factor
        share = demand_rps / self.rotation_count
        served = self.serving_count * (share if share < self.capacity else self.capacity) / demand_rps
        return (served if served < 1.0 else 1.0) * self.factor

    def demand_rps(self) -> float:
        """Requests/s arriving at this fleet, retries of the failed ones included."""
        demand = self.load * self.amplification
        extra = self.retry_amplification - 1.0
        if extra > 0:
            failed = 1.0 - self.arriving_served(demand)
            if failed > 0:
                demand *= 1.0 + extra * failed
        return demand

    def fleet_served(self) -> float:
        """Served fraction of the traffic this fleet carries (retry load included).

        ``arriving_served(demand_rps())``, inlined: it runs at every recorded moment.
        """
        rotation, factor, routed = self.rotation_count, self.factor, self.routed
        if rotation == 0 or factor <= 0 or routed <= 0:
            return 0.0
        demand = self.load * self.amplification
        if demand <= 0:
            return routed * factor
        capacity, serving = self.capacity, self.serving_count
        share = demand / rotation
        served = serving * (share if share < capacity else capacity) / demand
        served = (served if served < 1.0 else 1.0) * factor
        extra = self.retry_amplification - 1.0
        if extra > 0 and served < 1.0:  # retries of the failed share
            demand *= 1.0 + extra * (1.0 - served)
            share = demand / rotation
            served = serving * (share if share < capacity else capacity) / demand
            served = (served if served < 1.0 else 1.0) * factor
        return routed * served

    def served(self) -> float:
        """Served fraction of all traffic (worked out once per state, ``by_state``)."""
        state = self.rotation_count, self.serving_count, self.factor, self.routed, self.amplification, self.load
        value = self.by_state.get(state)
        if value is None:
            value = self.by_state[state] = 1.0 - self.traffic_share * (1.0 - self.fleet_served())
        return value

    def _state(self) -> State:
        """What the served fraction depends on and may change during a replay (``_fixed()`` does not)."""
        return self.rotation_count, self.serving_count, self.factor, self.routed, self.amplification, self.load

    def _fixed(self) -> tuple[object, ...]:
        """What the served fraction depends on besides ``_state()``: the kind of tracker and its fixed inputs."""
        return type(self), self.capacity, self.retry_amplification, self.traffic_share

    def record(self) -> None:
        """Add a point for now (``served()``, inlined), replacing one already made now.

        Nothing to do when nothing the served fraction depends on changed since the last call: that call
        left the timeline ending with this value (from now or earlier)."""
        state = self.rotation_count, self.serving_count, self.factor, self.routed, self.amplification, self.load
        if state == self.recorded_state:
            return
        self.recorded_state = state
        value = self.by_state.get(state)
        if value is None:
            value = self.by_state[state] = 1.0 - self.traffic_share * (1.0 - self.fleet_served())
        add_point(self.points, float(self.env._now), value)

    def _recount(self) -> None:
        self.rotation_count = sum(self.in_rotation)
        self.serving_count = sum(1 for r, w in zip(self.in_rotation, self.working) if r and w)

    def update(self, i: int, *, in_rotation: bool | None = None, working: bool | None = None) -> None:
        """Change instance ``i`` without recording a point (callers record once per moment)."""
        if in_rotation is not None:
            self.set_rotation(i, in_rotation)
        if working is not None:
            self.set_working(i, working)

    def set_rotation(self, i: int, in_rotation: bool) -> None:
        """Put instance ``i`` in or out of rotation, without recording a point."""
        if in_rotation != self.in_rotation[i]:
            self.in_rotation[i] = in_rotation
            self.rotation_count += 1 if in_rotation else -1
            if self.working[i]:
                self.serving_count += 1 if in_rotation else -1

    def set_working(self, i: int, working: bool) -> None:
        """Mark instance ``i`` working or broken, without recording a point."""
        if working != self.working[i]:
            self.working[i] = working
            if self.in_rotation[i]:
                self.serving_count += 1 if working else -1

    def set(self, i: int, *, in_rotation: bool | None = None, working: bool | None = None) -> None:
        self.update(i, in_rotation=in_rotation, working=working)
        self.record()

    def set_all(self, *, in_rotation: bool | None = None, working: bool | None = None) -> None:
        n = len(self.working)
        if in_rotation is not None:
            self.in_rotation = [in_rotation] * n
        if working is not None:
            self.working = [working] * n
        self._recount()
        self.record()

    def set_factor(self, factor: float) -> None:
        self.factor = factor
        self.record()

    def set_amplification(self, amplification: float) -> None:
        self.amplification = amplification
        self.record()


class ReadWriteTracker(ServedTracker):
    """A fleet whose reads always work while writes need a working write path (active-active-read).

    ``working`` is the state of each instance's write pool (to the one primary);
    reads go to local replicas. Served = routed × capacity-limited × factor ×
    (reads + writes that work), so with every write path broken the fleet still
    serves 1 − write_share. The load balancer should not watch ``working``
    (its checks test the local replica), see ``Fleet(lb_watches_working=False)``.
    """

    __slots__ = ("write_share",)

    def __init__(
        self,
        env: simpy.Environment,
        instances: int,
        capacity_rps: float,
        load_rps: float,
        *,
        write_share: float,
        retry_amplification: float = 1.0,
        traffic_share: float = 1.0,
    ) -> None:
        self.write_share = write_share  # before ``_fixed()`` reads it
        super().__init__(
            env, instances, capacity_rps, load_rps, retry_amplification=retry_amplification, traffic_share=traffic_share
        )

    def arriving_served(self, demand_rps: float) -> float:
        rotation, factor = self.rotation_count, self.factor
        if rotation == 0 or factor <= 0:
            return 0.0
        capacity = min(1.0, rotation * self.capacity / demand_rps) if demand_rps > 0 else 1.0
        writes_ok = self.serving_count / rotation
        return factor * capacity * (1.0 - self.write_share + self.write_share * writes_ok)

    def _fixed(self) -> tuple[object, ...]:
        return (*super()._fixed(), self.write_share)

    def fleet_served(self) -> float:
        if self.rotation_count == 0 or self.factor <= 0 or self.routed <= 0:
            return 0.0
        return self.routed * self.arriving_served(self.demand_rps())


def rto_and_impact(points: list[tuple[float, float]], threshold: float, end_s: float) -> tuple[float, float]:
    """RTO: first time after which served stays >= threshold; impact: ∫(1 − served) dt up to ``end_s``."""
    rto = 0.0
    impact = 0.0
    t, value = points[0]
    for k in range(1, len(points)):
        next_t, next_value = points[k]
        impact += (1.0 - value) * (next_t - t)
        if value < threshold:
            rto = next_t
        t, value = next_t, next_value
    end = t if t > end_s else end_s  # the last point lasts until ``end_s`` (if later)
    impact += (1.0 - value) * (end - t)
    if value < threshold:
        rto = end
    return rto, impact
