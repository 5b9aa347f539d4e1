"""A region outage's database side: its random inputs, and how the failover unfolds (``plan_failover``), one
incident at a time for a replay or a whole batch at once (``automated_promotions``, the same float
operations); and what follows from the plan on the app side: the instances built for the failover
(``failover_boots``) and the users' move (``dns_ramp``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from simulation.incidents.app_draws import AppRow
from simulation.incidents.db_draws import catch_up_s, promoted_warm_up_s, promotion_s
from simulation.model.distributions import LogNormal
from simulation.model.scenario import Region, Replica, Scenario

DEFAULT_DURATION = LogNormal(median=4 * 3600, p95=12 * 3600)
Floats = NDArray[np.float64]
Seconds = TypeVar("Seconds", float, Floats)  # one incident's, or a batch's


def dns_ramp(start_s: float, ttl_s: float, threshold: float, steps: int = 4) -> list[tuple[float, float]]:
    """Share of clients that use a new DNS answer, as steps (time, share) from ``start_s``.

    Clients' remaining TTLs are uniform, so the moved share grows linearly over
    the TTL; steps at the midpoints keep ∫ exact, and the last step sits where
    the share reaches ``threshold`` so the RTO is exact too.
    """
    if ttl_s <= 0:
        return [(start_s, 1.0)]
    ramp = [(start_s + ttl_s * (j - 0.5) / steps, j / steps) for j in range(1, steps)]
    ramp.append((start_s + ttl_s * max(threshold, (steps - 0.5) / steps), 1.0))
    return ramp


@dataclass(frozen=True)
class RegionDraws:
    """Random inputs of the database and region side for ``n`` region outages (seconds)."""

    automation_ok: NDArray[np.bool_]
    promotion_s: NDArray[np.float64]
    lag_s: NDArray[np.float64]
    restore_s: NDArray[np.float64]
    restore_loss_s: NDArray[np.float64]
    duration_s: NDArray[np.float64]
    warm_up_s: NDArray[np.float64]
    cold_build_s: NDArray[np.float64]  # building the app tier from scratch (cold standby, single-region rebuild)


def survivors_of(scenario: Scenario) -> list[Region]:
    """The regions other than the primary."""
    primary = scenario.primary_region.name
    return [r for r in scenario.regions if r.name != primary]


def draw_region(scenario: Scenario, rng: np.random.Generator, n: int) -> RegionDraws:
    """Draw the region side's random inputs up front, always in the same order."""
    db = scenario.database
    replica = scenario.cross_region_replica
    if replica is None and scenario.pattern == "active-active-full":  # the primaries replicate to each other
        replica = Replica(region=survivors_of(scenario)[0].name)
    automation_ok = rng.random(n) < scenario.automation_success_probability()
    promotion = promotion_s(scenario, rng, n)
    lag = replica.lag_s.sample(rng, n) if replica else np.zeros(n)
    if replica is None or replica.mode == "sync":
        lag = np.zeros(n)
    restore = db.backups.restore_setup_s.sample(rng, n) + db.size_gb / db.backups.restore_throughput_gb_per_s
    restore_loss = rng.random(n) * db.backups.interval_s
    duration = (scenario.incidents.region_outage.duration_s or DEFAULT_DURATION).sample(rng, n)
    builder = (survivors_of(scenario) or [scenario.primary_region])[0]
    warm_up = builder.warm_up_s.sample(rng, n)
    cold_build = builder.cold_build_s.sample(rng, n)
    promotion = promotion + catch_up_s(scenario, rng, n) + promoted_warm_up_s(scenario)  # the replica's backlog, cache
    return RegionDraws(automation_ok, promotion, lag, restore, restore_loss, duration, warm_up, cold_build)


@dataclass(slots=True)  # made per replay: a frozen one costs 6× as much to build
class Plan:
    """How one region outage unfolds on the database side (seconds from the failure)."""

    path: str  # "promote", "restore" or "return" (the region comes back first)
    act_s: float  # DNS moves and the promotion/restore starts
    ready_s: float  # a primary is available to the survivors
    data_loss_s: float
    humans: bool


def plan_failover(scenario: Scenario, draws: RegionDraws, i: int, app: AppRow, replica: Replica | None) -> Plan:
    """Promote the cross-region replica (``scenario.cross_region_replica``), restore from cross-region backups,
    or wait for the region."""
    backups = scenario.database.backups
    detect = app.detect_s
    duration = float(draws.duration_s[i])
    if replica is not None and scenario.pattern != "single-region":
        automated = scenario.failover.mode == "automated" and bool(draws.automation_ok[i])
        act = detect if automated else detect + app.respond_s + app.execute_s
        plan = Plan("promote", act, act + float(draws.promotion_s[i]), float(draws.lag_s[i]), not automated)
    elif backups.kind != "none" and backups.storage == "cross-region":
        act = detect + app.respond_s + app.execute_s
        ready = act + float(draws.restore_s[i])
        if scenario.pattern == "single-region":  # the app tier is built from scratch beside the restore
            ready = max(ready, act + float(draws.cold_build_s[i]) + float(draws.warm_up_s[i]))
        plan = Plan("restore", act, ready, float(draws.restore_loss_s[i]), True)
    else:
        plan = Plan("return", duration, duration, 0.0, True)
    started = plan.path == "promote" and plan.act_s < duration  # a promotion, once started, goes on
    if plan.ready_s >= duration and not started:
        return Plan("return", duration, duration, 0.0, True)
    return plan


@dataclass(slots=True)
class Promotions:
    """The incidents ``at`` of a batch whose replica automation promotes, nobody acting (``plan_failover``'s
    "promote" path without people): when DNS moves and the promotion starts, when it is ready, writes lost."""

    at: NDArray[np.intp]
    act_s: Floats
    ready_s: Floats
    data_loss_s: Floats


def automated_promotions(
    scenario: Scenario, draws: RegionDraws, detect_s: Floats, at: NDArray[np.intp], replica: Replica | None
) -> Promotions:
    """``plan_failover`` for the incidents ``at`` (``detect_s``: the app draws'), elementwise: those promoted
    by automation."""
    if replica is None or scenario.pattern == "single-region" or scenario.failover.mode != "automated":
        at = at[:0]
    act = detect_s[at]
    ready = act + draws.promotion_s[at]
    duration = draws.duration_s[at]
    promoted = draws.automation_ok[at] & ~((ready >= duration) & ~(act < duration))  # else the region returns
    return Promotions(at[promoted], act[promoted], ready[promoted], draws.lag_s[at][promoted])


def failover_boots(
    scenario: Scenario, regions: list[Region], act_s: Seconds, ready_s: Seconds, warm_up_s: Seconds,
    cold_build_s: Seconds,
) -> list[tuple[int, Seconds]]:  # fmt: skip
    """Warmth of the taking-over region: hot runs; warm runs a share and scales up; cold is built, then warms
    up. The instances built for the failover, with when each is up (for one incident, or a batch's)."""
    boots: list[tuple[int, Seconds]] = []
    k = 0
    for region in regions:
        start = act_s  # none built (hot)
        if scenario.pattern == "single-region":  # a cold rebuild elsewhere: every instance is new
            running, start = 0, ready_s
        elif scenario.pattern != "active-passive" or region.warmth == "hot":
            running = region.app_instances
        elif region.warmth == "warm":
            running = max(1, int(region.app_instances * region.warm_capacity_share + 0.5))
            start = act_s + warm_up_s
        else:
            running, start = 0, act_s + cold_build_s + warm_up_s
        boots += [(k + j, start) for j in range(running, region.app_instances)]
        k += region.app_instances
    return boots
