"""One app instance dies: its connections are refused until the load balancer takes it out.

Until then the crashed instance keeps its share of the traffic and serves
nothing; afterwards the others absorb its share if their capacity allows
(retrying agents add load for the requests that fail). An orchestrator with
auto-restart restarts what the load balancer marks unhealthy; otherwise
people, paged when the service is still degraded after ``escalation_s``,
restart it. Nothing is lost: the database is untouched.
"""
from __future__ import annotations

import numpy as np

from simulation.model.scenario import Scenario
from simulation.incidents.fleet import Fleet, app_phases, draw_app
from simulation.incidents.people import escalate
from simulation.incidents.outcomes import Batch, Phases, ReplayEnvironment, Response
from simulation.incidents.served import ServedTracker
from simulation.incidents.retry_storm import retry_amplification


def rate_per_year(scenario: Scenario) -> float:
    """App instance crashes per year of the whole serving fleet: the per-instance rate × serving instances."""
    return scenario.incidents.instance_crash.rate_per_year * scenario.serving_instances


def simulate(scenario: Scenario, rng: np.random.Generator, n: int, keep_replays: bool = False) -> Batch:
    """Replay ``n`` crashes of one instance; every random input is drawn up front."""
    instances = scenario.serving_instances
    draws = draw_app(scenario, rng, n, instances, hanging=False)  # a dead process refuses at once
    app, traffic = scenario.app, scenario.traffic
    threshold = scenario.simulation.recovery_threshold
    amplification = retry_amplification(scenario)
    humans = scenario.failover.humans
    batch = Batch.empty(n)
    for i, row in enumerate(draws.rows()):
        env = ReplayEnvironment()
        tracker = ServedTracker(env, instances, app.capacity_rps_per_instance, traffic.request_rate_rps,
                                retry_amplification=amplification)
        fleet = Fleet(env, tracker, app, row)
        phases, response = Phases(keep_replays), Response()
        fleet.lose_instance(0)
        escalate(env, fleet, humans, response, phases, threshold)
        env.run()
        if keep_replays:
            phases.add("detect", 0.0, fleet.lb_after(0.0, app.load_balancer.unhealthy_threshold))
            app_phases(fleet, phases, 0.0)
        batch.put(i, tracker.points, threshold, env.now, phases=phases.as_tuple(),
                  humans_needed=response.needed, keep_replay=keep_replays)
    return batch
