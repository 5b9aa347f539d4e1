"""One availability zone of the primary region is lost for a while.

The zone's share of the primary region's app instances (instances / zones,
rounded) is gone for ``incidents.zone_outage.duration_s``: the load balancer
takes them out after its thresholds and the remaining capacity decides the
served fraction. With auto-restart the orchestrator replaces what the load
balancer marks unhealthy (in a healthy zone, after a restart time); otherwise
they come back when the zone does, or when people, paged because the service
is still degraded, replace them. With probability 1 / zones the database
primary was in that zone too: the failover machinery of
``db_primary_failure`` runs (a local standby in another zone takes over; the
failed node is back when the zone is).
"""
from __future__ import annotations

import math

import numpy as np
import simpy

from ..distributions import LogNormal
from ..scenario import Scenario
from .apptier import Fleet, app_phases, draw_app, escalate
from .base import Batch, Phases, ReplayEnvironment, Response, ServedTracker
from .db_primary_failure import DbRow, db_recovery, db_setup, draw_db
from .retry_storm import retry_amplification

DEFAULT_DURATION = LogNormal(median=3600, p95=4 * 3600)


def rate_per_year(scenario: Scenario) -> float:
    """Zone outages per year that hit the primary region."""
    return scenario.incidents.zone_outage.rate_per_year


def lost_instances(scenario: Scenario) -> int:
    """App instances of the primary region in one zone: instances / zones, rounded half up."""
    region = scenario.primary_region
    return int(math.floor(region.app_instances / region.zones + 0.5))


def simulate(scenario: Scenario, rng: np.random.Generator, n: int, keep_replays: bool = False) -> Batch:
    """Replay ``n`` zone outages; every random input is drawn up front."""
    region = scenario.primary_region
    instances = region.app_instances
    lost = lost_instances(scenario)
    setup = db_setup(scenario)
    app_draws = draw_app(scenario, rng, n, instances, hanging=True)  # a lost zone does not answer
    db_draws = draw_db(scenario, setup, rng, n)
    db_in_zone = rng.random(n) < 1.0 / region.zones
    duration = (scenario.incidents.zone_outage.duration_s or DEFAULT_DURATION).sample(rng, n)

    app, traffic = scenario.app, scenario.traffic
    threshold = scenario.simulation.recovery_threshold
    amplification = retry_amplification(scenario)
    humans = scenario.failover.humans
    write_rate = scenario.database.write_rate_tps
    share = instances / scenario.serving_instances  # other regions (active-active) are untouched
    load = traffic.request_rate_rps * share
    batch = Batch.empty(n)
    for i, (app_row, db_row, zone_s) in enumerate(zip(app_draws.rows(), DbRow.rows(db_draws), duration.tolist())):
        env = ReplayEnvironment()
        tracker = ServedTracker(env, instances, app.capacity_rps_per_instance, load,
                                retry_amplification=amplification, traffic_share=share)
        fleet = Fleet(env, tracker, app, app_row)
        phases, response = Phases(keep_replays), Response()
        for k in range(lost):
            fleet.lose_instance(k)
        data_loss = 0.0
        ready_s = 0.0
        if db_in_zone[i]:
            fleet.lose_primary()
            outcome = db_recovery(env, scenario, setup, db_row, app_row, fleet, response, phases,
                                  repair_cap_s=zone_s)
            data_loss, ready_s = outcome.data_loss_s, outcome.ready_s
        returned = _zone_returns(env, fleet, lost, zone_s)
        escalate(env, fleet, humans, response, phases, threshold)
        env.run()
        if keep_replays:
            if not db_in_zone[i] and lost:
                phases.add("detect", 0.0, fleet.lb_after(0.0, app.load_balancer.unhealthy_threshold))
            if returned:
                phases.add("repair", 0.0, zone_s)
            app_phases(fleet, phases, ready_s)
        batch.put(i, tracker.points, threshold, env.now, phases=phases.as_tuple(), data_loss_s=data_loss,
                  lost_tx=data_loss * write_rate, humans_needed=response.needed, keep_replay=keep_replays)
    return batch


def _zone_returns(env: simpy.Environment, fleet: Fleet, lost: int, zone_s: float) -> list[int]:
    """When the zone is back, its instances that nobody replaced boot again; returns those instances."""
    returned: list[int] = []

    def back(_event) -> None:
        for k in range(lost):
            if not fleet.up[k] and not fleet.restarting[k]:
                returned.append(k)
                fleet.restart(k, manual=False)
        fleet.tracker.record()

    if lost:
        env.timeout(zone_s).callbacks.append(back)
    return returned
