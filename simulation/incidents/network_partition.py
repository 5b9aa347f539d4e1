"""A network partition cuts the primary's zone (or region) off, the old primary alive: split brain.

The partition starts at 0 and heals after ``incidents.network_partition.duration_s``
(GitHub, 2018-10-21: 43 s). It cuts the old primary off from the failover
controller and from the clients on the far side; the clients on the old side
(``old_side_client_share``, by default one zone of the primary region's
instances, or the whole primary region) keep reaching it. Two fleets replay
the two sides, each a copy of the serving fleet scaled to its share of the
traffic: the far side loses the primary at 0, the old side keeps it. In
active-active-full only the clients of the partitioned primary's region depend
on it; in active-active-read the far side loses its writes only (its share is
scaled by ``traffic.write_share``, a simplification).

- **Detection** is the failover detector's (``failover.detection``, as for a
  primary failure): a partition that heals before the decisive check is ridden
  out — nothing fails over, the far side reconnects to the same address.
- **Failover**: automation (or people, when it fails or the failover is
  manual, if the partition still lasts when they act) promotes the standby on
  the far side; the far side follows the new endpoint.
- **Fencing** (``failover.fencing``): ``stonith`` powers the old primary off
  before the promotion (``stonith_s`` added to it); ``lease``: the old primary
  stops taking writes ``lease_s`` after the partition starts; ``none``: it takes
  writes until the partition heals. A fenced old side is down until the
  partition heals; then (or at the heal, when nothing fenced it) it follows the
  new endpoint.
- **Conflicting transactions**: writes the old side makes from the failover
  decision until it is fenced or the partition heals: they exist on the old
  primary only, beside the new primary's own. So with effective fencing (STONITH,
  or a lease that runs out before the decision) there are none; a lease longer
  than the controller's wait is not effective.
- **Reconciliation**: with conflicting writes, people (paged when the partition
  heals) respond, then reconcile both sides for
  ``reconciliation_s_per_conflicting_tx`` per transaction; from the heal until
  they are done the service is degraded to ``reconciliation_served_share``.

Simplifications: writes to the old primary between the partition and the
decision are counted neither as lost nor as conflicting; clients of a fenced
old primary are out until the heal, however they are spread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import simpy
from numpy.typing import NDArray

from simulation.incidents.app_draws import INF, AppDraws, AppRow, draw_app
from simulation.incidents.db_draws import catch_up_s, db_setup, promoted_warm_up_s, promotion_s
from simulation.incidents.db_primary_failure import add_parts
from simulation.incidents.fleet import Fleet, app_phases
from simulation.incidents.fleet_batch import two_sides_batch
from simulation.incidents.fleet_closed import FleetShape, served_after_primary_loss
from simulation.incidents.outcomes import Batch, Phases, ReplayEnvironment, Response
from simulation.incidents.people import escalate, reconcile
from simulation.incidents.people_batch import take_worked_out, two_sides_cycled_batch
from simulation.incidents.protocol import BatchOutcomes, ReplayOutcome, Rows, replay_batch
from simulation.incidents.retry_storm import retry_amplification
from simulation.incidents.served import ServedTracker
from simulation.model.distributions import LogNormal
from simulation.model.scenario import Scenario

DEFAULT_DURATION = LogNormal(median=43, p95=600)
Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]
# document sections ``simulate`` reads (engine.cache)
READS = ("pattern", "regions", "app", "failover", "traffic", "simulation", "incidents", "database")


def rate_per_year(scenario: Scenario) -> float:
    """Partitions per year that cut the primary off."""
    return scenario.incidents.network_partition.rate_per_year


def old_side_share(scenario: Scenario) -> float:
    """Share of the clients on the old primary's side (they keep reaching it during the partition)."""
    partition = scenario.incidents.network_partition
    if partition.old_side_client_share is not None:
        return partition.old_side_client_share
    region = scenario.primary_region
    on_side = region.app_instances / region.zones if partition.scope == "zone" else region.app_instances
    return min(1.0, on_side / scenario.serving_instances)


def far_side_share(scenario: Scenario) -> float:
    """Share of the traffic that loses the primary: the clients of this primary not on the old side.

    In active-active-full the other regions write to their own primaries; in
    active-active-read the far side keeps its local reads and loses its writes only.
    """
    region = scenario.primary_region
    users = region.app_instances / scenario.serving_instances if scenario.pattern == "active-active-full" else 1.0
    far = max(0.0, users - old_side_share(scenario))
    return far * scenario.traffic.write_share if scenario.pattern == "active-active-read" else far


@dataclass(slots=True)  # made per replay: a frozen one costs 6× as much to build
class SplitBrain:
    """What the controller and the fencing did in one partition (seconds from its start)."""

    heal_s: float
    decided_s: float  # the failover was decided (INF: ridden out, or nothing to fail over to)
    fenced_s: float  # the old primary stopped taking writes (INF: never before the heal)
    ready_s: float  # the new primary takes writes (INF: no failover)

    @property
    def failed_over(self) -> bool:
        return self.decided_s < INF

    def conflict_window_s(self) -> float:
        """Seconds the old side writes beside the new primary: decision → fenced or healed."""
        if not self.failed_over:
            return 0.0
        return max(0.0, min(self.heal_s, self.fenced_s) - self.decided_s)


def decide(
    scenario: Scenario, app: AppRow, heal_s: float, automation_ok: bool, promote_s: float, can_fail_over: bool
) -> SplitBrain:
    """The controller's decision and the fencing, from one partition's random inputs."""
    failover = scenario.failover
    fencing = failover.fencing
    if heal_s <= app.decisive_s or not can_fail_over:  # back before the decisive check: ridden out
        return SplitBrain(heal_s, INF, INF, INF)
    decided = app.detect_s
    if not (failover.mode == "automated" and automation_ok):
        decided = app.detect_s + app.respond_s + app.execute_s  # people promote if it still lasts
        if decided >= heal_s:
            return SplitBrain(heal_s, INF, INF, INF)
    if fencing.mode == "stonith":  # powered off out of band before the standby is promoted
        return SplitBrain(heal_s, decided, decided, decided + fencing.stonith_s + promote_s)
    fenced = fencing.lease_s if fencing.mode == "lease" else INF
    return SplitBrain(heal_s, decided, fenced if fenced < heal_s else INF, decided + promote_s)


def decide_batch(
    scenario: Scenario, app: AppDraws, heal: Floats, automation_ok: Bools, promote: Floats, can_fail_over: bool
) -> tuple[Bools, Floats, Floats, Floats]:
    """``decide`` for a whole batch: failed over, decided, fenced and ready (``SplitBrain``), with the same
    float operations."""
    failover = scenario.failover
    fencing = failover.fencing
    automated = automation_ok & (failover.mode == "automated")
    decided = np.where(automated, app.detect_s, (app.detect_s + app.respond_s) + app.execute_s)
    failed_over = ~(heal <= app.decisive_s) & can_fail_over & (automated | (decided < heal))
    if fencing.mode == "stonith":
        fenced, ready = decided, (decided + fencing.stonith_s) + promote
    else:
        fenced = np.full(len(heal), fencing.lease_s if fencing.mode == "lease" else INF)
        fenced, ready = np.where(fenced < heal, fenced, INF), decided + promote
    never = np.full(len(heal), INF)
    return failed_over, np.where(failed_over, decided, never), np.where(failed_over, fenced, never), ready


def _side(
    env: simpy.Environment, scenario: Scenario, app: AppRow, share: float, amplification: float, instances: int
) -> tuple[ServedTracker, Fleet] | None:
    """One side's clients: the serving fleet (``instances``) scaled to ``share`` of the traffic (None for no
    share)."""
    if share <= 0:
        return None
    cfg = scenario.app
    tracker = ServedTracker(
        env,
        instances,
        cfg.capacity_rps_per_instance * share,
        scenario.traffic.request_rate_rps * share,
        retry_amplification=amplification,
        traffic_share=share,
    )
    return tracker, Fleet(env, tracker, cfg, app)


def merged_points(sides: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    """Served fraction of both sides: each side's timeline counts the other side's traffic as served.

    At each moment of any side, every side's value from then on (its first value before its first
    moment), their shortfalls taken from 1.0 side after side."""
    changes = sorted([(t, k, value) for k, points in enumerate(sides) for t, value in points])
    current = [points[0][1] for points in sides]
    out: list[tuple[float, float]] = []
    x, count = 0, len(changes)
    while x < count:
        t = changes[x][0]
        while x < count and changes[x][0] == t:  # every side's change at ``t``
            current[changes[x][1]] = changes[x][2]
            x += 1
        value = 1.0
        for side_value in current:
            value -= 1.0 - side_value
        value = value if value > 0.0 else 0.0
        if not out or out[-1][1] != value:
            out.append((t, value))
    return out


def degraded(points: list[tuple[float, float]], start_s: float, end_s: float, cap: float) -> list[tuple[float, float]]:
    """``points`` with served capped at ``cap`` from ``start_s`` to ``end_s`` (reconciliation)."""
    if not end_s > start_s:
        return points
    moments = sorted({t for t, _ in points} | {start_s, end_s})
    out: list[tuple[float, float]] = []
    k = 0
    for t in moments:
        while k + 1 < len(points) and points[k + 1][0] <= t:
            k += 1
        value = points[k][1]
        if start_s <= t < end_s:
            value = min(value, cap)
        if not out or out[-1][1] != value:
            out.append((t, value))
    return out


def _at(env: simpy.Environment, at_s: float, act: Callable[[], object]) -> None:
    """Run ``act()`` at ``at_s`` (never for an infinite time)."""

    def fire(_event: simpy.Event) -> None:
        act()

    if at_s < INF:
        env.timeout(at_s).callbacks.append(fire)


def _follow(env: simpy.Environment, fleet: Fleet, at_s: float, *, lose: bool, same_address: bool) -> None:
    """At ``at_s`` the side reaches a primary again (after losing the old one then, when ``lose``)."""

    def act() -> None:
        if lose:
            fleet.lose_primary()
        fleet.primary_is_ready(same_address=same_address)
        fleet.tracker.record()

    _at(env, at_s, act)


def simulate(scenario: Scenario, rng: np.random.Generator, n: int, keep_replays: bool = False) -> Batch:
    """Replay ``n`` partitions of the primary's zone or region; every random input is drawn up front."""
    partition = scenario.incidents.network_partition
    instances = scenario.serving_instances
    app_draws = draw_app(scenario, rng, n, instances, hanging=True)  # a partition drops packets: checks hang
    automation_draws = rng.random(n) < scenario.automation_success_probability()
    promote_draws = promotion_s(scenario, rng, n) + catch_up_s(scenario, rng, n) + promoted_warm_up_s(scenario)
    duration = partition.duration_s or DEFAULT_DURATION
    heal_draws = duration.sample(rng, n)
    automation_ok, promote, heal = automation_draws.tolist(), promote_draws.tolist(), heal_draws.tolist()
    can_fail_over = db_setup(scenario).standby != "none"
    old_share, far_share = old_side_share(scenario), far_side_share(scenario)
    threshold = scenario.simulation.recovery_threshold
    amplification = retry_amplification(scenario)
    humans = scenario.failover.humans
    write_rate = scenario.database.write_rate_tps
    stonith = scenario.failover.fencing.mode == "stonith"
    rows = Rows(app_draws.rows)

    def replay_one(i: int, env: ReplayEnvironment, phases: Phases, response: Response) -> ReplayOutcome:
        app = rows[i]
        split = decide(scenario, app, heal[i], automation_ok[i], promote[i], can_fail_over)
        conflicting = split.conflict_window_s() * write_rate * old_share
        far, old = (
            _side(env, scenario, app, far_share, amplification, instances),
            _side(env, scenario, app, old_share, amplification, instances),
        )
        old_response = Response()
        phases.add("partition", 0.0, split.heal_s)
        if far is not None:
            far[1].lose_primary()
            if split.failed_over:
                _follow(env, far[1], split.ready_s, lose=False, same_address=False)
            else:
                _follow(env, far[1], split.heal_s, lose=False, same_address=True)
            escalate(env, far[1], humans, response, phases, threshold)
        if old is not None and split.failed_over:
            if split.fenced_s < split.heal_s:
                _at(env, split.fenced_s, old[1].lose_primary)
            _follow(
                env, old[1], max(split.heal_s, split.ready_s), lose=split.fenced_s >= split.heal_s, same_address=False
            )
            escalate(env, old[1], humans, old_response, phases, threshold)
        work_s = conflicting * partition.reconciliation_s_per_conflicting_tx
        if conflicting > 0:
            _at(env, split.heal_s, lambda: env.process(reconcile(env, response, phases, app.respond_s, work_s)))
        env.run()
        points = merged_points([side[0].points for side in (far, old) if side is not None]) or [(0.0, 1.0)]
        end_s = env.now
        if conflicting > 0:
            points = degraded(points, split.heal_s, end_s, partition.reconciliation_served_share)
        if keep_replays:
            if split.failed_over:
                phases.add("detect", 0.0, app.detect_s)
                if split.decided_s > app.detect_s:
                    phases.add("decide", app.detect_s, split.decided_s)
                start = split.decided_s
                if stonith:
                    phases.add("fence", start, start + scenario.failover.fencing.stonith_s)
                    start += scenario.failover.fencing.stonith_s
                add_parts(phases, start, (("promote", split.ready_s - start),))
            else:
                phases.add("detect", 0.0, min(split.heal_s, app.detect_s))
            if far is not None:
                app_phases(far[1], phases, split.ready_s if split.failed_over else split.heal_s)
        return ReplayOutcome(
            points, end_s, conflicting_tx=conflicting, humans_needed=response.needed or old_response.needed
        )

    # a partition where nobody acts and nothing conflicts is worked out from each side's change times
    env = ReplayEnvironment()
    sides = [
        _side(env, scenario, app_draws.row(0), share, amplification, instances) if n else None
        for share in (far_share, old_share)
    ]
    far_shape, old_shape = (FleetShape(*side) if side is not None else None for side in sides)

    def closed_form(i: int) -> ReplayOutcome | None:
        app = rows[i]
        split = decide(scenario, app, heal[i], automation_ok[i], promote[i], can_fail_over)
        conflicting = split.conflict_window_s() * write_rate * old_share
        if conflicting > 0:
            return None  # people reconcile: replayed
        timelines: list[list[tuple[float, float]] | None] = []
        if far_shape is not None:
            ready_s, same = (split.ready_s, False) if split.failed_over else (split.heal_s, True)
            timelines.append(
                served_after_primary_loss(
                    far_shape, app, ready_s, same, escalation_s=humans.escalation_s, threshold=threshold
                )
            )
        if old_shape is not None and split.failed_over:
            back_s = max(split.heal_s, split.ready_s)
            lost_s = split.fenced_s if split.fenced_s < split.heal_s else back_s
            timelines.append(
                served_after_primary_loss(
                    old_shape, app, back_s, False, escalation_s=humans.escalation_s, threshold=threshold, lost_s=lost_s
                )
            )
        elif old_shape is not None:
            timelines.append([(0.0, old_shape.whole)])
        if None in timelines:
            return None
        points = merged_points([t for t in timelines if t is not None]) or [(0.0, 1.0)]
        if points[-1][1] != 1.0:
            return None
        return ReplayOutcome(points, points[-1][0], conflicting_tx=conflicting)

    def closed_form_batch() -> BatchOutcomes:  # the same, for the whole batch at once
        assert far_shape is not None
        failed_over, decided, fenced, ready = decide_batch(
            scenario, app_draws, heal_draws, automation_draws, promote_draws, can_fail_over
        )
        window = np.where(failed_over, np.maximum(0.0, np.minimum(heal_draws, fenced) - decided), 0.0)
        quiet = ~((window * write_rate) * old_share > 0)  # nothing conflicts: nobody reconciles
        outcomes = BatchOutcomes.undecided(n)
        old_loses = failed_over & (old_shape is not None)
        far_ready = np.where(failed_over, ready, heal_draws)
        back = np.maximum(heal_draws, ready)
        for at, old_loss in (
            (np.flatnonzero(quiet & ~old_loses), None),
            (np.flatnonzero(quiet & old_loses), (np.where(fenced < heal_draws, fenced, back), back)),
        ):
            old = old_shape.whole if old_shape is not None and old_loss is None else old_shape
            if len(at) and not far_shape.deep:  # people paged or not, cycling by hand (``people_batch``)
                done = take_worked_out(outcomes, at, two_sides_cycled_batch(
                    far_shape, old, app_draws, at, ((far_ready[at], ~failed_over[at]),
                    None if old_loss is None else (old_loss[0][at], old_loss[1][at])),
                    escalation_s=humans.escalation_s, threshold=threshold, batch_size=humans.restart_batch_size,
                ))  # fmt: skip
                at = at[~done]
            if not len(at):
                continue
            rto, impact, done = two_sides_batch(
                far_shape, old, app_draws, at, (far_ready[at], ~failed_over[at]),
                None if old_loss is None else (old_loss[0][at], old_loss[1][at]),
                escalation_s=humans.escalation_s, threshold=threshold,
            )  # fmt: skip
            outcomes.take(at, rto, impact, done)
        return outcomes

    return replay_batch(
        n, threshold=threshold, keep_replays=keep_replays, replay_one=replay_one, closed_form=closed_form, rows=rows,
        closed_form_batch=closed_form_batch if far_shape is not None else None,
    )  # fmt: skip
