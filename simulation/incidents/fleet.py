"""The application tier during an incident: shared by several models.

What is here, in the words of DESIGN.md "Modelling notes":

- **Stale connections**: an instance works again when its pool holds no stale
  connection (``app_draws.stale_drain_s``) and it can reach the new primary.
- **Load balancer**: a liveness check keeps zombies (up but broken) in
  rotation; a deep check drains them after ``unhealthy_threshold`` failed
  checks and returns them after ``healthy_threshold`` passing ones.
  Auto-restart restarts what the load balancer marks unhealthy.
- **Fail-open**: with ``load_balancer.fail_open`` (default, as an AWS ALB
  does) the load balancer routes to every registered instance when none, or
  fewer than ``panic_healthy_share`` of them (Envoy's panic threshold), pass
  their checks; so deep checks failing everywhere (the database is down) do
  not take the whole fleet out. People taking an instance out deregister it.

Random inputs are drawn up front for a whole batch (``app_draws.draw_app``);
the SimPy replay of incident ``i`` reads row ``i`` only. Instance transitions
are scheduled as computed timeouts, coalesced per moment, so a fleet of
identical instances costs a handful of events however large it is.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import simpy

from simulation.incidents.app_draws import INF, REFUSED_EVICTION_S, AppRow
from simulation.incidents.fleet_timing import Moment
from simulation.incidents.fleet_timing import cycles_until as cycles_until  # the fleet's interface, kept here
from simulation.incidents.fleet_timing import lb_check_s as lb_check_s
from simulation.incidents.fleet_timing import parked_recovery as parked_recovery
from simulation.incidents.outcomes import Phases
from simulation.incidents.served import ServedTracker
from simulation.model.scenario import App


class Fleet:
    """App instances behind one load balancer: processes up or down, pools stale or not, rotation.

    State changes are scheduled as SimPy timeouts; everything due at the same
    moment shares one event and one served-fraction point. A plan for an
    instance carries a version, so a later plan (a restart, a health flip)
    cancels an earlier one without touching the event queue.
    """

    # fmt: off
    __slots__ = (
        "env", "tracker", "row", "lb_interval_s", "unhealthy_after", "healthy_after", "deep", "fail_open",
        "panic_below", "lb_healthy", "registered", "healthy_count", "panic", "auto_restart", "static", "up",
        "working", "stale", "restarting", "parked_s", "built_for_failover", "state_v", "lb_v", "drain_at",
        "ready", "ready_at", "primary_ready", "manual_takeover", "_slots", "self_recovered_s",
        "restart_starts_s", "restart_ends_s", "rejoined_s",
    )
    # fmt: on

    def __init__(
        self, env: simpy.Environment, tracker: ServedTracker, app: App, row: AppRow, *, lb_watches_working: bool = True
    ) -> None:
        m = len(tracker.working)
        self.env = env
        self.tracker = tracker
        self.row = row
        lb = app.load_balancer
        self.lb_interval_s = lb.interval_s
        self.unhealthy_after = lb.unhealthy_threshold
        self.healthy_after = lb.healthy_threshold
        # a deep check's SELECT 1 passes on a demoted primary that is back read-only: it sees nothing wrong
        self.deep = app.health_check == "deep" and lb_watches_working and app.dead_host_signature != "read-only"
        self.fail_open = lb.fail_open
        self.panic_below = lb.panic_healthy_share * m
        self.lb_healthy = [True] * m  # passes the load balancer's checks
        self.registered = [True] * m  # people have not taken it out
        self.healthy_count = m
        self.panic = False  # routing to every registered instance
        self.auto_restart = app.auto_restart
        self.static = app.discovery == "static"
        self.up = [True] * m
        self.working = [True] * m
        self.stale = [False] * m
        self.restarting = [False] * m
        self.parked_s: list[float | None] = [None] * m  # restarted while no primary: up since
        self.built_for_failover = [False] * m  # booted by the failover itself: configured for the new primary
        self.state_v = [0] * m
        self.lb_v = [0] * m
        self.drain_at = [INF] * m
        self.ready = True  # a primary is reachable (at its current address)
        self.ready_at = 0.0
        self.primary_ready: simpy.Event | None = None  # made when someone waits for the primary
        # set by the database side: ``manual_takeover(start_s, fleet)`` — people paged by escalation carry
        # out the failover from ``start_s`` when no primary is ready yet
        self.manual_takeover: Callable[[float, Fleet], None] | None = None
        self._slots: dict[float, list[Any]] = {}  # moment → [its event, (fn, args), …]
        # for the phase timeline
        self.self_recovered_s: list[float] = []
        self.restart_starts_s: list[float] = []
        self.restart_ends_s: list[float] = []
        self.rejoined_s: list[float] = []

    # scheduling ---------------------------------------------------------------------------------
    def at(self, t: float, fn: Callable[..., None] | None = None, *args: Any) -> simpy.Event:
        """Run ``fn(*args)`` at absolute time ``t``, coalesced with anything else due then.

        Returns the moment's event (a process may wait on it: it resumes after
        the moment's changes); for a time that never comes, an event that never
        fires (a process waiting on it simply never resumes).
        """
        if not t < INF:
            return self.env.event()
        slot = self._slots.get(t)
        if slot is None:  # a new moment: its timeout first, then what is due then
            slot = self._slots[t] = [Moment(self.env, t, self._fire)]
        if fn is not None:
            slot.append((fn, args))
        moment: simpy.Event = slot[0]
        return moment

    def _batch(self, t: float, fn: Callable[[list[Any]], None]) -> list[Any]:
        """The list of items ``fn`` handles at ``t``, in order: the slot's last entry when it is ``fn``'s.

        Consecutive calls of one method at one moment share an entry (one call, a
        loop over its items): the same changes in the same order as one entry each.
        """
        slot = self._slots.get(t)
        items: list[Any]
        if slot is None:  # a new moment with this one entry
            items = []
            self._slots[t] = [Moment(self.env, t, self._fire), (fn, (items,))]
            return items
        if len(slot) > 1 and slot[-1][0] == fn:
            items = slot[-1][1][0]
            return items
        items = []
        slot.append((fn, (items,)))
        return items

    def _fire(self, event: simpy.Event) -> None:
        slot = self._slots.pop(event._value)  # the moment's value is its time
        for fn, args in slot[1:]:  # the slot left ``_slots``: nothing joins it now
            fn(*args)
        self.tracker.record()

    def lb_after(self, t: float, checks: int) -> float:
        """Time of the ``checks``-th load-balancer check at or after ``t``."""
        return lb_check_s(self.row.lb_phase_s, self.lb_interval_s, t, checks)

    # health and rotation ------------------------------------------------------------------------
    def _health_changed(self, i: int) -> None:
        """Instance ``i``'s state changed: the load balancer flips it after enough checks."""
        version = self.lb_v[i] = self.lb_v[i] + 1
        healthy = self.up[i] and (self.working[i] or not self.deep)
        if healthy != self.lb_healthy[i]:
            self._lb_items(healthy).append((i, healthy, version))

    def _lb_items(self, healthy: bool) -> list[Any]:
        """The load balancer's changes due when it has seen an instance that changed now ``healthy`` (or not)
        for enough checks (``lb_after``, inlined): append ``(i, healthy, lb version)``."""
        interval, phase = self.lb_interval_s, self.row.lb_phase_s
        first = phase + math.ceil((self.env._now - phase) / interval) * interval
        return self._batch(
            first + ((self.healthy_after if healthy else self.unhealthy_after) - 1) * interval, self._lb_apply
        )

    def _lb_apply(self, items: list[tuple[int, bool, int]]) -> None:
        """The load balancer takes instances out of rotation or returns them (``(i, in_rotation, version)``)."""
        lb_healthy, lb_v, registered, tracker = self.lb_healthy, self.lb_v, self.registered, self.tracker
        fail_open, panic_below = self.fail_open, self.panic_below
        for i, in_rotation, version in items:
            if version != lb_v[i]:
                continue
            if in_rotation != lb_healthy[i]:  # ``_set_lb(i, in_rotation, registered=True if in_rotation else None)``
                lb_healthy[i] = in_rotation
                self.healthy_count += 1 if in_rotation else -1
            if in_rotation:
                registered[i] = True
            count = self.healthy_count  # ``_reroute(i)``, its usual case (no panic flip) inlined
            if (fail_open and (count == 0 or count < panic_below)) != self.panic:
                self._reroute(i)
            else:
                target = registered[i] and (self.panic or in_rotation)
                if target != tracker.in_rotation[i]:  # ``tracker.set_rotation(i, target)``
                    tracker.in_rotation[i] = target
                    step = 1 if target else -1
                    tracker.rotation_count += step
                    if tracker.working[i]:
                        tracker.serving_count += step
            if in_rotation:
                self.rejoined_s.append(self.env._now)
            elif self.auto_restart and not self.restarting[i]:
                self.restart(i, manual=False)

    def _set_lb(self, i: int, healthy: bool, *, registered: bool | None) -> None:
        """Instance ``i`` passes the load balancer's checks or not (and is registered or not); route."""
        if healthy != self.lb_healthy[i]:
            self.lb_healthy[i] = healthy
            self.healthy_count += 1 if healthy else -1
        if registered is not None:
            self.registered[i] = registered
        self._reroute(i)

    def _reroute(self, i: int) -> None:
        """Route after instance ``i`` changed: the healthy registered instances, or every registered one while
        the load balancer fails open (panic). O(1) unless the panic state flips."""
        count = self.healthy_count
        panic = self.fail_open and (count == 0 or count < self.panic_below)
        tracker = self.tracker
        if panic != self.panic:
            self.panic = panic
            registered, lb_healthy, in_rotation = self.registered, self.lb_healthy, tracker.in_rotation
            for j in range(len(lb_healthy)):
                target = registered[j] and (panic or lb_healthy[j])
                if target != in_rotation[j]:
                    tracker.set_rotation(j, target)
        else:
            target = self.registered[i] and (panic or self.lb_healthy[i])
            if target != tracker.in_rotation[i]:
                tracker.set_rotation(i, target)

    def _set_working(self, i: int, working: bool) -> None:
        self.working[i] = working
        self.tracker.set_working(i, working)
        self._health_changed(i)

    # what happens to instances --------------------------------------------------------------------
    def lose_primary(self) -> None:
        """The primary database became unreachable now: every running pool holds stale connections."""
        now = self.env._now
        self.ready = False
        self.primary_ready = None
        self.drain_at = [now + d for d in self.row.drain_s]
        if False not in self.up and False not in self.working and False not in self.tracker.working:
            self._lose_primary_everywhere()
        else:
            self._lose_primary_one_by_one()
        self.tracker.record()

    def _lose_primary_one_by_one(self) -> None:
        up, working, tracker = self.up, self.working, self.tracker
        state_v, stale, lb_v, lb_healthy = self.state_v, self.stale, self.lb_v, self.lb_healthy
        healthy = not self.deep  # up, not working: ``_health_changed`` for them all
        items: list[Any] | None = None
        for i in range(len(up)):
            if up[i]:
                state_v[i] += 1
                stale[i] = True
                if working[i]:
                    working[i] = False
                    tracker.set_working(i, False)
                    version = lb_v[i] = lb_v[i] + 1
                    if healthy != lb_healthy[i]:
                        if items is None:
                            items = self._lb_items(healthy)
                        items.append((i, healthy, version))

    def _lose_primary_everywhere(self) -> None:
        """``_lose_primary_one_by_one`` when every instance is up and working: the same changes, list by list."""
        m = len(self.up)
        tracker, lb_v, lb_healthy = self.tracker, self.lb_v, self.lb_healthy
        healthy = not self.deep
        self.state_v[:] = [v + 1 for v in self.state_v]
        self.stale[:] = [True] * m
        self.working[:] = [False] * m
        tracker.serving_count -= sum(tracker.in_rotation)  # ``tracker.set_working(i, False)`` for each
        tracker.working[:] = [False] * m
        lb_v[:] = [v + 1 for v in lb_v]
        if healthy in lb_healthy:
            changes = [(i, healthy, lb_v[i]) for i in range(m) if healthy != lb_healthy[i]]
        else:
            changes = list(zip(range(m), [healthy] * m, lb_v))
        if changes:
            self._lb_items(healthy).extend(changes)

    def lose_instance(self, i: int) -> None:
        """Instance ``i``'s process or host is gone now (crash, lost zone); it needs a (re)start."""
        self.state_v[i] += 1
        self.up[i] = False
        self.stale[i] = False
        self._set_working(i, False)
        self.tracker.record()

    def primary_is_ready(self, *, same_address: bool) -> None:
        """A primary is reachable again now: promoted elsewhere, or the old one repaired (same address)."""
        now = self.env._now
        self.ready = True
        self.ready_at = now
        up, working, restarting, stale, follow_s = self.up, self.working, self.restarting, self.stale, self.row.follow_s
        state_v, drain_at = self.state_v, self.drain_at
        # the last moment a stale instance recovers at and its ``_recover`` items: every call here schedules
        # ``_recover`` entries only, so that entry stays its moment's last (``_batch`` would return it again)
        last_s, recovering = None, None
        for i in range(len(up)):
            if not up[i] or working[i] or restarting[i]:
                continue
            follow = now if same_address else now + follow_s[i]
            if stale[i]:  # ``_plan_recovery(i, max(follow, drain), by_restart=False)``, inlined
                drain = min(drain_at[i], now + REFUSED_EVICTION_S) if same_address else drain_at[i]
                version = state_v[i] = state_v[i] + 1
                if follow > drain:
                    drain = follow
                if drain < INF:
                    if recovering is None or drain != last_s:
                        last_s, recovering = drain, self._batch(drain, self._recover)
                    recovering.append((i, version, False))
            elif self.parked_s[i] is not None:
                if self.built_for_failover[i]:
                    self._plan_recovery(i, now, by_restart=None)
                else:
                    self._plan_parked(i, follow if (same_address or not self.static) else INF)
        if self.primary_ready is not None:
            self.primary_ready.succeed()

    def _plan_recovery(self, i: int, t: float, *, by_restart: bool | None) -> None:
        """Instance ``i`` works at ``t``: by itself (pool drained, endpoint followed), by a restart, or
        (``None``) as a fresh build."""
        version = self.state_v[i] = self.state_v[i] + 1
        if t < INF:
            self._batch(t, self._recover).append((i, version, by_restart))

    def _recover(self, items: list[tuple[int, int, bool | None]]) -> None:
        """Instances work again (``(i, version, by_restart)``), unless a later plan superseded it."""
        state_v, stale, parked_s, working, tracker = self.state_v, self.stale, self.parked_s, self.working, self.tracker
        up, lb_v, lb_healthy = self.up, self.lb_v, self.lb_healthy
        returns: list[Any] | None = None  # the load balancer's changes for instances up and working now
        for i, version, by_restart in items:
            if version != state_v[i]:
                continue
            stale[i] = False
            parked_s[i] = None
            if by_restart:
                self.restart_ends_s.append(self.env._now)
            elif by_restart is not None:
                self.self_recovered_s.append(self.env._now)
            working[i] = True  # ``_set_working(i, True)``, its ``_health_changed`` inlined
            if not tracker.working[i]:  # ``tracker.set_working(i, True)``
                tracker.working[i] = True
                if tracker.in_rotation[i]:
                    tracker.serving_count += 1
            if not up[i]:
                self._health_changed(i)
                continue
            version = lb_v[i] = lb_v[i] + 1
            if not lb_healthy[i]:
                if returns is None:
                    returns = self._lb_items(True)
                returns.append((i, True, version))

    def _plan_parked(self, i: int, follow: float) -> None:
        """A fresh process that came up while no primary was reachable: when does it work (``parked_recovery``)?"""
        up_since = self.parked_s[i]
        if not (self.deep and self.auto_restart):
            self._plan_recovery(i, follow, by_restart=False)
            return
        assert up_since is not None, "only a parked instance is planned here"
        t, by_restart, restarted_s = parked_recovery(
            self.row.lb_phase_s, self.lb_interval_s, self.unhealthy_after, up_since, self.row.restart_s[i],
            self.ready_at, follow,
        )  # fmt: skip
        if restarted_s is not None:
            self.restart_starts_s.append(restarted_s)
        self._plan_recovery(i, t, by_restart=by_restart)

    def restart(self, i: int, *, manual: bool, duration_s: float | None = None) -> None:
        """Restart instance ``i`` now: a fresh process with an empty pool, ready after the restart time.

        People take the instance out of rotation first (``restart_by_hand``); an
        orchestrator restarts what the load balancer has already taken out.
        """
        duration = self.row.restart_s[i] if duration_s is None else duration_s
        if manual:
            self.restart_by_hand([i], duration)
            return
        now = self.env._now
        version = self._restart_begins(i, now)
        self.tracker.set_working(i, False)
        self._health_changed(i)
        self._back_at(now + duration, i, version)

    def _restart_begins(self, i: int, now: float) -> int:
        """Instance ``i`` goes down for a restart at ``now`` (not working, not up, nothing stale or parked):
        its new state version."""
        version = self.state_v[i] = self.state_v[i] + 1
        self.restarting[i] = True
        self.up[i] = False
        self.stale[i] = False
        self.parked_s[i] = None
        self.built_for_failover[i] = False
        self.restart_starts_s.append(now)
        self.working[i] = False
        return version

    def restart_by_hand(self, batch: list[int], duration_s: float) -> simpy.Event:
        """People restart the instances ``batch`` now, each back after ``duration_s``: they deregister each one
        (out of rotation) and restart it. Records the served fraction; returns the moment they are back.

        ``restart(i, manual=True)`` for each, inlined: people cycle a fleet instance after instance.
        """
        now = self.env._now
        back_s = now + duration_s
        # the instances come back as one entry of the moment (``_back_at``, for every one)
        returning = self._batch(back_s, self._restarted) if back_s < INF else None
        tracker = self.tracker
        for i in batch:  # attributes read in place: a batch is mostly one instance
            version = self._restart_begins(i, now)
            self.lb_v[i] += 1
            if tracker.working[i]:  # ``tracker.set_working(i, False)``
                tracker.working[i] = False
                if tracker.in_rotation[i]:
                    tracker.serving_count -= 1
            if self.lb_healthy[i]:  # ``_set_lb(i, False, registered=False)``
                self.lb_healthy[i] = False
                self.healthy_count -= 1
            self.registered[i] = False
            count = self.healthy_count  # ``_reroute(i)``, its usual case (no panic flip) inlined
            if (self.fail_open and (count == 0 or count < self.panic_below)) != self.panic:
                self._reroute(i)
            elif tracker.in_rotation[i]:  # deregistered: ``tracker.set_rotation(i, False)`` (not working)
                tracker.in_rotation[i] = False
                tracker.rotation_count -= 1
            if returning is not None:
                returning.append((i, version))
        tracker.record()
        moment: simpy.Event = self._slots[back_s][0] if returning is not None else self.env.event()
        return moment

    def boot(self, i: int, at_s: float) -> None:
        """Instance ``i`` is not running now and starts as a fresh process at ``at_s`` (scale-up, cold build).

        The failover that boots it configures it for the new primary. The caller
        records the served fraction once it has changed what it wanted to.
        """
        self.built_for_failover[i] = True
        version = self.state_v[i] = self.state_v[i] + 1
        self.restarting[i] = True
        self.up[i] = False
        self.working[i] = False
        self.lb_v[i] += 1
        self.tracker.update(i, working=False)
        self._set_lb(i, False, registered=False)
        self._back_at(at_s, i, version)

    def _back_at(self, t: float, i: int, version: int) -> None:
        """Instance ``i``, (re)started as plan ``version``, is up at ``t`` (never for an infinite time)."""
        if t < INF:
            self._batch(t, self._restarted).append((i, version))

    def _restarted(self, items: list[tuple[int, int]]) -> None:
        """Instances (re)started are up (``(i, version)``), unless a later plan superseded it: working when a
        primary is reachable, else parked."""
        state_v, restarting, up, working, tracker = self.state_v, self.restarting, self.up, self.working, self.tracker
        lb_v, lb_healthy = self.lb_v, self.lb_healthy
        now = self.env._now
        for i, version in items:
            if version != state_v[i]:
                continue
            restarting[i] = False
            up[i] = True
            if not self.ready:
                self.parked_s[i] = now
                self._health_changed(i)
                continue
            # a fresh process reads (or resolves) the current endpoint and has no stale pool
            if not self.built_for_failover[i]:
                self.restart_ends_s.append(now)
            working[i] = True  # ``_set_working(i, True)``, its ``_health_changed`` inlined (up and working)
            if not tracker.working[i]:  # ``tracker.set_working(i, True)``
                tracker.working[i] = True
                if tracker.in_rotation[i]:
                    tracker.serving_count += 1
            lb_version = lb_v[i] = lb_v[i] + 1
            if not lb_healthy[i]:
                self._lb_items(True).append((i, True, lb_version))

    # for people ---------------------------------------------------------------------------------
    def until_ready(self) -> simpy.Event:
        """An event that succeeds when a primary is reachable again (at once if it is)."""
        if self.primary_ready is None:
            self.primary_ready = self.env.event()
            if self.ready:
                self.primary_ready.succeed()
        return self.primary_ready


def app_phases(fleet: Fleet, phases: Phases, endpoint_changed_s: float) -> None:
    """Add the app tier's phases: reconnect (instances recovering by themselves), restart, and rejoin (the
    load balancer's passing checks that return the last working instance to rotation)."""
    if fleet.self_recovered_s:
        phases.add("reconnect", endpoint_changed_s, max(fleet.self_recovered_s))
    if fleet.restart_starts_s and fleet.restart_ends_s:
        phases.add("restart", min(fleet.restart_starts_s), max(fleet.restart_ends_s))
    working_again = fleet.self_recovered_s + fleet.restart_ends_s
    if working_again and fleet.rejoined_s and max(fleet.rejoined_s) > max(working_again):
        phases.add("rejoin", max(working_again), max(fleet.rejoined_s))
