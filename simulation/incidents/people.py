"""What people do during an incident: escalation, verifying a failover, cycling instances by hand.

In the words of DESIGN.md "Modelling notes": page → acknowledge → diagnose
(→ execute); people act when automation fails, or when the service is still
down ``escalation_s`` after the failure. People paged by escalation while no
primary is reachable carry out the database failover themselves (the
database side offers it as ``Fleet.manual_takeover``), then cycle broken
instances in batches of ``restart_batch_size``; a batch takes as long as its
slowest restart.
"""

from __future__ import annotations

import simpy
from simpy.events import ProcessGenerator

from simulation.incidents.fleet import Fleet
from simulation.incidents.outcomes import Phases, Response
from simulation.model.scenario import Humans


def cycle_instances(env: simpy.Environment, fleet: Fleet, batch_size: int, threshold: float) -> ProcessGenerator:
    """People restart broken instances in batches until every instance works (after the primary is back).

    A batch takes as long as its slowest restart. Instances that recover on
    their own meanwhile are skipped.
    """
    if not fleet.ready:
        yield fleet.until_ready()
    cycled: set[int] = set()
    while True:
        todo = [i for i in fleet.broken() if i not in cycled]
        if not todo or fleet.tracker.served() >= 1.0:
            return
        batch = todo[:batch_size]
        duration = max(fleet.row.restart_s[i] for i in batch)
        for i in batch:
            cycled.add(i)
            fleet.restart(i, manual=True, duration_s=duration)
        fleet.tracker.record()
        yield fleet.at(env.now + duration)  # the moment the batch is back


def escalate(
    env: simpy.Environment, fleet: Fleet, humans: Humans, response: Response, phases: Phases, threshold: float
) -> None:
    """Still down ``escalation_s`` after the failure: people are paged, fail over if needed, cycle instances.

    Scheduled as one timeout whose callback starts the people's process only when needed: the service
    is still below ``threshold`` and nobody has been paged yet (people a slow detector will page later
    are paged now instead).
    """

    def check(_event: simpy.Event) -> None:
        paged = response.engaged and response.paged_s is not None and response.paged_s <= env.now
        if not paged and fleet.tracker.served() < threshold:
            env.process(_respond_and_cycle(env, fleet, humans, response, phases, threshold))

    env.timeout(humans.escalation_s).callbacks.append(check)


def _respond_and_cycle(
    env: simpy.Environment, fleet: Fleet, humans: Humans, response: Response, phases: Phases, threshold: float
) -> ProcessGenerator:
    """People are paged now: page + acknowledge + diagnose; then the failover if not done; then cycling."""
    start = env.now
    response.engaged = True
    if response.paged_s is None or response.paged_s > start:
        response.paged_s = start
    yield env.timeout(fleet.row.respond_s)
    phases.add("decide", start, env.now)
    if not fleet.ready and fleet.manual_takeover is not None:
        fleet.manual_takeover(env.now, fleet)  # they carry out the failover the automation has not done
    yield from cycle_instances(env, fleet, humans.restart_batch_size, threshold)


def verify_after_failover(env: simpy.Environment, fleet: Fleet, humans: Humans, threshold: float) -> ProcessGenerator:
    """People who carried out a failover watch the service, then cycle what is still broken."""
    yield env.timeout(humans.verify_s)
    if fleet.tracker.served() >= threshold:
        return
    yield from cycle_instances(env, fleet, humans.restart_batch_size, threshold)


def reconcile(
    env: simpy.Environment, response: Response, phases: Phases, respond_s: float, work_s: float
) -> ProcessGenerator:
    """Both sides of a split brain took writes: people are paged now, respond, then reconcile for ``work_s``."""
    start = env.now
    response.engaged = True
    if response.paged_s is None or response.paged_s > start:
        response.paged_s = start
    yield env.timeout(respond_s)
    phases.add("decide", start, env.now)
    yield env.timeout(work_s)
    phases.add("reconcile", start + respond_s, env.now)
