"""Bad deploys worked out for a whole batch at once (``deploy_batch``), exactly as ``bad_deploy._replay``
replays them: the rollout's events walked in the same order, one event of every incident at a time, with the
same float operations (the clock moves by now + (target − now) as the replay's timeouts move it), detection
progress integrated event by event, the served timeline recorded as the tracker records it
(``ServedTimelines``). Left to the replay: no instance, inputs not finite, a timeout that would go back.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simulation.incidents.protocol import BatchOutcomes
from simulation.incidents.timeline_batch import ServedTimelines
from simulation.model.scenario import Deployment

INF = math.inf
Floats = NDArray[np.float64]
Ints = NDArray[np.intp]
Bools = NDArray[np.bool_]
NONE, LIVE, REMOVE, COMPLETE = 0, 1, 2, 3  # event kinds (NONE: no event, at t = inf)


@dataclass(frozen=True)
class DeployShape:
    """What every bad deploy of a scenario shares: the rollout (``bad_deploy.Rollout``) and the fleet."""

    steps: tuple[tuple[float, float], ...]  # (start_s, instances or traffic share on the new version)
    by_instances: bool
    complete_s: float
    gated: bool  # a health-gated rollout with a step to gate (not in-place)
    instances: int
    canary: bool
    automated: bool
    error_share: float  # of a bad version that passes its health checks


@dataclass(frozen=True)
class DeployDraws:
    """The pre-drawn inputs of a batch of bad deploys, as arrays."""

    detect_s: Floats
    rollback_s: Floats
    switch_s: Floats
    health_visible: Bools
    lb_s: Floats


def _events(shape: DeployShape, draws: DeployDraws) -> tuple[Floats, Ints, Floats, Floats]:
    """Every incident's events (``bad_deploy._events``) as rows sorted the same way: times, kinds, values
    (padded with no event at inf); and the time a health gate stops each rollout (inf: never)."""
    n, count = len(draws.lb_s), len(shape.steps)
    step_t, step_v = np.array([t for t, _ in shape.steps]), np.array([v for _, v in shape.steps])
    gated = draws.health_visible & shape.gated
    removes = draws.health_visible & shape.by_instances & ~gated  # each batch leaves the rotation, lb_s late
    # the steps, then the canary's completion (at its last step's start): already in the replay's order
    base_t, base_k, base_v = step_t, np.full(count, LIVE), step_v
    if shape.complete_s < INF and not shape.by_instances:
        base_t, base_k, base_v = np.append(step_t, shape.complete_s), np.append(base_k, COMPLETE), np.append(step_v, 0)
    width = max(len(base_t) + (count if removes.any() else 0), 2)
    times, kinds, values = np.full((n, width), INF), np.full((n, width), NONE), np.zeros((n, width))
    times[:, : len(base_t)], kinds[:, : len(base_t)], values[:, : len(base_t)] = base_t, base_k, base_v
    if removes.any():
        rows = np.flatnonzero(removes)
        merged_t = np.concatenate(
            (np.broadcast_to(base_t, (len(rows), len(base_t))), step_t + draws.lb_s[rows, None]), 1
        )
        merged_k = np.concatenate((base_k, np.full(count, REMOVE)))
        merged_v = np.concatenate((base_v, step_v))
        not_live = np.broadcast_to(merged_k != LIVE, merged_t.shape)
        order = np.lexsort((not_live, merged_t), axis=1)  # stable: the replay's sort by (time, not live)
        times[rows] = np.take_along_axis(merged_t, order, axis=1)
        kinds[rows], values[rows] = merged_k[order], merged_v[order]
    gate_s = np.where(gated, draws.lb_s, INF)
    times[gated], kinds[gated] = INF, NONE
    if shape.by_instances:  # the first batch goes live, fails its checks and is stopped there
        times[gated, 0], kinds[gated, 0], values[gated, 0] = 0.0, LIVE, step_v[0]
        times[gated, 1], kinds[gated, 1], values[gated, 1] = draws.lb_s[gated], REMOVE, step_v[0]
    return times, kinds, values, gate_s


class _State:
    """The rollout state of every incident (``bad_deploy._Deploy``) and its served timeline."""

    def __init__(
        self, shape: DeployShape, error_share: Floats, served: Callable[[int, float], float], line: ServedTimelines
    ):
        n = len(error_share)
        self.shape, self.error_share, self.served, self.line = shape, error_share, served, line
        self.bad = np.zeros(n, dtype=np.intp)  # instances on the bad version
        self.share = np.zeros(n)  # traffic routed to the bad version
        self.removed = np.zeros(n, dtype=np.intp)  # the first instances, out of rotation
        self.complete = np.zeros(n, dtype=bool)

    def apply(self, kinds: Ints, values: Floats, on: Bools, t_s: Floats) -> None:
        """Apply the events ``kinds``/``values`` of the incidents ``on`` at ``t_s`` and record served there."""
        live = on & (kinds == LIVE)
        if self.shape.by_instances:
            self.bad = np.where(live, values.astype(np.intp), self.bad)
        else:
            self.share = np.where(live, values, self.share)
        self.removed = np.where(on & (kinds == REMOVE), np.maximum(self.removed, values.astype(np.intp)), self.removed)
        self.complete |= on & (kinds == COMPLETE)
        self.record(on, t_s)

    def record(self, on: Bools, t_s: Floats) -> None:
        """``_Deploy.apply``: served = capacity in rotation × (1 − exposed share × error share)."""
        rotation = self.shape.instances - self.removed
        bad_in_rotation = np.maximum(self.bad - self.removed, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            exposed = self.share + np.where(rotation > 0, bad_in_rotation / rotation, 0.0)
        factor = 1.0 - exposed * self.error_share
        # a few distinct states: the served fraction of each from the tracker itself
        states, at = np.unique(rotation + 1j * factor, return_inverse=True)
        values = np.array([self.served(int(s.real), float(s.imag)) for s in states.tolist()])[at.reshape(-1)]
        self.line.record(t_s, values, on)

    def watched_cohort(self) -> Bools:
        """A canary cohort compared with the baseline (traffic on it, not complete)."""
        return (self.share > 0) & ~self.complete if self.shape.canary else np.zeros(len(self.share), dtype=bool)


def _rate(state: _State, d: Deployment, detect_s: Floats) -> Floats:
    """``bad_deploy._detection_rate``: detection progress per second."""
    shape, error_share = state.shape, state.error_share
    if shape.automated:
        cohort = np.minimum(1.0, error_share / d.automated_detectable_error_share) / (
            detect_s * d.automated_detection_factor
        )
    else:
        cohort = np.minimum(1.0, error_share / d.manual_noticeable_error_share) / detect_s
    visible = 1.0 - state.line.current
    return np.where(
        state.watched_cohort(), cohort, np.minimum(1.0, visible / d.manual_noticeable_error_share) / detect_s
    )


@np.errstate(divide="ignore", invalid="ignore", over="ignore")
def deploy_batch(
    shape: DeployShape, d: Deployment, draws: DeployDraws, served: Callable[[int, float], float], *, threshold: float
) -> BatchOutcomes:
    """The bad deploys ``_replay`` would replay, worked out at once: ``served(rotation, factor)`` the served
    fraction of the fleet with that many instances in rotation and that factor."""
    n = len(draws.lb_s)
    inputs = (draws.detect_s, draws.rollback_s, draws.switch_s, draws.lb_s)
    decided = np.logical_and.reduce([np.isfinite(a) for a in inputs]) if n else np.zeros(0, dtype=bool)
    if n == 0 or shape.instances <= 0 or not decided.any():
        return BatchOutcomes.undecided(n)
    times, kinds, values, gate_s = _events(shape, draws)
    error_share = np.where(draws.health_visible & (not shape.by_instances), 1.0, shape.error_share)
    line = ServedTimelines(np.full(n, served(shape.instances, 1.0)), threshold)
    state = _State(shape, error_share, served, line)
    now, clock, progress = np.zeros(n), np.zeros(n), np.zeros(n)  # the replay's ``now``, SimPy's clock
    active, detected, automated = decided.copy(), np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    detected_at, end, stop = np.full(n, INF), np.zeros(n), np.zeros(n, dtype=np.intp)
    columns = times.shape[1]
    for k in range(columns + 1):
        if not active.any():
            break
        next_t = times[:, k] if k < columns else np.full(n, INF)
        gate = active & (gate_s <= next_t) & (gate_s < INF)
        rate = _rate(state, d, draws.detect_s)
        due = np.where(rate > 0, now + (1.0 - progress) / rate, INF)
        caught = active & ~gate & (due <= next_t) & (due < INF)
        never = active & ~gate & ~caught & (next_t == INF)
        moved = active & ~gate & ~caught & ~never
        stopped = gate | caught
        detected |= stopped
        detected_at = np.where(gate, gate_s, np.where(caught, due, detected_at))
        automated |= gate | (caught & state.watched_cohort() & shape.automated)
        stop = np.where(stopped, k, stop)
        end = np.where(never, now, end)
        progress = np.where(moved, progress + rate * (next_t - now), progress)
        clock = np.where(moved, clock + (next_t - now), clock)
        now = np.where(moved, next_t, now)
        if k < columns:
            state.apply(kinds[:, k], values[:, k], moved, clock)
        active = moved
    decided &= ~active  # none left: the last column has no event
    # detected: rolled back by a switch (blue-green, an unfinished canary) or a redeploy
    decided &= ~detected | (detected_at - now >= 0)
    clock = np.where(detected, clock + (detected_at - now), clock)
    now = np.where(detected, detected_at, now)
    switch = ~state.shape.by_instances & (state.share > 0) & ~state.complete
    done_at = detected_at + np.where(switch, draws.switch_s, draws.rollback_s)
    removals = kinds == REMOVE
    for k in np.flatnonzero(removals.any(axis=0)).tolist():  # batches live still leave the rotation meanwhile
        on = detected & (k >= stop) & removals[:, k] & (times[:, k] < done_at)
        if on.any():
            decided &= ~on | (times[:, k] - now >= 0)
            clock = np.where(on, clock + (times[:, k] - now), clock)
            now = np.where(on, times[:, k], now)
            state.apply(kinds[:, k], values[:, k], on, clock)
    decided &= ~detected | (done_at - now >= 0)
    clock = np.where(detected, clock + (done_at - now), clock)
    state.bad, state.share = np.where(detected, 0, state.bad), np.where(detected, 0.0, state.share)
    state.removed = np.where(detected, 0, state.removed)
    state.record(detected, clock)
    end = np.where(detected, done_at, end)
    decided &= np.isfinite(end) & np.isfinite(clock)
    rto, impact = line.outcomes(np.where(decided, end, 0.0))
    return BatchOutcomes(decided, rto, impact, np.zeros(n), np.zeros(n), detected & ~automated)
