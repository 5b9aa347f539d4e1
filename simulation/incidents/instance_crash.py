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

from simulation.incidents.app_draws import APP_TIER_READS, draw_app
from simulation.incidents.fleet import Fleet, app_phases
from simulation.incidents.fleet_batch import served_after_crash_batch
from simulation.incidents.fleet_closed import FleetShape, served_after_crash
from simulation.incidents.outcomes import Batch, Phases, ReplayEnvironment, Response
from simulation.incidents.people import escalate
from simulation.incidents.protocol import BatchOutcomes, ReplayOutcome, Rows, replay_batch
from simulation.incidents.retry_storm import retry_amplification
from simulation.incidents.served import ServedTracker
from simulation.model.scenario import Scenario

# document sections ``simulate`` reads (engine.cache)
READS = APP_TIER_READS


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
    rows = Rows(draws.rows)

    def replay_one(i: int, env: ReplayEnvironment, phases: Phases, response: Response) -> ReplayOutcome:
        tracker = ServedTracker(
            env, instances, app.capacity_rps_per_instance, traffic.request_rate_rps, retry_amplification=amplification
        )
        fleet = Fleet(env, tracker, app, rows[i])
        fleet.lose_instance(0)
        escalate(env, fleet, humans, response, phases, threshold)
        env.run()
        if keep_replays:
            phases.add("detect", 0.0, fleet.lb_after(0.0, app.load_balancer.unhealthy_threshold))
            app_phases(fleet, phases, 0.0)
        return ReplayOutcome(tracker.points, env.now, humans_needed=response.needed)

    # a crash nobody acts on is worked out from the instance's change times (``fleet_closed``)
    if n:
        env = ReplayEnvironment()
        tracker = ServedTracker(
            env, instances, app.capacity_rps_per_instance, traffic.request_rate_rps, retry_amplification=amplification
        )
        shape = FleetShape(tracker, Fleet(env, tracker, app, draws.row(0)))

    def closed_form(i: int) -> ReplayOutcome | None:
        points = served_after_crash(shape, rows[i], escalation_s=humans.escalation_s, threshold=threshold)
        return None if points is None else ReplayOutcome(points, points[-1][0])

    def closed_form_batch() -> BatchOutcomes:  # the same for the whole batch at once
        return served_after_crash_batch(shape, draws, escalation_s=humans.escalation_s, threshold=threshold)

    return replay_batch(
        n, threshold=threshold, keep_replays=keep_replays, replay_one=replay_one, closed_form=closed_form, rows=rows,
        closed_form_batch=closed_form_batch if n else None,
    )  # fmt: skip
