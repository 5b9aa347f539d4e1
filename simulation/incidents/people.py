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


class Cycling:
    """People restart broken instances in batches until every instance works (after the primary is back).

    A batch takes as long as its slowest restart. Instances that recover on
    their own meanwhile are skipped. Driven by the fleet's moments rather than
    a SimPy process: the moment a batch is back calls ``next`` where the
    process would resume, so the same changes come at the same moments in the
    same order, without a process's events and generator.
    """

    __slots__ = ("fleet", "batch_size", "cycled", "first")

    def __init__(self, fleet: Fleet, batch_size: int) -> None:
        self.fleet = fleet
        self.batch_size = batch_size
        self.cycled = [False] * len(fleet.up)
        self.first = 0  # every instance before it is cycled

    def start(self) -> None:
        """Start now: the first batch, or waiting for the primary first."""
        if not self.fleet.ready:
            self.fleet.until_ready().callbacks.append(self.next)
        else:
            self.next(None)

    def next(self, _event: simpy.Event | None) -> None:
        """The next batch: the first broken instances not cycled yet, unless none is left or all is served."""
        fleet, cycled, size = self.fleet, self.cycled, self.batch_size
        working, restarting = fleet.working, fleet.restarting
        m, first = len(cycled), self.first
        while first < m and cycled[first]:
            first += 1
        self.first = first
        batch: list[int] = []
        for i in range(first, m):
            if not working[i] and not restarting[i] and not cycled[i]:  # broken, not cycled
                batch.append(i)
                if len(batch) == size:
                    break
        if not batch or fleet.tracker.served() >= 1.0:
            return
        restart_s = fleet.row.restart_s
        duration = restart_s[batch[0]] if size == 1 else max([restart_s[i] for i in batch])
        for i in batch:
            cycled[i] = True
        fleet.restart_by_hand(batch, duration).callbacks.append(self.next)  # the moment the batch is back


def escalate(
    env: simpy.Environment, fleet: Fleet, humans: Humans, response: Response, phases: Phases, threshold: float
) -> None:
    """Still down ``escalation_s`` after the failure: people are paged, fail over if needed, cycle instances.

    Scheduled as one timeout whose callback starts the people's response only when needed: the service
    is still below ``threshold`` and nobody has been paged yet (people a slow detector will page later
    are paged now instead).
    """

    def check(_event: simpy.Event) -> None:
        paged = response.engaged and response.paged_s is not None and response.paged_s <= env.now
        if not paged and fleet.tracker.served() < threshold:
            # at once, where a process started now would begin: its start event would come next (nothing
            # urgent is left now, as this is a timeout's only callback), before anything else due now
            _respond_and_cycle(env, fleet, humans, response, phases)

    env.timeout(humans.escalation_s).callbacks.append(check)


def _respond_and_cycle(
    env: simpy.Environment, fleet: Fleet, humans: Humans, response: Response, phases: Phases
) -> None:
    """People are paged now: page + acknowledge + diagnose; then the failover if not done; then cycling."""
    start = env.now
    response.engaged = True
    if response.paged_s is None or response.paged_s > start:
        response.paged_s = start

    def decided(_event: simpy.Event) -> None:
        phases.add("decide", start, env.now)
        if not fleet.ready and fleet.manual_takeover is not None:
            fleet.manual_takeover(env.now, fleet)  # they carry out the failover the automation has not done
        Cycling(fleet, humans.restart_batch_size).start()

    env.timeout(fleet.row.respond_s).callbacks.append(decided)


def verify_after_failover(env: simpy.Environment, fleet: Fleet, humans: Humans, threshold: float) -> ProcessGenerator:
    """People who carried out a failover watch the service, then cycle what is still broken."""
    yield env.timeout(humans.verify_s)
    if fleet.tracker.served() >= threshold:
        return
    Cycling(fleet, humans.restart_batch_size).start()


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
