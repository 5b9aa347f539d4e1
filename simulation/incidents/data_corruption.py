"""Logical data corruption: a bad migration, an application bug or an operator's mistake.

Replication copies the corruption to every replica within its lag, so
standbys and replicas do not help; only a restore to a recoverable point
before the corruption does.

Assumptions (the meanings of the numbers):

- **Clock.** The incident's clock starts at the moment of the corruption
  (t = 0), because the recovery point is measured back from it and RTO counts
  from the failure. Detection takes ``incidents.corruption_detection_s``.
- **Served meanwhile.** Until people have decided to restore, the service keeps
  answering (some answers are wrong; that shows up as data loss, not as
  downtime), so served = 1. From the decision until the restore has finished
  the service is in maintenance: served = 0 (restoring overwrites the live
  database; serving from the corrupted copy would spread the damage).
- **Decide.** Humans from ``failover.humans``: page → acknowledge → diagnose →
  execute (the decision to restore and starting it).
- **Restore.** ``backups.restore_setup_s`` + ``size_gb / restore_throughput_gb_per_s``
  (WAL replay of a point-in-time restore is counted in the setup time). With
  no backups: the last logical export, restored at
  ``incidents.logical_restore_throughput_gb_per_s`` (index rebuilds make it slower).
- **Data loss.** Writes between the last recoverable point before the
  corruption and the corruption itself. Daily backups: uniform over
  ``backups.interval_s`` (mean 12 h). No backups: uniform over
  ``incidents.corruption_export_interval_s``. Point-in-time recovery: the
  write-ahead log is intact (the corruption is a bad write, not a broken
  disk), so the restore replays the log up to just before the corruption. Only
  writes still in a log segment that was not yet archived when people start
  the restore are lost: the segment holding the last good writes is archived
  U · ``interval_s`` after the corruption (U uniform on 0..1), so
  loss = max(0, U · interval_s − (detection + decision)) — zero whenever the
  corruption is noticed after one archive interval, as it nearly always is.
  Writes made after the corruption are assumed reconciled by hand from
  application logs (not counted). Lost transactions = loss × write rate.
"""

from __future__ import annotations

import numpy as np
import simpy
from numpy.typing import NDArray
from simpy.events import ProcessGenerator

from simulation.incidents.outcomes import Batch, Phases, ReplayEnvironment, Response, SoloEnvironment, run_process
from simulation.incidents.protocol import BatchOutcomes, ReplayOutcome, Rows, replay_batch
from simulation.incidents.retry_storm import retry_amplification
from simulation.incidents.served import ServedTracker
from simulation.incidents.timeline_batch import ServedTimelines
from simulation.model.scenario import Scenario

# document sections ``simulate`` reads (engine.cache)
READS = ("pattern", "regions", "app", "failover", "traffic", "simulation", "incidents", "database")


def rate_per_year(scenario: Scenario) -> float:
    """Corruptions per year: the scenario's rate."""
    return scenario.incidents.data_corruption.rate_per_year


def recovery_interval_s(scenario: Scenario) -> float:
    """Time between recoverable points: backup or WAL archive interval, or the logical export interval."""
    backups = scenario.database.backups
    if backups.kind == "none":
        return scenario.incidents.corruption_export_interval_s
    return backups.interval_s


def restore_transfer_s(scenario: Scenario) -> float:
    """Seconds to copy the database back: size over the restore throughput (grows with size)."""
    backups = scenario.database.backups
    throughput = (
        scenario.incidents.logical_restore_throughput_gb_per_s
        if backups.kind == "none"
        else backups.restore_throughput_gb_per_s
    )
    return scenario.database.size_gb / throughput


def _draw(scenario: Scenario, rng: np.random.Generator, n: int) -> dict[str, NDArray[np.float64]]:
    """Every random input of ``n`` incidents, drawn in a fixed order."""
    humans = scenario.failover.humans
    # A logical restore needs the same preparation as a backup restore (a fresh database, access, checks).
    setup = scenario.database.backups.restore_setup_s.sample(rng, n)
    return {
        "detect_s": scenario.incidents.corruption_detection_s.sample(rng, n),
        "decide_s": (
            humans.page_s.sample(rng, n)
            + humans.acknowledge_s.sample(rng, n)
            + humans.diagnose_s.sample(rng, n)
            + humans.execute_s.sample(rng, n)
        ),
        "restore_s": setup + restore_transfer_s(scenario),
        "data_loss_s": rng.uniform(0.0, recovery_interval_s(scenario), n),
    }


def data_loss_s(scenario: Scenario, draws: dict[str, NDArray[np.float64]]) -> NDArray[np.float64]:
    """Seconds of writes lost: uniform over the interval, except what point-in-time recovery still replays."""
    if scenario.database.backups.kind != "pitr":
        return draws["data_loss_s"]
    unarchived_s = draws["data_loss_s"]  # U · archive interval: when the last good writes reach the archive
    lost_s: NDArray[np.float64] = np.maximum(0.0, unarchived_s - (draws["detect_s"] + draws["decide_s"]))
    return lost_s


def _replay(
    env: simpy.Environment,
    tracker: ServedTracker,
    detect_s: float,
    decide_s: float,
    restore_s: float,
    amplification: float,
) -> ProcessGenerator:
    """Silent corruption → detection → people decide → maintenance while restoring → back."""
    yield env.timeout(detect_s + decide_s)
    tracker.set_amplification(amplification)
    tracker.set_factor(0.0)
    yield env.timeout(restore_s)
    tracker.set_amplification(1.0)
    tracker.set_factor(1.0)


def corruption_batch(
    draws: dict[str, NDArray[np.float64]],
    lost_tx: NDArray[np.float64],
    whole: float,
    restoring: float,
    *,
    threshold: float,
) -> BatchOutcomes:
    """The corruptions ``_replay`` would replay, worked out at once with the same float operations: served
    ``whole`` until the decision, ``restoring`` until the restore ends. Left to the replay: inputs not finite,
    a timeout that would go back."""
    decided_s = 0.0 + (draws["detect_s"] + draws["decide_s"])  # SimPy's clock: 0 + the first timeout
    restored_s = decided_s + draws["restore_s"]  # + the second
    decided = np.isfinite(restored_s) & (decided_s >= 0) & (draws["restore_s"] >= 0)
    n = len(decided)
    line = ServedTimelines(np.full(n, whole), threshold)
    line.record(decided_s, np.full(n, restoring), decided)
    line.record(restored_s, np.full(n, whole), decided)
    rto, impact = line.outcomes(np.where(decided, restored_s, 0.0))
    return BatchOutcomes(decided, rto, impact, draws["data_loss_s"], lost_tx, np.ones(n, dtype=bool))


def simulate(scenario: Scenario, rng: np.random.Generator, n: int, keep_replays: bool = False) -> Batch:
    """Replay ``n`` corruptions; every random input is drawn up front from ``rng``."""
    draws = _draw(scenario, rng, n)
    draws["data_loss_s"] = data_loss_s(scenario, draws)
    threshold = scenario.simulation.recovery_threshold
    instances = scenario.serving_instances
    capacity = scenario.app.capacity_rps_per_instance
    load = scenario.traffic.request_rate_rps
    amplification = retry_amplification(scenario)
    lost_tx = draws["data_loss_s"] * scenario.database.write_rate_tps
    columns = [draws[name] for name in ("detect_s", "decide_s", "restore_s", "data_loss_s")] + [lost_tx]
    rows: Rows[tuple[float, float, float, float, float]] = Rows(
        lambda at: zip(*(column[slice(None) if at is None else at].tolist() for column in columns))
    )

    def replay_one(i: int, env: ReplayEnvironment, phases: Phases, response: Response) -> ReplayOutcome:
        detect, decide, restore, loss, lost = rows[i]
        tracker = ServedTracker(env, instances, capacity, load)
        run_process(env, _replay(env, tracker, detect, decide, restore, amplification))
        if keep_replays:
            t_decided = detect + decide
            phases.add("detect", 0.0, detect)
            phases.add("decide", detect, t_decided)
            phases.add("restore", t_decided, t_decided + restore)
        # only people restore: they are always needed
        return ReplayOutcome(tracker.points, env.now, data_loss_s=loss, lost_tx=lost, humans_needed=True)

    tracker = ServedTracker(SoloEnvironment(), instances, capacity, load)
    whole = tracker.served()
    tracker.amplification, tracker.factor = amplification, 0.0  # ``_replay``'s maintenance
    served = whole, tracker.served()
    return replay_batch(
        n,
        threshold=threshold,
        keep_replays=keep_replays,
        replay_one=replay_one,
        closed_form_batch=lambda: corruption_batch(draws, lost_tx, *served, threshold=threshold),
        rows=rows,
        environment=SoloEnvironment,
    )
