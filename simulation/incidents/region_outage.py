"""The primary region is lost for ``incidents.region_outage.duration_s``: what happens depends on the pattern.

- **single-region**: down until the region returns, or until people rebuild
  elsewhere from cross-region backups (restore the database, build the app
  tier cold, move DNS) — whichever comes first.
- **active-passive**: a DNS health check detects the loss; automation (or
  people) moves DNS to the standby region and promotes its replica (async:
  the lag at failure is lost); users follow as their DNS answers expire; the
  standby's warmth decides its capacity (hot: ready; warm: a share of its
  instances until scaled up, ``warm_up_s``; cold: built from scratch,
  ``cold_build_s``, then warmed up); promotion grows with the database size
  (``database.promotion_s_per_gb``); its app tier follows the
  new primary through ``fleet`` (endpoint propagation, stale pools, load
  balancer, restarts, people).
- **active-active-read**: the surviving regions keep serving their users'
  reads; the failed region's users arrive as DNS moves; writes fail until the
  surviving replica is promoted and each instance's write pool follows it.
- **active-active-full**: the failed region's users arrive as DNS moves; no
  promotion; writes accepted by the failed region in the replication-lag
  window were not replicated: clients re-submit some (duplicates when the
  region's data is merged back), the rest are lost by conflict resolution.

In the active-active patterns the global traffic manager moves the users, as
it does for the other incident types (``evacuation``, phases ``global-detect``
and ``evacuate``): its check (``failover.global_routing``: interval, failure
threshold; deep or shallow alike see a region that does not answer) declares
the region failed, and users follow at its TTL and client cache residuals.
With ``global_routing.evacuate`` off (and in active-passive) the failover's
own detector and ``failover.dns_ttl_s`` move them (phase ``propagate``).

Retrying agents add load for the requests that fail at the survivors (``retry_storm``).
"""

from __future__ import annotations

import numpy as np
import simpy
from numpy.typing import NDArray

from simulation.incidents.app_draws import AppRow, draw_app
from simulation.incidents.evacuation import evacuation_setup, lost_region_move
from simulation.incidents.fleet import Fleet, app_phases
from simulation.incidents.fleet_closed import FleetShape, Route, served_after_region_failover
from simulation.incidents.outcomes import Batch, Phases, ReplayEnvironment, Response
from simulation.incidents.people import escalate, verify_after_failover
from simulation.incidents.people_batch import cycled_by_hand_batch, take_worked_out
from simulation.incidents.protocol import CLOSED_FORM_TRIAL, BatchOutcomes, ReplayOutcome, Rows, replay_batch
from simulation.incidents.region_batch import served_after_region_failover_batch
from simulation.incidents.region_plan import (
    Plan,
    automated_promotions,
    dns_ramp,
    draw_region,
    failover_boots,
    plan_failover,
    survivors_of,
)
from simulation.incidents.retry_storm import retry_amplification
from simulation.incidents.served import ReadWriteTracker, ServedTracker
from simulation.model.scenario import Region, Scenario

# document sections ``simulate`` reads (engine.cache)
READS = ("pattern", "regions", "app", "failover", "traffic", "simulation", "incidents", "database")


def rate_per_year(scenario: Scenario) -> float:
    """Losses of the primary region per year."""
    return scenario.incidents.region_outage.rate_per_year


def simulate(scenario: Scenario, rng: np.random.Generator, n: int, keep_replays: bool = False) -> Batch:
    """Replay ``n`` losses of the primary region; every random input is drawn up front."""
    survivors = survivors_of(scenario)
    fleet_size = sum(r.app_instances for r in survivors) or scenario.primary_region.app_instances
    app_draws = draw_app(scenario, rng, n, max(fleet_size, scenario.primary_region.app_instances), hanging=True)
    draws = draw_region(scenario, rng, n)
    threshold = scenario.simulation.recovery_threshold
    rows = Rows(app_draws.rows)
    replica = scenario.cross_region_replica
    global_move = evacuation_setup(scenario, scenario.primary_region, region_lost=True)
    # drawn last and only when used: the other patterns' draws stay as they were
    global_phase_s = (rng.random(n) * scenario.failover.global_routing.interval_s).tolist() if global_move else []

    def replay_one(i: int, env: ReplayEnvironment, phases: Phases, response: Response) -> ReplayOutcome:
        app_row = rows[i]
        plan = plan_failover(scenario, draws, i, app_row, replica)
        move = lost_region_move(global_move, global_phase_s[i]) if global_move else None
        if scenario.pattern == "active-active-full":
            lag = float(draws.lag_s[i])
            tracker, fleet, lost_tx, dup_tx = _active_active_full(env, scenario, app_row, survivors, phases, lag, move)
            plan = Plan("shift", app_row.detect_s, 0.0, lag, False)
        else:
            if plan.humans:
                response.paged_s, response.engaged = app_row.detect_s, True
            if plan.path == "return" and scenario.pattern != "active-active-read":
                tracker, fleet = _region_returns(env, scenario, app_row, plan, phases)
            else:
                tracker, fleet = _fail_over(
                    env,
                    scenario,
                    app_row,
                    plan,
                    survivors,
                    phases,
                    response,
                    float(draws.warm_up_s[i]),
                    float(draws.cold_build_s[i]),
                    move,
                )
            lost_tx, dup_tx = plan.data_loss_s * scenario.database.write_rate_tps, 0.0
        escalate(env, fleet, scenario.failover.humans, response, phases, threshold)
        env.run()
        if keep_replays and not (move and scenario.pattern == "active-active-full"):  # nothing local to detect
            phases.add("detect", 0.0, app_row.detect_s)
            app_phases(fleet, phases, plan.ready_s)
        return ReplayOutcome(
            tracker.points,
            env.now,
            data_loss_s=plan.data_loss_s,
            lost_tx=lost_tx,
            duplicated_tx=dup_tx,
            humans_needed=response.needed,
        )

    # a promotion nobody acts on (active-passive, active-active-read): worked out from the survivors' change times
    closed = scenario.pattern in ("active-passive", "active-active-read") and n > 0
    if closed:
        regions = _taking_over(scenario, survivors)
        tracker, fleet, base = _survivor_fleet(ReplayEnvironment(), scenario, app_draws.row(0), regions)
        shape = FleetShape(tracker, fleet)
        total = scenario.traffic.request_rate_rps
        write_rate = scenario.database.write_rate_tps
        escalation_s = scenario.failover.humans.escalation_s
        restart_batch_size = scenario.failover.humans.restart_batch_size
        unrecorded = Phases(False)

    def route(share: float) -> Route:
        routed = base + (1.0 - base) * share
        return routed, routed * total

    def closed_form(i: int) -> ReplayOutcome | None:
        app_row = rows[i]
        plan = plan_failover(scenario, draws, i, app_row, replica)
        if plan.path != "promote" or plan.humans:
            return None
        move = lost_region_move(global_move, global_phase_s[i]) if global_move else None
        dns_at = app_row.detect_s if scenario.pattern == "active-active-read" else plan.act_s
        routes = [(at_s, route(share)) for at_s, share in _users_move(scenario, dns_at, move, unrecorded)[1]]
        warm_up_s, cold_build_s = float(draws.warm_up_s[i]), float(draws.cold_build_s[i])
        boots = failover_boots(scenario, regions, plan.act_s, plan.ready_s, warm_up_s, cold_build_s)
        points = served_after_region_failover(
            shape, app_row, plan.ready_s, boots, routes, escalation_s=escalation_s, threshold=threshold
        )
        if points is None:
            return None
        return ReplayOutcome(points, points[-1][0], data_loss_s=plan.data_loss_s, lost_tx=plan.data_loss_s * write_rate)

    def closed_form_batch() -> BatchOutcomes:  # the same, for the whole batch at once
        outcomes = BatchOutcomes.undecided(n)
        trial = np.arange(min(n, CLOSED_FORM_TRIAL))
        if decide(trial, outcomes) * 4 >= len(trial):  # otherwise most of this batch needs replays: left to them
            decide(np.arange(len(trial), n), outcomes)
        return outcomes

    def decide(indices: NDArray[np.intp], outcomes: BatchOutcomes) -> int:
        """Decide the incidents ``indices`` it can in ``outcomes``; how many."""
        found = automated_promotions(scenario, draws, app_draws.detect_s, indices, replica)
        count = len(found.at)
        if not count:
            return 0
        warm_up_s, cold_build_s = draws.warm_up_s[found.at], draws.cold_build_s[found.at]
        boots = failover_boots(scenario, regions, found.act_s, found.ready_s, warm_up_s, cold_build_s)
        booted = np.array([k for k, _ in boots], dtype=np.intp)
        start = np.column_stack([start_s for _, start_s in boots]) if boots else np.zeros((count, 0))
        # the users' move: its times per incident, its routes (and their index among those taken) alike for all
        if global_move:
            moves = [
                lost_region_move(global_move, phase_s)[1] for phase_s in np.array(global_phase_s)[found.at].tolist()
            ]
            shares = [share for _, share in moves[0]]
            times = np.array([[at_s for at_s, _ in ramp] for ramp in moves])
        else:
            ramp = dns_ramp(0.0, scenario.failover.dns_ttl_s, threshold)  # from when DNS moves: the detection
            shares = [share for _, share in ramp]
            times = app_draws.detect_s[found.at][:, None] + np.array([offset_s for offset_s, _ in ramp])
        taken = {shape.route: 0}
        index = np.array([[taken.setdefault(route(share), len(taken)) for share in shares]] * count, dtype=np.int64)
        decided = np.zeros(count, dtype=bool)
        if not boots and not shape.deep:  # people paged or not, cycling by hand (``people_batch``); the rest below
            decided = take_worked_out(outcomes, found.at, cycled_by_hand_batch(
                shape, app_draws, found.at, (found.ready_s, decided), escalation_s=escalation_s, threshold=threshold,
                batch_size=restart_batch_size, routes=(times, index, list(taken)),
            ))  # fmt: skip
        left = np.flatnonzero(~decided)
        if len(left):
            rto, impact, done = served_after_region_failover_batch(
                shape, app_draws, found.at[left],
                (found.ready_s[left], (booted, start[left]), (times[left], index[left], list(taken))),
                escalation_s=escalation_s, threshold=threshold,
            )  # fmt: skip
            outcomes.take(found.at[left], rto, impact, done)
            decided[left[done]] = True
        at, loss = found.at[decided], found.data_loss_s[decided]
        outcomes.data_loss_s[at], outcomes.lost_tx[at] = loss, loss * write_rate
        return len(at)

    return replay_batch(
        n,
        threshold=threshold,
        keep_replays=keep_replays,
        replay_one=replay_one,
        closed_form=closed_form if closed else None,
        closed_form_batch=closed_form_batch if closed else None,
        rows=rows,
    )


def _route(fleet: Fleet, share_of: tuple[float, float], ramp: list[tuple[float, float]], total_rps: float) -> None:
    """Schedule the survivors' routed share: ``base + moving × (share of moved clients)`` along a DNS ramp."""
    base, moving = share_of
    tracker = fleet.tracker

    def route(share: float) -> None:
        routed = base + moving * share
        tracker.routed = routed
        tracker.load = routed * total_rps

    for t, share in ramp:
        fleet.at(t, route, share)


UsersMove = tuple[float, list[tuple[float, float]]]  # DNS changes at, then (time, share of users moved)


def _users_move(scenario: Scenario, dns_at: float, move: UsersMove | None, phases: Phases) -> UsersMove:
    """The failed region's users' move: the global traffic manager's (``move``) or the failover's DNS change at
    ``dns_at`` with ``failover.dns_ttl_s``; its phases recorded."""
    if move is not None:
        declared, ramp = move
        phases.add("global-detect", 0.0, declared)
        phases.add("evacuate", declared, ramp[-1][0])
        return move
    ramp = dns_ramp(dns_at, scenario.failover.dns_ttl_s, scenario.simulation.recovery_threshold)
    phases.add("propagate", dns_at, ramp[-1][0])
    return dns_at, ramp


def _region_returns(
    env: simpy.Environment, scenario: Scenario, app: AppRow, plan: Plan, phases: Phases
) -> tuple[ServedTracker, Fleet]:
    """Nothing takes over: the region comes back, its instances boot, users never moved."""
    region = scenario.primary_region
    m = region.app_instances
    tracker = ServedTracker(
        env,
        m,
        scenario.app.capacity_rps_per_instance,
        scenario.traffic.request_rate_rps,
        retry_amplification=retry_amplification(scenario),
    )
    fleet = Fleet(env, tracker, scenario.app, app)
    fleet.auto_restart = False  # the region's orchestrator is lost with it
    for k in range(m):
        fleet.lose_instance(k)
    fleet.lose_primary()  # and its database: nothing started before it returns can work

    def back(_event: simpy.Event) -> None:
        fleet.primary_is_ready(same_address=True)
        for k in range(m):
            if not fleet.up[k] and not fleet.restarting[k]:
                fleet.restart(k, manual=False)
        tracker.record()

    env.timeout(plan.ready_s).callbacks.append(back)
    phases.add("repair", 0.0, plan.ready_s)
    return tracker, fleet


def _fail_over(
    env: simpy.Environment,
    scenario: Scenario,
    app: AppRow,
    plan: Plan,
    survivors: list[Region],
    phases: Phases,
    response: Response,
    warm_up_s: float,
    cold_build_s: float,
    move: UsersMove | None = None,
) -> tuple[ServedTracker, Fleet]:
    """Active-passive, active-active-read and single-region rebuilds: DNS moves, a primary becomes ready.

    ``move``: the global traffic manager moves the users (active-active-read), not the failover's DNS change.
    """
    total = scenario.traffic.request_rate_rps
    read_write = scenario.pattern == "active-active-read"
    regions = _taking_over(scenario, survivors)
    tracker, fleet, base = _survivor_fleet(env, scenario, app, regions)
    same_address = plan.path == "return"  # the old primary is back before anything took over

    def ready(_event: simpy.Event) -> None:
        fleet.primary_is_ready(same_address=same_address)
        if response.engaged:
            env.process(
                verify_after_failover(env, fleet, scenario.failover.humans, scenario.simulation.recovery_threshold)
            )

    env.timeout(plan.ready_s).callbacks.append(ready)  # before the boots: a build finishing then works
    for k, start_s in failover_boots(scenario, regions, plan.act_s, plan.ready_s, warm_up_s, cold_build_s):
        fleet.boot(k, start_s)
    fleet.lose_primary()  # the survivors' pools point at the lost primary
    # single region: users move to the rebuilt system; active-active: health-checked DNS moves by itself
    dns_at = plan.ready_s if scenario.pattern == "single-region" else (app.detect_s if read_write else plan.act_s)
    _, ramp = _users_move(scenario, dns_at, move, phases)
    _route(fleet, (base, 1.0 - base), ramp, total)
    tracker.record()
    if plan.humans and plan.act_s > app.detect_s:
        phases.add("decide", app.detect_s, plan.act_s)
    phases.add("repair" if same_address else plan.path, plan.act_s, plan.ready_s)
    return tracker, fleet


def _taking_over(scenario: Scenario, survivors: list[Region]) -> list[Region]:
    """The regions whose app tier serves after the loss (single region: rebuilt in its place)."""
    return survivors if scenario.pattern != "single-region" else [scenario.primary_region]


def _survivor_fleet(
    env: simpy.Environment, scenario: Scenario, app: AppRow, regions: list[Region]
) -> tuple[ServedTracker, Fleet, float]:
    """The taking-over fleet, routed only its own users' share to start with (``base``, returned too)."""
    traffic, app_cfg = scenario.traffic, scenario.app
    total = traffic.request_rate_rps
    amplification = retry_amplification(scenario)
    read_write = scenario.pattern == "active-active-read"
    m = sum(r.app_instances for r in regions)
    tracker: ServedTracker
    if read_write:
        tracker = ReadWriteTracker(
            env,
            m,
            app_cfg.capacity_rps_per_instance,
            total,
            write_share=traffic.write_share,
            retry_amplification=amplification,
        )
        base = m / scenario.serving_instances  # survivors' own users keep coming
    else:
        tracker = ServedTracker(env, m, app_cfg.capacity_rps_per_instance, total, retry_amplification=amplification)
        base = 0.0
    tracker.routed, tracker.load = base, base * total
    return tracker, Fleet(env, tracker, app_cfg, app, lb_watches_working=not read_write), base


def _active_active_full(
    env: simpy.Environment,
    scenario: Scenario,
    app: AppRow,
    survivors: list[Region],
    phases: Phases,
    lag_s: float,
    move: UsersMove | None = None,
) -> tuple[ServedTracker, Fleet, float, float]:
    """Survivors take the failed region's users as DNS moves (``move``: the global traffic manager's);
    unreplicated writes conflict."""
    traffic, app_cfg, db = scenario.traffic, scenario.app, scenario.database
    total = traffic.request_rate_rps
    m = sum(r.app_instances for r in survivors)
    base = m / scenario.serving_instances
    tracker = ServedTracker(
        env, m, app_cfg.capacity_rps_per_instance, total, retry_amplification=retry_amplification(scenario)
    )
    tracker.routed, tracker.load = base, base * total
    fleet = Fleet(env, tracker, app_cfg, app)
    _, ramp = _users_move(scenario, app.detect_s, move, phases)
    _route(fleet, (base, 1.0 - base), ramp, total)
    tracker.record()
    unreplicated = lag_s * db.write_rate_tps * (1.0 - base)
    duplicated = unreplicated * db.conflict_duplicate_share
    return tracker, fleet, unreplicated - duplicated, duplicated
