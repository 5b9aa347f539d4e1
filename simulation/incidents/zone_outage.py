"""One availability zone of the primary region is lost for a while.

The primary region's app instances are spread round-robin over its zones
(instance k in zone k mod zones); the lost zone is drawn per outage, so with
1 instance in 3 zones only a third of the outages hit an instance. The lost
zone's instances are gone for ``incidents.zone_outage.duration_s``: the load
balancer takes them out after its thresholds and the remaining capacity
decides the served fraction. With auto-restart the orchestrator replaces what
the load balancer marks unhealthy (in a healthy zone, after a restart time);
otherwise they come back when the zone does, or when people, paged because
the service is still degraded, replace them. The database primary lives in
zone 0: when that zone is lost, the failover machinery of
``db_primary_failure`` runs (a local standby in another zone takes over; the
failed node is back when the zone is). In active-active-read every region
then loses its writes but keeps serving reads; in active-active-full only the
primary region's share of the traffic is affected.
"""

from __future__ import annotations

import numpy as np
import simpy
from numpy.typing import NDArray

from simulation.incidents.app_draws import draw_app
from simulation.incidents.db_batch import db_failure_plans, served_after_primary_zone_lost_batch, take_db_losses
from simulation.incidents.db_draws import DbRow, db_setup, draw_db
from simulation.incidents.db_primary_failure import FailedFleet, db_recovery, plan_db_recovery
from simulation.incidents.evacuation import Evacuations
from simulation.incidents.fleet import Fleet, app_phases
from simulation.incidents.fleet_batch import served_after_instances_lost_batch
from simulation.incidents.fleet_closed import (
    FleetShape,
    served_after_instances_lost,
    served_after_primary_zone_lost,
    whole_outcome,
)
from simulation.incidents.outcomes import Batch, Phases, ReplayEnvironment, Response
from simulation.incidents.people import escalate
from simulation.incidents.people_batch import cycled_by_hand_batch, take_worked_out
from simulation.incidents.protocol import CLOSED_FORM_TRIAL, BatchOutcomes, ReplayOutcome, Rows, replay_batch
from simulation.incidents.retry_storm import retry_amplification
from simulation.incidents.served import ServedTracker
from simulation.model.distributions import LogNormal
from simulation.model.scenario import Scenario

DEFAULT_DURATION = LogNormal(median=3600, p95=4 * 3600)
DB_PRIMARY_ZONE = 0  # the zone that holds the database primary


# document sections ``simulate`` reads (engine.cache)
READS = ("pattern", "regions", "app", "failover", "traffic", "simulation", "incidents", "database")


def rate_per_year(scenario: Scenario) -> float:
    """Zone outages per year that hit the primary region."""
    return scenario.incidents.zone_outage.rate_per_year


def lost_instances(scenario: Scenario, zone: int) -> list[int]:
    """The primary region's app instances in ``zone`` (round-robin placement), by index in the region."""
    region = scenario.primary_region
    return list(range(zone, region.app_instances, region.zones))


def _region_offset(scenario: Scenario) -> int:
    """Index of the primary region's first instance among all serving instances (active-active-read)."""
    offset = 0
    for region in scenario.regions:
        if region.role == "primary":
            return offset
        offset += region.app_instances
    return offset


def simulate(scenario: Scenario, rng: np.random.Generator, n: int, keep_replays: bool = False) -> Batch:
    """Replay ``n`` zone outages; every random input is drawn up front."""
    region = scenario.primary_region
    instances = region.app_instances
    read_write = scenario.pattern == "active-active-read"
    drawn = scenario.serving_instances if read_write else instances
    setup = db_setup(scenario)
    app_draws = draw_app(scenario, rng, n, drawn, hanging=True)  # a lost zone does not answer
    db_draws = draw_db(scenario, setup, rng, n)
    lost_zones = rng.integers(region.zones, size=n)
    lost_zone = lost_zones.tolist()
    duration = (scenario.incidents.zone_outage.duration_s or DEFAULT_DURATION).sample(rng, n)

    app, traffic = scenario.app, scenario.traffic
    threshold = scenario.simulation.recovery_threshold
    amplification = retry_amplification(scenario)
    humans = scenario.failover.humans
    write_rate = scenario.database.write_rate_tps
    share = instances / scenario.serving_instances  # other regions (active-active) are untouched
    load = traffic.request_rate_rps * share
    offset = _region_offset(scenario) if read_write else 0
    rows = Rows(
        lambda at: zip(
            app_draws.rows(at), DbRow.rows(db_draws, at), (duration if at is None else duration[at]).tolist()
        )
    )
    evacuations = Evacuations(scenario, rng, n, [region])
    failed_fleet = FailedFleet(scenario, amplification)
    lost_in = [lost_instances(scenario, zone) for zone in range(region.zones)]  # the lost zone's instances

    def replay_one(i: int, env: ReplayEnvironment, phases: Phases, response: Response) -> ReplayOutcome:
        app_row, db_row, zone_s = rows[i]
        db_in_zone = lost_zone[i] == DB_PRIMARY_ZONE
        if read_write and db_in_zone:  # every region's writes go to the lost primary
            tracker, fleet = failed_fleet(env, app_row, region)
            lost = [offset + k for k in lost_in[lost_zone[i]]]
        else:
            tracker = ServedTracker(
                env,
                instances,
                app.capacity_rps_per_instance,
                load,
                retry_amplification=amplification,
                traffic_share=share,
            )
            fleet = Fleet(env, tracker, app, app_row)
            lost = lost_in[lost_zone[i]]
        for k in lost:
            fleet.lose_instance(k)
        outcome = None
        if db_in_zone:
            fleet.lose_primary()
            outcome = db_recovery(env, scenario, setup, db_row, app_row, fleet, response, phases, repair_cap_s=zone_s)
        returned = _zone_returns(env, fleet, lost, zone_s)
        escalate(env, fleet, humans, response, phases, threshold)
        env.run()
        data_loss = outcome.data_loss_s if outcome else 0.0
        if keep_replays:
            if not db_in_zone and lost:
                phases.add("detect", 0.0, fleet.lb_after(0.0, app.load_balancer.unhealthy_threshold))
            if returned:
                phases.add("repair", 0.0, zone_s)
            app_phases(fleet, phases, outcome.ready_s if outcome else 0.0)
        points, lost_tx, duplicated_tx = tracker.points, data_loss * write_rate, 0.0
        evacuated_by_hand = False  # people moved the users back
        if not (read_write and db_in_zone):  # then every region loses its writes alike: moving users does not help
            evacuated = evacuations.apply(
                i, region, points, phases, data_loss_s=data_loss, writes_move=db_in_zone and not read_write
            )
            points, data_loss = evacuated.points, evacuated.data_loss_s
            lost_tx, duplicated_tx = lost_tx + evacuated.lost_tx, evacuated.duplicated_tx
            evacuated_by_hand = evacuated.humans_needed
        return ReplayOutcome(
            points,
            env.now,
            data_loss_s=data_loss,
            lost_tx=lost_tx,
            duplicated_tx=duplicated_tx,
            humans_needed=response.needed or evacuated_by_hand,
        )

    # an outage of a zone without the primary, nobody acting: worked out from the instances' change times
    if n:
        env = ReplayEnvironment()
        tracker = ServedTracker(
            env, instances, app.capacity_rps_per_instance, load, retry_amplification=amplification, traffic_share=share
        )
        shape = FleetShape(tracker, Fleet(env, tracker, app, app_draws.row(0)))
    unrecorded = Phases(False)

    people_in_primary_zone = False  # the batch's trial found people acting in most outages of the primary's zone

    def closed_form(i: int) -> ReplayOutcome | None:
        app_row, db_row, zone_s = rows[i]
        lost, data_loss = lost_in[lost_zone[i]], 0.0
        if lost_zone[i] != DB_PRIMARY_ZONE:
            points = served_after_instances_lost(
                shape, app_row, lost, zone_s, escalation_s=humans.escalation_s, threshold=threshold
            )
        elif read_write or (people_in_primary_zone and i >= CLOSED_FORM_TRIAL):
            return None
        else:  # the database side as ``db_recovery`` plans it, when nobody acts
            response = Response()
            outcome = plan_db_recovery(setup, db_row, app_row, response, unrecorded, repair_cap_s=zone_s)
            if response.engaged:
                return None
            points = served_after_primary_zone_lost(
                shape, app_row, lost, zone_s, outcome.ready_s, outcome.same_address,
                escalation_s=humans.escalation_s, threshold=threshold,
            )  # fmt: skip
            data_loss = outcome.data_loss_s
        if points is None:
            return None
        writes_move = lost_zone[i] == DB_PRIMARY_ZONE
        evacuated = evacuations.apply(i, region, points, unrecorded, data_loss_s=data_loss, writes_move=writes_move)
        return whole_outcome(evacuated, data_loss * write_rate)

    def closed_form_batch() -> BatchOutcomes:  # the same, for the whole batch at once (zone by zone)
        outcomes = BatchOutcomes.undecided(n)
        outcomes.lost_tx[:] = 0.0 * write_rate + 0.0
        for zone in range(region.zones):
            if zone == DB_PRIMARY_ZONE:
                if not read_write:  # then every region loses its writes (``FailedFleet``): replayed
                    in_zone = lost_zones == zone
                    trial = in_zone & (np.arange(n) < CLOSED_FORM_TRIAL)
                    if primary_zone(trial, outcomes) * 4 >= trial.sum():
                        primary_zone(in_zone & ~trial, outcomes)
                    else:  # most need people: the others are left to the replays, not tried one by one either
                        nonlocal people_in_primary_zone
                        people_in_primary_zone = True
                continue
            at = np.flatnonzero(lost_zones == zone)
            if len(at):
                rto, impact, decided = served_after_instances_lost_batch(
                    shape, app_draws, at, lost_in[zone], duration[at], escalation_s=humans.escalation_s,
                    threshold=threshold,
                )  # fmt: skip
                outcomes.take(at, rto, impact, decided)
        return outcomes

    def primary_zone(among: NDArray[np.bool_], outcomes: BatchOutcomes) -> int:
        """Decide the outages of the primary's zone ``among`` the batch that it can in ``outcomes``; how many."""
        at, ready, same_address, loss = db_failure_plans(setup, app_draws, db_draws, duration, among)
        people = 0
        if humans.restart_batch_size and not shape.deep and len(at):  # paged or not: one pass, the rest below
            lost = lost_in[DB_PRIMARY_ZONE]
            decided = take_worked_out(outcomes, at, cycled_by_hand_batch(
                shape, app_draws, at, (ready, same_address), escalation_s=humans.escalation_s,
                threshold=threshold, batch_size=humans.restart_batch_size, zone=(lost, duration[at]),
            ))  # fmt: skip
            take_db_losses(outcomes, at[decided], loss[decided], write_rate)
            people = int(decided.sum())
            at, ready, same_address, loss = at[~decided], ready[~decided], same_address[~decided], loss[~decided]
        if not len(at):
            return people
        rto, impact, decided = served_after_primary_zone_lost_batch(
            shape, app_draws, at, lost_in[DB_PRIMARY_ZONE], duration[at], (ready, same_address),
            escalation_s=humans.escalation_s, threshold=threshold,
        )  # fmt: skip
        at = outcomes.take(at, rto, impact, decided)
        take_db_losses(outcomes, at, loss[decided], write_rate)
        return people + len(at)

    return replay_batch(
        n, threshold=threshold, keep_replays=keep_replays, replay_one=replay_one, closed_form=closed_form, rows=rows,
        closed_form_batch=None if evacuations.active or not n else closed_form_batch,
    )  # fmt: skip


def _zone_returns(env: simpy.Environment, fleet: Fleet, lost: list[int], zone_s: float) -> list[int]:
    """When the zone is back, its instances that nobody replaced boot again; returns those instances."""
    returned: list[int] = []

    def back(_event: simpy.Event) -> None:
        for k in lost:
            if not fleet.up[k] and not fleet.restarting[k]:
                returned.append(k)
                fleet.restart(k, manual=False)
        fleet.tracker.record()

    if lost:
        env.timeout(zone_s).callbacks.append(back)
    return returned
