"""Evacuation: a global traffic manager moves a failing region's users to the other regions.

In the active-active patterns a global traffic manager (Route 53 health-checked
failover or latency records, a GSLB) checks every region's service every
``failover.global_routing.interval_s`` at a random phase. A deep check fails
while the region serves less than ``simulation.recovery_threshold`` of its own
users; at the ``failure_threshold``-th consecutive failure the region leaves
DNS and its users move as their answers expire: the resolver's remaining TTL
(uniform over ``ttl_s``) and the client cache's residual (``client_cache_s``),
combined as ``app_draws.endpoint_follow_s`` combines them for the app's own
clients. A shallow check sees only a region that does not answer at all, so
local failures are never evacuated.

Evacuation races local recovery: the users still in the region are served as
its own timeline says, the moved ones by the receiving regions, which carry
their own users and the moved ones only up to their capacity (retrying agents
add load for what fails, ``retry_storm``); with ``scale_out`` their
autoscaling adds instances for the moved load after the receiving region's
``warm_up_s``. Once the region passes ``failure_threshold`` consecutive checks
again (automatic fail-back), or ``manual_fail_back_s`` after it recovered
(manual: people are needed for the incident, ``humans_needed``), its users
move back along the same DNS ramp. A region that recovers
before the global check declares it failed is never evacuated: the sooner wins.

``evacuate`` works on a finished replay's served timeline, so the incident
models keep replaying the local recovery as they did and add the evacuation on
top; its phases (``global-detect``: from the region turning unhealthy until the
global check declares it failed; ``evacuate``, ``scale-out``, ``fail-back``)
join the replay.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simulation.incidents.app_draws import endpoint_follow_s
from simulation.incidents.outcomes import Phases, ReplayEnvironment
from simulation.incidents.retry_storm import retry_amplification
from simulation.incidents.served import ServedTracker
from simulation.model.scenario import App, Region, Scenario

RAMP_STEPS = 8  # steps of the DNS move; the last sits where the moved share lets the service recover
_GRID = 64  # resolver residuals (and as many client-cache phases) of the follow-time quantiles


@dataclass(frozen=True)
class EvacuationSetup:
    """What the scenario says about evacuating one region (no randomness)."""

    share: float  # the region's share of all traffic
    interval_s: float
    failure_threshold: int
    ramp: tuple[tuple[float, float], ...]  # the DNS move: (time from the change, share of users moved)
    receivers: int  # app instances of the receiving regions
    capacity_rps: float  # per instance
    total_rps: float
    amplification: float
    threshold: float
    automatic_fail_back: bool
    scale_out: bool


def follow_quantiles(ttl_s: float, client_cache_s: float) -> NDArray[np.float64]:
    """Sorted times, from the DNS change, at which users' clients use the new answer (a deterministic grid
    of resolver residuals × client-cache phases through ``endpoint_follow_s``)."""
    u = (np.arange(_GRID) + 0.5) / _GRID
    ttl_u, cache_u = (np.repeat(u, _GRID), np.tile(u, _GRID)) if client_cache_s > 0 else (u, None)
    clients = App(  # the users' clients follow DNS as the app's own clients do
        discovery="dns", dns_client_cache_s=client_cache_s
    )
    return np.sort(endpoint_follow_s(clients, ttl_s, ttl_u, cache_u))


def evacuation_setup(scenario: Scenario, region: Region, *, region_lost: bool = False) -> EvacuationSetup | None:
    """How ``region``'s users would be evacuated; None when they are not (pattern, shallow check, switched off).

    ``region_lost``: the whole region stops answering (a region outage), which a shallow check sees too.
    """
    routing = scenario.failover.global_routing
    if scenario.pattern not in ("active-active-read", "active-active-full") or not routing.evacuate:
        return None
    if routing.check != "deep" and not region_lost:
        return None
    receivers = sum(r.app_instances for r in scenario.regions if r.name != region.name)
    if receivers == 0:
        return None
    ttl = scenario.failover.dns_ttl_s if routing.ttl_s is None else routing.ttl_s
    share = region.app_instances / scenario.serving_instances
    threshold = scenario.simulation.recovery_threshold
    # the moved share at which the service recovers when the region serves no one and the others everyone
    needed = min(1.0, max(0.0, 1.0 - (1.0 - threshold) / share))
    return EvacuationSetup(
        share=share,
        interval_s=routing.interval_s,
        failure_threshold=routing.failure_threshold,
        ramp=dns_move(follow_quantiles(ttl, routing.client_cache_s), needed),
        receivers=receivers,
        capacity_rps=scenario.app.capacity_rps_per_instance,
        total_rps=scenario.traffic.request_rate_rps,
        amplification=retry_amplification(scenario),
        threshold=threshold,
        automatic_fail_back=routing.fail_back == "automatic",
        scale_out=routing.scale_out,
    )


@dataclass(frozen=True)
class EvacuationDraws:
    """Random inputs of the evacuation for ``n`` incidents (seconds)."""

    phase_s: list[float]  # the global checks run at phase + k × interval
    scale_out_s: dict[str, list[float]]  # per evacuated region: the receivers' autoscaling, from the evacuation
    fail_back_s: list[float]  # manual fail-back, from the region's recovery


def draw_evacuation(scenario: Scenario, rng: np.random.Generator, n: int, regions: list[Region]) -> EvacuationDraws:
    """Draw the evacuation's random inputs up front, always in the same order (also when unused).

    The receivers' autoscaling delay is the ``warm_up_s`` of the first region that would receive the
    users of each of ``regions``.
    """
    routing = scenario.failover.global_routing
    phase = rng.random(n) * routing.interval_s
    scale_out = {
        region.name: next(r for r in scenario.regions if r.name != region.name).warm_up_s.sample(rng, n).tolist()
        for region in regions
    }
    fail_back = routing.manual_fail_back_s.sample(rng, n)
    return EvacuationDraws(phase.tolist(), scale_out, fail_back.tolist())


@dataclass(slots=True)  # made per replay: a frozen one costs 6× as much to build
class Evacuation:
    """What an evacuation did in one replay (``declared_s`` infinite: the region was not evacuated)."""

    points: list[tuple[float, float]]
    declared_s: float = math.inf
    back_s: float = math.inf  # users start moving back
    manual_fail_back: bool = False  # people put the region back in DNS


def _first_check(t: float, phase_s: float, interval_s: float) -> float:
    return phase_s + max(0.0, math.ceil((t - phase_s) / interval_s - 1e-9)) * interval_s


def lost_region_move(setup: EvacuationSetup, phase_s: float) -> tuple[float, list[tuple[float, float]]]:
    """A region that stops answering at 0: when the global check declares it failed (its
    ``failure_threshold``-th failing check, the first at ``phase_s``) and the users' DNS move from then on
    as (time from the failure, share of the region's users moved)."""
    declared = _first_check(0.0, phase_s, setup.interval_s) + (setup.failure_threshold - 1) * setup.interval_s
    return declared, [(declared + t, moved) for t, moved in setup.ramp]


def _unhealthy(points: list[tuple[float, float]], share: float, threshold: float) -> list[tuple[float, float]]:
    """Intervals during which the region serves less than ``threshold`` of its own users."""
    out: list[tuple[float, float]] = []
    for (t, served), nxt in zip(points, [*points[1:], (math.inf, 1.0)]):
        region = 1.0 - (1.0 - served) / share
        if region < threshold - 1e-12:
            if out and out[-1][1] == t:
                out[-1] = (out[-1][0], nxt[0])
            else:
                out.append((t, nxt[0]))
    return out


def _value_at(points: list[tuple[float, float]], t: float) -> float:
    value = points[0][1]
    for pt, v in points:
        if pt > t:
            break
        value = v
    return value


def dns_move(follow_s: NDArray[np.float64], needed: float) -> tuple[tuple[float, float], ...]:
    """Moved share as steps (time from the DNS change, share): quantile midpoints, a step where the moved
    share reaches ``needed`` (so the recovery time is exact), then everyone at the last client's follow."""

    def quantile(q: float) -> float:
        return float(np.quantile(follow_s, min(max(q, 0.0), 1.0)))

    steps = [(quantile((j - 0.5) / RAMP_STEPS), j / RAMP_STEPS) for j in range(1, RAMP_STEPS)]
    steps = [(t, share) for t, share in steps if share < needed]
    steps.append((quantile(needed), max([needed, *(share for _, share in steps)])))
    steps.append((float(follow_s[-1]), 1.0))
    return tuple(steps)


def evacuate(
    points: list[tuple[float, float]],
    setup: EvacuationSetup,
    phase_s: float,
    scale_out_s: float,
    fail_back_s: float,
    phases: Phases,
) -> Evacuation:
    """The served timeline with the region's users evacuated, from its local timeline ``points``.

    ``points``: served fraction of all traffic while the region (a share ``setup.share`` of it) recovers by
    itself, the other regions serving theirs. Returns it unchanged when the check never declares the region
    failed before it recovers.
    """
    share, interval, k = setup.share, setup.interval_s, setup.failure_threshold
    bad = _unhealthy(points, share, setup.threshold)
    declared = unhealthy_from = math.inf
    for start, end in bad:
        candidate = _first_check(start, phase_s, interval) + (k - 1) * interval
        if candidate < end:
            declared, unhealthy_from = candidate, start
            break
    if not declared < math.inf:
        return Evacuation(points)
    recovered = bad[-1][1]
    if not recovered < math.inf:
        back = math.inf
    elif setup.automatic_fail_back:
        back = _first_check(recovered, phase_s, interval) + (k - 1) * interval
    else:
        back = recovered + fail_back_s
    moving = [(declared + t, moved) for t, moved in setup.ramp]
    returning = [(back + t - declared, 1.0 - s) for t, s in moving] if back < math.inf else []
    own = setup.receivers * setup.capacity_rps
    moved_rps = setup.total_rps * share
    receivers_load = setup.total_rps * (1.0 - share)
    needed_instances = math.ceil((receivers_load + moved_rps) / setup.capacity_rps - 1e-9)
    scaled = declared + scale_out_s if setup.scale_out and needed_instances > setup.receivers else math.inf
    tracker = ServedTracker(
        ReplayEnvironment(),  # evaluated, never recorded
        max(setup.receivers, needed_instances),
        setup.capacity_rps,
        receivers_load,
        retry_amplification=setup.amplification,
    )
    for i in range(setup.receivers, len(tracker.working)):
        tracker.set_rotation(i, False)
    times = sorted({t for t, _ in points} | {t for t, _ in moving} | {t for t, _ in returning} | {declared, scaled})
    out: list[tuple[float, float]] = []
    for t in times:
        if not t < math.inf:
            continue
        moved = _value_at([(0.0, 0.0), *moving], t)
        if returning and t >= returning[0][0]:
            moved = min(moved, _value_at([(0.0, 1.0), *returning], t))
        if t >= scaled and tracker.rotation_count < len(tracker.working):
            for i in range(setup.receivers, len(tracker.working)):
                tracker.set_rotation(i, True)
        tracker.load = receivers_load + moved * moved_rps
        received = tracker.fleet_served()  # the receivers' users and the moved ones alike
        region = 1.0 - (1.0 - _value_at(points, t)) / share
        value = share * ((1.0 - moved) * region + moved * received) + (1.0 - share) * received
        value = min(1.0, max(0.0, value))
        if not out or out[-1][1] != value:
            out.append((t, value))
    phases.add("global-detect", unhealthy_from, declared)
    phases.add("evacuate", declared, moving[-1][0])
    if scaled < math.inf and own < receivers_load + moved_rps:
        phases.add("scale-out", declared, scaled)
    if returning:
        phases.add("fail-back", back, returning[-1][0])
    return Evacuation(out, declared, back, manual_fail_back=back < math.inf and not setup.automatic_fail_back)


def replication_lag_s(scenario: Scenario, rng: np.random.Generator, n: int) -> list[float]:
    """Per incident: the cross-region replication lag when the region failed (0 when synchronous or none)."""
    replica = scenario.cross_region_replica
    if replica is None or replica.mode == "sync":
        rng.random(n)  # same number of draws whatever the replication
        return [0.0] * n
    lag: list[float] = replica.lag_s.sample(rng, n).tolist()
    return lag


def unreplicated_writes(scenario: Scenario, lag_s: float, share: float) -> tuple[float, float]:
    """(lost, duplicated) transactions when a writing region's users move before its last writes replicated:
    clients re-submit ``conflict_duplicate_share`` of them (duplicates once the data is merged back), the
    rest are lost by conflict resolution, as when the region is lost (``region_outage``)."""
    db = scenario.database
    unreplicated = lag_s * db.write_rate_tps * share
    duplicated = unreplicated * db.conflict_duplicate_share
    return unreplicated - duplicated, duplicated


@dataclass(slots=True)  # made per replay: a frozen one costs 6× as much to build
class Evacuated:
    """A replay's figures after its evacuation (if any)."""

    points: list[tuple[float, float]]
    data_loss_s: float
    lost_tx: float  # unreplicated writes lost by conflict resolution (besides the local recovery's)
    duplicated_tx: float
    humans_needed: bool = False  # people moved the users back (manual fail-back)


class Evacuations:
    """The evacuations of ``n`` incidents of one type: per region its setup; the draws, made up front."""

    def __init__(self, scenario: Scenario, rng: np.random.Generator, n: int, regions: list[Region]) -> None:
        self.scenario = scenario
        self.setups = {r.name: evacuation_setup(scenario, r) for r in regions}
        self.active = any(s is not None for s in self.setups.values())
        evacuated = [r for r in regions if self.setups[r.name] is not None]
        self.draws = draw_evacuation(scenario, rng, n, evacuated) if self.active else None
        self.lag_s = replication_lag_s(scenario, rng, n) if self.active else []

    def apply(
        self,
        i: int,
        region: Region,
        points: list[tuple[float, float]],
        phases: Phases,
        *,
        data_loss_s: float,
        writes_move: bool,
    ) -> Evacuated:
        """Evacuate ``region``'s users in replay ``i`` if its check declares it failed before it recovers.

        ``writes_move``: the users' writes move with them while the region's primary is lost (active-active
        full): the writes of the replication-lag window conflict, as for a region outage.
        """
        setup = self.setups.get(region.name)
        if setup is None or self.draws is None:
            return Evacuated(points, data_loss_s, 0.0, 0.0)
        d = self.draws
        moved = evacuate(points, setup, d.phase_s[i], d.scale_out_s[region.name][i], d.fail_back_s[i], phases)
        if not moved.declared_s < math.inf:
            return Evacuated(points, data_loss_s, 0.0, 0.0)
        if not writes_move:
            return Evacuated(moved.points, data_loss_s, 0.0, 0.0, moved.manual_fail_back)
        lag = self.lag_s[i]
        # writes the local recovery already lost (``data_loss_s``) are not lost a second time
        lost, duplicated = unreplicated_writes(self.scenario, max(0.0, lag - data_loss_s), setup.share)
        return Evacuated(moved.points, max(data_loss_s, lag), lost, duplicated, moved.manual_fail_back)
