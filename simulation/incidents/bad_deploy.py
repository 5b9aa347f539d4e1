"""A bad version is deployed: how much traffic it reaches, how soon it is caught, how fast it is undone.

Rate = deploys per month × 12 × probability that a deploy is bad. A bad
version fails ``bad_deploy_error_share`` of the requests it serves; served =
1 − exposed share × error share. The strategy decides the exposure:

- **in-place**: every instance at once (exposed share 1).
- **rolling**: ``rolling_batch_size`` instances every ``rolling_step_s``;
  exposed share = bad instances in rotation / instances in rotation.
- **blue-green**: a full switch to the new environment (share 1); rollback is
  a switch back (``traffic_switch_s``, seconds).
- **canary**: ``canary_steps_pct`` of the traffic, ``canary_step_s`` per step;
  the deploy is complete when the 100 % step starts. Before that a rollback
  is a route-back (``traffic_switch_s``); afterwards a redeploy.

Health checks. With probability ``bad_version_fails_health_checks_probability``
the bad version also fails its health checks: the load balancer takes such
instances out of rotation after ``load_balancer.interval_s ×
(unhealthy_threshold − 1)`` plus a random check phase. A health-gated rollout
(``health_gated``) stops there: rolling halts at its first batch and the
deploy tool rolls that batch back; blue-green never switches and a canary
never receives traffic. Without a gate the bad version fails everything it
serves (instances in-place/rolling are removed one batch after another).

Detection. People watching dashboards notice an error share of
``manual_noticeable_error_share`` within ``detection_s``; a smaller one takes
proportionally longer (detection progresses at rate min(1, visible /
noticeable) / detection_s, integrated over the changing exposure). ``visible``
is the share of failed requests (1 − served), except during a canary, whose
cohort is watched on its own (its error share). Automated canary analysis
compares the canary cohort with the baseline statistically: it catches an
error share of ``automated_detectable_error_share`` within
``automated_detection_factor × detection_s`` and routes back by itself.
Rollback is ``rollback_s`` (redeploying the previous version) unless a switch
is possible. People are needed whenever the detection is manual.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TypedDict

import numpy as np
import simpy
from simpy.events import ProcessGenerator

from simulation.incidents.app_draws import APP_TIER_READS
from simulation.incidents.deploy_batch import DeployDraws, DeployShape, deploy_batch
from simulation.incidents.outcomes import Batch, Phases, ReplayEnvironment, Response, SoloEnvironment, run_process
from simulation.incidents.protocol import BatchOutcomes, ReplayOutcome, Rows, replay_batch
from simulation.incidents.retry_storm import retry_amplification
from simulation.incidents.served import ServedTracker
from simulation.model.scenario import Deployment, Scenario

INF = math.inf
RolloutEvent = tuple[float, str, float]  # (time_s, kind: "live" | "remove" | "complete", value)


# document sections ``simulate`` reads (engine.cache)
READS = (*APP_TIER_READS, "deployment")
_DRAWN = ("detect_s", "rollback_s", "switch_s", "health_visible", "lb_s")  # a replay's row of ``DeployDraws``


def rate_per_year(scenario: Scenario) -> float:
    """Bad deploys per year: deploys per month × 12 × bad-deploy probability."""
    d = scenario.deployment
    return d.deploys_per_month * 12 * d.bad_deploy_probability


@dataclass(frozen=True)
class Rollout:
    """The schedule of one strategy: exposure steps as (start_s, value).

    For in-place and rolling a value is the number of instances on the new
    version; for blue-green and canary it is the share of traffic routed to it.
    """

    by_instances: bool
    steps: tuple[tuple[float, float], ...]
    complete_s: float  # when the analysed part ends (canary: start of the 100 % step)

    @classmethod
    def of(cls, scenario: Scenario) -> Rollout:
        """The exposure schedule of the scenario's deployment strategy."""
        d = scenario.deployment
        n = scenario.serving_instances
        if d.strategy == "in-place":
            return cls(True, ((0.0, float(n)),), 0.0)
        if d.strategy == "rolling":
            batches = math.ceil(n / d.rolling_batch_size)
            steps = tuple((j * d.rolling_step_s, float(min(n, (j + 1) * d.rolling_batch_size))) for j in range(batches))
            return cls(True, steps, 0.0)
        if d.strategy == "blue-green":
            return cls(False, ((0.0, 1.0),), INF)
        steps = tuple((j * d.canary_step_s, pct / 100) for j, pct in enumerate(d.canary_steps_pct))
        return cls(False, steps, steps[-1][0])


class _Deploy:
    """Mutable state of one replayed bad deploy, applied to the served-fraction tracker."""

    __slots__ = ("tracker", "error_share", "by_instances", "cohort", "bad", "share", "complete")

    def __init__(self, tracker: ServedTracker, error_share: float, by_instances: bool, cohort: bool):
        self.tracker = tracker
        self.by_instances = by_instances
        self.cohort = cohort  # a canary: its cohort is compared with the baseline until complete
        self.error_share = error_share
        self.bad = 0  # instances on the bad version (in-place / rolling)
        self.share = 0.0  # traffic routed to the bad version (blue-green / canary)
        self.complete = False

    def apply(self) -> None:
        """Served = capacity of the instances in rotation × (1 − exposed share × error share).

        The tracker adds the agents' retries of the failing requests only (``retry_storm``).
        """
        t = self.tracker
        rotation = sum(t.in_rotation)
        bad_in_rotation = sum(t.in_rotation[: self.bad])
        exposed = self.share + (bad_in_rotation / rotation if rotation else 0.0)
        t.factor = 1.0 - exposed * self.error_share
        t.record()


def _take_out(tracker: ServedTracker, count: int) -> None:
    """The load balancer takes the first ``count`` instances (those on the bad version) out of rotation."""
    for j in range(count):
        if tracker.in_rotation[j]:
            tracker.set(j, in_rotation=False)


def _detection_rate(state: _Deploy, d: Deployment, automated: bool, detect_s: float) -> float:
    """Detection progress per second in the current state (1 = detected)."""
    if state.cohort and state.share > 0 and not state.complete:  # a canary cohort is watched on its own
        if automated:
            return min(1.0, state.error_share / d.automated_detectable_error_share) / (
                detect_s * d.automated_detection_factor
            )
        return min(1.0, state.error_share / d.manual_noticeable_error_share) / detect_s
    visible = 1.0 - state.tracker.points[-1][1]  # the served fraction recorded last is the current one
    return min(1.0, visible / d.manual_noticeable_error_share) / detect_s


def _events(
    rollout: Rollout, scenario: Scenario, health_visible: bool, lb_s: float
) -> tuple[list[RolloutEvent], float]:
    """The rollout's scheduled events (time, kind, value) and the time a health gate stops it (``inf``: never)."""
    d = scenario.deployment
    if health_visible and d.health_gated and d.strategy != "in-place":  # in-place has no step to gate
        if not rollout.by_instances:
            return [], lb_s  # the new version never passes its gate: no traffic reaches it
        first = rollout.steps[0][1]
        return [(0.0, "live", first), (lb_s, "remove", first)], lb_s
    events: list[RolloutEvent] = [(t, "live", v) for t, v in rollout.steps]
    if rollout.complete_s < INF and not rollout.by_instances:
        events.append((rollout.complete_s, "complete", 0.0))
    if health_visible and rollout.by_instances:
        events += [(t + lb_s, "remove", v) for t, v in rollout.steps]
    events.sort(key=lambda e: (e[0], e[1] != "live"))
    return events, INF


class _Log(TypedDict, total=False):
    """What happened in one bad deploy (seconds from its start); a key is there once it has happened."""

    detected: float  # detected (or stopped by a health gate)
    automated: bool  # detected without people
    end: float  # rolled back, or never noticed: nothing visible is left


def _replay(
    env: simpy.Environment,
    state: _Deploy,
    scenario: Scenario,
    events: list[RolloutEvent],
    gate_s: float,
    automated: bool,
    detect_s: float,
    rollback_s: float,
    switch_s: float,
    log: _Log,
) -> ProcessGenerator:
    """Roll out step by step until detected (or stopped by a gate), then roll back."""
    d = scenario.deployment
    t = state.tracker
    progress = 0.0  # detection progress: 1 = detected
    detected_at = INF
    now = 0.0
    i = 0
    while True:
        next_t = events[i][0] if i < len(events) else INF
        if gate_s <= next_t and gate_s < INF:
            detected_at, log["automated"] = gate_s, True
            break
        rate = _detection_rate(state, d, automated, detect_s)
        due = now + (1.0 - progress) / rate if rate > 0 else INF
        if due <= next_t and due < INF:
            detected_at = due
            log["automated"] = automated and state.cohort and state.share > 0 and not state.complete
            break
        if next_t == INF:
            log["end"] = now  # never noticed: nothing visible is left
            return
        progress += rate * (next_t - now)
        yield env.timeout(next_t - now)
        now = next_t
        _, kind, value = events[i]
        i += 1
        if kind == "live":
            state.bad, state.share = (int(value), 0.0) if state.by_instances else (0, value)
        elif kind == "remove":
            _take_out(t, int(value))
        else:
            state.complete = True
        state.apply()
    yield env.timeout(detected_at - now)
    now = detected_at
    log["detected"] = detected_at
    # Blue-green and an unfinished canary route back; otherwise the previous version is redeployed.
    switch = not state.by_instances and state.share > 0 and not state.complete
    done_at = detected_at + (switch_s if switch else rollback_s)
    # Batches already live that fail their health checks still leave the rotation during the rollback.
    for at, kind, value in events[i:]:
        if kind == "remove" and at < done_at:
            yield env.timeout(at - now)
            now = at
            _take_out(t, int(value))
            state.apply()
    yield env.timeout(done_at - now)
    state.bad, state.share = 0, 0.0
    t.set_all(in_rotation=True)
    state.apply()
    log["end"] = done_at


def simulate(scenario: Scenario, rng: np.random.Generator, n: int, keep_replays: bool = False) -> Batch:
    """Replay ``n`` bad deploys; every random input is drawn up front, in a fixed order."""
    d = scenario.deployment
    lb = scenario.app.load_balancer
    draws = DeployDraws(
        detect_s=np.maximum(d.detection_s.sample(rng, n), 1e-9),
        rollback_s=d.rollback_s.sample(rng, n),
        switch_s=d.traffic_switch_s.sample(rng, n),
        health_visible=rng.random(n) < d.bad_version_fails_health_checks_probability,
        lb_s=lb.interval_s * (lb.unhealthy_threshold - 1 + rng.random(n)),
    )
    rollout = Rollout.of(scenario)
    instances = scenario.serving_instances
    canary = d.strategy == "canary"
    automated = canary and d.canary_analysis == "automated"
    capacity, load = scenario.app.capacity_rps_per_instance, scenario.traffic.request_rate_rps
    threshold = scenario.simulation.recovery_threshold
    amplification = retry_amplification(scenario)
    rows: Rows[tuple[float, float, float, bool, float]] = Rows(
        lambda at: zip(*(getattr(draws, name)[slice(None) if at is None else at].tolist() for name in _DRAWN))
    )

    def replay_one(i: int, env: ReplayEnvironment, phases: Phases, response: Response) -> ReplayOutcome:
        detect, rollback, switch, health_visible, lb_s = rows[i]
        tracker = ServedTracker(env, instances, capacity, load, retry_amplification=amplification)
        error_share = 1.0 if health_visible and not rollout.by_instances else d.bad_deploy_error_share
        state = _Deploy(tracker, error_share, rollout.by_instances, canary)
        events, gate_s = _events(rollout, scenario, health_visible, lb_s)
        log: _Log = {}
        run_process(env, _replay(env, state, scenario, events, gate_s, automated, detect, rollback, switch, log))
        if keep_replays and "detected" in log:
            phases.add("detect", 0.0, log["detected"])
            phases.add("rollback", log["detected"], log["end"])
        humans = "detected" in log and not log.get("automated", False)
        return ReplayOutcome(tracker.points, log["end"], humans_needed=humans)

    @functools.cache
    def served(rotation: int, factor: float) -> float:
        """The served fraction with the first instances out of rotation, ``rotation`` left, and ``factor``."""
        tracker = ServedTracker(SoloEnvironment(), instances, capacity, load, retry_amplification=amplification)
        for j in range(instances - rotation):
            tracker.set_rotation(j, False)
        tracker.factor = factor
        return tracker.served()

    def closed_form_batch() -> BatchOutcomes:
        shape = DeployShape(
            steps=rollout.steps,
            by_instances=rollout.by_instances,
            complete_s=rollout.complete_s,
            gated=d.health_gated and d.strategy != "in-place",
            instances=instances,
            canary=canary,
            automated=automated,
            error_share=d.bad_deploy_error_share,
        )
        return deploy_batch(shape, d, draws, served, threshold=threshold)

    return replay_batch(
        n,
        threshold=threshold,
        keep_replays=keep_replays,
        replay_one=replay_one,
        closed_form_batch=closed_form_batch,
        rows=rows,
        environment=SoloEnvironment,
    )
