"""The primary database fails: detection → automation or people → promotion or restore → the app tier follows.

The database side: the detector declares the failure; automation promotes the
standby (it works with ``scenario.automation_success_probability()``), or
people do (manual failover, failed automation, or no standby at all). The
standby promoted is the local one if any, else a cross-region replica; with
neither, people restore from backups — unless the failed node is repaired
first. Promotion takes ``failover.promotion_s`` whatever the size (a hot
standby already holds the data); size costs time only where data moves or
replays, each part its own phase: the standby's catch-up on the WAL it has
received but not applied (``replay_backlog_gb / replay_throughput_gb_per_s``),
reading the working set into a cold cache (``standby_cache: cold``; always
after a restore or a restart in place), and crash recovery of a node restarted
in place (the WAL since the last checkpoint, not the total size). When automation has not
acted by the time people are paged by escalation (slow detection), they
carry out the failover themselves (``Fleet.manual_takeover``). Right after an earlier
failover the old standby is still being rebuilt
(``size_gb / rebuild_throughput_gb_per_s``); a failure in that window cannot
fail over and takes the slow path.

A primary that comes back by itself (``incidents.db_primary_failure.duration_s``,
a transient failure: a blip) before the detector's decisive check is ridden
out: no failover, the app reconnects to the same address, so a more patient
detector never makes a blip longer. Back later, it caps the repair.

Data lost: none with synchronous replication; the lag at the moment of failure
with asynchronous replication; the time since the last recoverable point
(uniform over ``backups.interval_s``) after a restore; none when the node is
repaired. The app tier then follows through ``fleet``: endpoint propagation,
stale pools, the load balancer, auto-restart and escalation to people.

Which app instances suffer depends on the pattern: every serving instance
(single-region, active-passive); in active-active-read every instance loses
its writes but keeps serving reads (served ≥ 1 − write_share); in
active-active-full only the region of the failed primary (drawn per replay)
is hit, for its share of the traffic.

``db_recovery`` is the reusable SimPy process (zone outages use it too).
"""

from __future__ import annotations

import numpy as np
import simpy

from simulation.incidents.app_draws import INF, AppRow, draw_app
from simulation.incidents.db_batch import db_failure_batch
from simulation.incidents.db_draws import DbRow, DbSetup, db_setup, draw_db
from simulation.incidents.db_draws import rate_per_year as rate_per_year  # the model's own (``IncidentModel``)
from simulation.incidents.evacuation import Evacuations
from simulation.incidents.fleet import Fleet, app_phases
from simulation.incidents.fleet_closed import FleetShape, served_after_primary_loss, whole_outcome
from simulation.incidents.outcomes import Batch, Phases, ReplayEnvironment, Response
from simulation.incidents.people import escalate, verify_after_failover
from simulation.incidents.protocol import BatchOutcomes, ReplayOutcome, Rows, replay_batch
from simulation.incidents.retry_storm import retry_amplification
from simulation.incidents.served import ReadWriteTracker, ServedTracker
from simulation.model.scenario import Region, Scenario

# document sections ``simulate`` reads (engine.cache)
READS = ("pattern", "regions", "app", "failover", "traffic", "simulation", "incidents", "database")


def total_s(parts: tuple[tuple[str, float], ...]) -> float:
    return sum(d for _, d in parts)


def add_parts(phases: Phases, start_s: float, parts: tuple[tuple[str, float], ...]) -> float:
    """Record the parts one after the other from ``start_s`` (zero-length ones left out); their end."""
    t = start_s
    for name, duration in parts:
        if duration > 0:
            phases.add(name, t, t + duration)
        t += duration
    return t


class DbOutcome:
    """What the database side decided in one replay."""

    __slots__ = ("data_loss_s", "ready_s", "path", "same_address", "done")

    def __init__(self) -> None:
        self.data_loss_s = 0.0
        self.ready_s = INF
        self.path = ""
        self.same_address = False
        self.done = False  # a primary is ready


def plan_db_recovery(
    setup: DbSetup, db: DbRow, app: AppRow, response: Response, phases: Phases, *, repair_cap_s: float = INF
) -> DbOutcome:
    """The database side of one incident, from its random inputs: which path, when a primary is ready.

    Detection, then automation promotes the standby; or people (paged at
    detection) promote it if the node is not back when they act, restore from
    backups, or wait for the node's repair — whichever makes a primary
    available first. A promotion, once started, completes even if the old
    primary returns meanwhile (it is not silently dropped). ``repair_cap_s``: the
    failed node is back by then at the latest (e.g. when a lost zone returns,
    or a transient failure ends); back before the decisive check
    (``AppRow.decisive_s``) it is ridden out: no failover, the app reconnects.
    """
    outcome = DbOutcome()
    if repair_cap_s <= app.decisive_s:  # back before the detector declared it: nobody fails over
        phases.add("detect", 0.0, repair_cap_s)
        outcome.path, outcome.same_address, outcome.ready_s = "ride-out", True, repair_cap_s
        return outcome
    detect = app.detect_s
    phases.add("detect", 0.0, detect)
    can_fail_over = setup.standby != "none" and db.standby_back_s <= 0
    if can_fail_over and setup.automated and db.automation_ok:
        ready = add_parts(phases, detect, db.promote_parts())
        outcome.path, outcome.data_loss_s = "promote", db.lag_s
    else:
        response.paged_s = detect
        response.engaged = True
        acting = detect + app.respond_s + app.execute_s
        repaired = min(detect + db.repair_s, repair_cap_s)
        back = repaired + total_s(db.repair_parts())
        if can_fail_over and acting < repaired:  # a promotion, once started, goes on even if the node returns
            phases.add("decide", detect, acting)
            ready = add_parts(phases, acting, db.promote_parts())
            outcome.path, outcome.data_loss_s = "promote", db.lag_s
        elif setup.standby != "none" and max(acting, db.standby_back_s) + total_s(db.promote_parts()) <= min(
            back, acting + total_s(db.restore_parts()) if setup.can_restore else INF
        ):  # the standby is back (rebuilt or repaired) before the primary: promote it then
            start = max(acting, db.standby_back_s)
            phases.add("decide", detect, start)
            ready = add_parts(phases, start, db.promote_parts())
            outcome.path, outcome.data_loss_s = "promote", db.lag_s
        elif setup.can_restore and acting + total_s(db.restore_parts()) <= back:
            phases.add("decide", detect, acting)
            ready = add_parts(phases, acting, db.restore_parts())
            outcome.path, outcome.data_loss_s = "restore", db.restore_loss_s
        else:
            phases.add("repair", detect, repaired)
            ready = add_parts(phases, repaired, db.repair_parts())
            outcome.path, outcome.data_loss_s, outcome.same_address = "repair", 0.0, True
    outcome.ready_s = ready
    return outcome


DB_PHASES = ("promote", "catch-up", "warm-up", "restore", "repair", "crash-recovery")


def manual_path(setup: DbSetup, db: DbRow, acting_s: float) -> tuple[tuple[tuple[str, float], ...], str, float]:
    """People start acting at ``acting_s``: (parts, path, data_loss_s) of the fastest manual path."""
    if setup.standby != "none" and db.standby_back_s <= acting_s:
        return db.promote_parts(), "promote", db.lag_s
    if setup.can_restore:
        return db.restore_parts(), "restore", db.restore_loss_s
    return (("", INF),), "", 0.0


def db_recovery(
    env: simpy.Environment,
    scenario: Scenario,
    setup: DbSetup,
    db: DbRow,
    app: AppRow,
    fleet: Fleet,
    response: Response,
    phases: Phases,
    *,
    repair_cap_s: float = INF,
) -> DbOutcome:
    """Schedule the database side of an incident whose primary was lost at time 0.

    The path is fixed by the random inputs, so it costs a single timeout: when a
    primary is ready the fleet follows it (propagation, stale pools, load
    balancer), and people who carried out the failover verify the service and
    cycle what is still broken. People paged by escalation before a primary is
    ready carry out the failover themselves when that is sooner
    (``Fleet.manual_takeover``). Read ``data_loss_s`` after the replay.
    """
    outcome = plan_db_recovery(setup, db, app, response, phases, repair_cap_s=repair_cap_s)
    humans = scenario.failover.humans

    # ``fleet`` is passed in rather than captured: ``fleet.manual_takeover`` holds ``takeover``, and a
    # reference cycle would keep every replay alive until the garbage collector runs.
    def ready(event: simpy.Event, fleet: Fleet) -> None:
        if outcome.done or event.value != outcome.ready_s:  # superseded by a sooner manual failover
            return
        outcome.done = True
        fleet.primary_is_ready(same_address=outcome.same_address)
        if phases.enabled and not outcome.same_address:
            follow = [f for f in app.follow_s if f < INF]
            phases.add("propagate", outcome.ready_s, outcome.ready_s + (max(follow) if follow else 0.0))
        if response.engaged:
            env.process(verify_after_failover(env, fleet, humans, scenario.simulation.recovery_threshold))

    def takeover(start_s: float, fleet: Fleet) -> None:
        acting = start_s + app.execute_s
        parts, path, loss_s = manual_path(setup, db, acting)
        ready_s = acting + total_s(parts)
        if outcome.done or not ready_s < outcome.ready_s:
            return
        if phases.enabled:
            phases.items = [p for p in phases.items if p[0] not in DB_PHASES]
        add_parts(phases, acting, parts)
        outcome.ready_s, outcome.path, outcome.data_loss_s, outcome.same_address = ready_s, path, loss_s, False
        env.timeout(ready_s - env.now, ready_s).callbacks.append(lambda event: ready(event, fleet))

    if outcome.ready_s < INF:
        env.timeout(outcome.ready_s, outcome.ready_s).callbacks.append(lambda event: ready(event, fleet))
    fleet.manual_takeover = takeover
    return outcome


class FailedFleet:
    """Makes the app instances that lose the primary, by pattern (see the module docstring); what the
    scenario says is read once, not per replay."""

    def __init__(self, scenario: Scenario, amplification: float = 1.0) -> None:
        self.pattern = scenario.pattern
        self.app = scenario.app
        self.serving_instances = scenario.serving_instances
        self.total_rps = scenario.traffic.request_rate_rps
        self.write_share = scenario.traffic.write_share
        self.amplification = amplification

    def __call__(self, env: simpy.Environment, app: AppRow, region: Region) -> tuple[ServedTracker, Fleet]:
        """``region``: for active-active-full, the region whose primary failed."""
        cfg, total, amplification = self.app, self.total_rps, self.amplification
        if self.pattern == "active-active-read":
            read_write = ReadWriteTracker(
                env,
                self.serving_instances,
                cfg.capacity_rps_per_instance,
                total,
                write_share=self.write_share,
                retry_amplification=amplification,
            )
            return read_write, Fleet(env, read_write, cfg, app, lb_watches_working=False)
        if self.pattern == "active-active-full":
            share = region.app_instances / self.serving_instances
            tracker = ServedTracker(
                env,
                region.app_instances,
                cfg.capacity_rps_per_instance,
                total * share,
                retry_amplification=amplification,
                traffic_share=share,
            )
            return tracker, Fleet(env, tracker, cfg, app)
        tracker = ServedTracker(
            env, self.serving_instances, cfg.capacity_rps_per_instance, total, retry_amplification=amplification
        )
        return tracker, Fleet(env, tracker, cfg, app)


def simulate(scenario: Scenario, rng: np.random.Generator, n: int, keep_replays: bool = False) -> Batch:
    """Replay ``n`` primary database failures; every random input is drawn up front."""
    primaries = [r for r in scenario.regions if r.role == "primary"]
    full = scenario.pattern == "active-active-full"
    instances = max(r.app_instances for r in primaries) if full else scenario.serving_instances
    setup = db_setup(scenario)
    app_draws = draw_app(scenario, rng, n, instances)
    db_draws = draw_db(scenario, setup, rng, n)
    failed_region = rng.integers(len(primaries), size=n).tolist() if full else [0] * n
    threshold = scenario.simulation.recovery_threshold
    amplification = retry_amplification(scenario)
    humans = scenario.failover.humans
    write_rate = scenario.database.write_rate_tps
    rows = Rows(lambda at: zip(app_draws.rows(at), DbRow.rows(db_draws, at)))
    transient = scenario.incidents.db_primary_failure.duration_s  # the node comes back by itself after it
    back = transient.sample(rng, n).tolist() if transient is not None else [INF] * n
    # active-active-full: the failed primary's region is evacuated (active-active-read: every region loses
    # its writes alike, so moving users does not help them)
    evacuations = Evacuations(scenario, rng, n, primaries if full else [])
    failed_fleet = FailedFleet(scenario, amplification)

    def replay_one(i: int, env: ReplayEnvironment, phases: Phases, response: Response) -> ReplayOutcome:
        app_row, db_row = rows[i]
        tracker, fleet = failed_fleet(env, app_row, primaries[failed_region[i]])
        fleet.lose_primary()
        outcome = db_recovery(env, scenario, setup, db_row, app_row, fleet, response, phases, repair_cap_s=back[i])
        escalate(env, fleet, humans, response, phases, threshold)
        env.run()
        if keep_replays:
            app_phases(fleet, phases, outcome.ready_s)
        evacuated = evacuations.apply(
            i, primaries[failed_region[i]], tracker.points, phases, data_loss_s=outcome.data_loss_s, writes_move=True
        )
        return ReplayOutcome(
            evacuated.points,
            env.now,
            data_loss_s=evacuated.data_loss_s,
            lost_tx=outcome.data_loss_s * write_rate + evacuated.lost_tx,
            duplicated_tx=evacuated.duplicated_tx,
            humans_needed=response.needed or evacuated.humans_needed,
        )

    # a replay where nobody acts is worked out from each instance's change times (``fleet_closed``)
    shapes = (
        {r.name: FleetShape(*failed_fleet(ReplayEnvironment(), app_draws.row(0), r)) for r in primaries} if n else {}
    )
    unrecorded = Phases(False)

    def closed_form(i: int) -> ReplayOutcome | None:
        app_row, db_row = rows[i]
        response = Response()
        outcome = plan_db_recovery(setup, db_row, app_row, response, unrecorded, repair_cap_s=back[i])
        if response.engaged:
            return None
        region = primaries[failed_region[i]]
        points = served_after_primary_loss(
            shapes[region.name], app_row, outcome.ready_s, outcome.same_address,
            escalation_s=humans.escalation_s, threshold=threshold,
        )  # fmt: skip
        if points is None:
            return None
        evacuated = evacuations.apply(i, region, points, unrecorded, data_loss_s=outcome.data_loss_s, writes_move=True)
        return whole_outcome(evacuated, outcome.data_loss_s * write_rate)

    def closed_form_batch() -> BatchOutcomes:  # the same, for the whole batch at once (one failed region)
        return db_failure_batch(
            shapes[primaries[0].name], setup, app_draws, db_draws, np.array(back, dtype=float),
            escalation_s=humans.escalation_s, threshold=threshold, write_rate=write_rate,
            restart_batch_size=humans.restart_batch_size, verify_s=humans.verify_s,
        )  # fmt: skip

    return replay_batch(
        n, threshold=threshold, keep_replays=keep_replays, replay_one=replay_one, closed_form=closed_form, rows=rows,
        closed_form_batch=None if full or not n else closed_form_batch,
    )  # fmt: skip
