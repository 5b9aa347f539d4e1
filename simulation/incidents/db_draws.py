"""A primary database failure's pre-drawn inputs: the setup read once from the scenario, the draws of a batch
(detection, promotion, catch-up, replication lag, standby rebuilds, repairs) and one incident's row of plain
values (``DbRow``). ``db_primary_failure`` replays them; zone outages, region outages and partitions draw
their database side here too."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simulation.model.scenario import Scenario
from simulation.units import SECONDS_PER_YEAR


def rate_per_year(scenario: Scenario) -> float:
    """Primary database failures per year."""
    return scenario.incidents.db_primary_failure.rate_per_year


@dataclass(frozen=True)
class DbSetup:
    """What the scenario says about recovering the primary (no randomness)."""

    standby: str  # "local", "cross-region" or "none"
    synchronous: bool
    automated: bool
    can_restore: bool
    reduced_redundancy_probability: float
    rebuild_s: float = 0.0
    standby_down_probability: float = 0.0  # the standby is down on its own (steady state)


def db_setup(scenario: Scenario) -> DbSetup:
    """Which standby would be promoted, and how likely a failure finds it still being rebuilt."""
    db = scenario.database
    if db.local_standby != "none":
        standby, sync = "local", db.local_standby == "sync"
    elif scenario.cross_region_replica is not None:
        standby, sync = "cross-region", scenario.cross_region_replica.mode == "sync"
    else:
        standby, sync = "none", False
    rebuild_s = db.size_gb / db.rebuild_throughput_gb_per_s
    p_reduced = 0.0
    if standby != "none":
        p_reduced = 1.0 - math.exp(-rate_per_year(scenario) * rebuild_s / SECONDS_PER_YEAR)
    p_down = 0.0
    if standby != "none":
        rate = db.standby_failure_rate_per_year
        rate = rate_per_year(scenario) if rate is None else rate
        down_s = rate * db.node_repair_s.mean  # seconds per year the standby is down
        p_down = down_s / (SECONDS_PER_YEAR + down_s)
    return DbSetup(
        standby, sync, scenario.failover.mode == "automated", db.backups.kind != "none", p_reduced, rebuild_s, p_down
    )


@dataclass(frozen=True)
class DbDraws:
    """Random inputs of the database side for ``n`` incidents (seconds)."""

    automation_ok: NDArray[np.bool_]
    promotion_s: NDArray[np.float64]
    lag_s: NDArray[np.float64]  # of the standby that would be promoted (0 when synchronous)
    restore_s: NDArray[np.float64]  # setup + size / throughput
    restore_loss_s: NDArray[np.float64]  # time since the last recoverable point
    repair_s: NDArray[np.float64]
    reduced: NDArray[np.bool_]  # the standby is still being rebuilt
    standby_back_s: NDArray[np.float64]  # 0: the standby can take over; else when it is back (rebuilt, repaired)
    catch_up_s: NDArray[np.float64]  # the promoted standby replays its backlog
    warm_up_s: NDArray[np.float64]  # the promoted standby's cache (0 when warm)
    cold_warm_up_s: float  # a restored or restarted node reads its working set in
    crash_recovery_s: float  # a node restarted in place replays the WAL since its last checkpoint


def cache_warm_up_s(scenario: Scenario) -> float:
    """Reading the working set into a cold cache."""
    db = scenario.database
    return db.working_set_share * db.size_gb / db.cache_warm_up_gb_per_s


def catch_up_s(scenario: Scenario, rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    """Per failover: the promoted standby replays the WAL it has received but not applied."""
    db = scenario.database
    backlog: NDArray[np.float64] = db.replay_backlog_gb.sample(rng, n) / db.replay_throughput_gb_per_s
    return backlog


def promoted_warm_up_s(scenario: Scenario) -> float:
    """The promoted standby's cache warm-up: none when it is warm."""
    return cache_warm_up_s(scenario) if scenario.database.standby_cache == "cold" else 0.0


def standby_back_s(
    scenario: Scenario, setup: DbSetup, reduced: NDArray[np.bool_], rng: np.random.Generator, n: int
) -> NDArray[np.float64]:
    """When the standby can take over: at once (0), after the rest of its rebuild (reduced redundancy), or
    after the rest of its own repair (down on its own, with ``standby_down_probability``).

    A failure finds a repair in progress with probability ∝ its length, so the
    repair is drawn length-biased (one of 8 draws, weighted by length) and the
    failure falls uniformly inside it.
    """
    down = rng.random(n) < setup.standby_down_probability
    candidates = scenario.database.node_repair_s.sample(rng, n * 8).reshape(n, 8)
    weights = np.cumsum(candidates, axis=1)
    pick = (weights < rng.random((n, 1)) * weights[:, -1:]).sum(axis=1).clip(0, 7)
    repair = candidates[np.arange(n), pick]
    into = rng.random(n)
    back = np.where(down, into * repair, 0.0)
    back = np.where(reduced, np.maximum(back, into * setup.rebuild_s), back)
    return back


def draw_db(scenario: Scenario, setup: DbSetup, rng: np.random.Generator, n: int) -> DbDraws:
    """Draw the database side's random inputs up front, always in the same order."""
    db = scenario.database
    automation_ok = rng.random(n) < scenario.automation_success_probability()
    promotion = promotion_s(scenario, rng, n)
    lag_dist = (
        db.local_standby_lag_s
        if setup.standby == "local"
        else (scenario.cross_region_replica.lag_s if scenario.cross_region_replica else db.local_standby_lag_s)
    )
    lag = lag_dist.sample(rng, n)
    if setup.synchronous or setup.standby == "none":
        lag = np.zeros(n)
    restore = db.backups.restore_setup_s.sample(rng, n) + db.size_gb / db.backups.restore_throughput_gb_per_s
    restore_loss = rng.random(n) * db.backups.interval_s
    repair = db.node_repair_s.sample(rng, n)
    reduced = rng.random(n) < setup.reduced_redundancy_probability
    catch_up = catch_up_s(scenario, rng, n)
    warm_up = np.full(n, promoted_warm_up_s(scenario))
    crash = db.crash_recovery_wal_gb / db.replay_throughput_gb_per_s
    back = standby_back_s(scenario, setup, reduced, rng, n)
    return DbDraws(
        automation_ok,
        promotion,
        lag,
        restore,
        restore_loss,
        repair,
        reduced,
        back,
        catch_up,
        warm_up,
        cache_warm_up_s(scenario),
        crash,
    )


@dataclass(slots=True)  # made per replay: a frozen one costs 6× as much to build
class DbRow:
    automation_ok: bool
    promotion_s: float
    lag_s: float
    restore_s: float
    restore_loss_s: float
    repair_s: float
    reduced: bool
    standby_back_s: float
    catch_up_s: float
    warm_up_s: float
    cold_warm_up_s: float
    crash_recovery_s: float

    def promote_parts(self) -> tuple[tuple[str, float], ...]:
        """Promoting the standby, phase by phase: only catch-up and a cold cache grow with the data."""
        return (("promote", self.promotion_s), ("catch-up", self.catch_up_s), ("warm-up", self.warm_up_s))

    def restore_parts(self) -> tuple[tuple[str, float], ...]:
        return (("restore", self.restore_s), ("warm-up", self.cold_warm_up_s))

    def repair_parts(self) -> tuple[tuple[str, float], ...]:
        """After the repair the node restarts in place: crash recovery, then a cold cache."""
        return (("crash-recovery", self.crash_recovery_s), ("warm-up", self.cold_warm_up_s))

    @staticmethod
    def rows(draws: DbDraws, at: NDArray[np.intp] | None = None) -> Iterator[DbRow]:
        """Every row in order (or those ``at``), as plain Python values."""
        d = draws
        arrays = (d.automation_ok, d.promotion_s, d.lag_s, d.restore_s, d.restore_loss_s, d.repair_s, d.reduced)
        columns = [
            (a if at is None else a[at]).tolist() for a in (*arrays, d.standby_back_s, d.catch_up_s, d.warm_up_s)
        ]
        for ok, promotion, lag, restore, loss, repair, reduced, back, catch_up, warm_up in zip(*columns):
            yield DbRow(
                ok,
                promotion,
                lag,
                restore,
                loss,
                repair,
                reduced,
                back,
                catch_up,
                warm_up,
                draws.cold_warm_up_s,
                draws.crash_recovery_s,
            )


def promotion_s(scenario: Scenario, rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    """Promotion times of ``n`` failovers, the promotion itself (``promotion_s_per_gb``: calibration only)."""
    db = scenario.database
    promotion: NDArray[np.float64] = scenario.failover.promotion_s.sample(rng, n) + db.size_gb * db.promotion_s_per_gb
    return promotion
