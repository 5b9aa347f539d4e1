"""Primary database failures worked out a whole batch at once, alone or with the zone that held the primary.

The database side of a batch where nobody acts (``db_failure_plans``): the
failed node is back before the decisive check (ridden out: the app reconnects
to the same address when it is back) or automation promotes the standby, as
``db_primary_failure.plan_db_recovery`` decides them, with the same float
operations. Where people are paged at detection instead (``db_paged_plans``:
the standby is down, automation failed or is off), their path is worked out
the same way; they verify the service once a primary is ready and act on the
fleet only if it is still below the threshold then, which is left to the
per-incident path with every other incident where people act. The app tier
then follows as ``fleet_batch`` works it out: every instance lost its primary
(``db_failure_batch``), or, in a zone outage of the primary's zone, the zone's
instances are gone until it is back and the others lost their primary
(``served_after_primary_zone_lost_batch``, the closed form
``fleet_closed.served_after_primary_zone_lost``): a lost instance that comes
up before the primary is ready (or at that instant) is left to the replay.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from simulation.incidents.app_draws import INF, AppDraws
from simulation.incidents.db_draws import DbDraws, DbSetup
from simulation.incidents.fleet_batch import (
    Bools,
    Floats,
    _close,
    _instances,
    _outcomes,
    _Plans,
    _primary_changes,
    lost_changes,
    served_after_primary_loss_batch,
)
from simulation.incidents.fleet_closed import FleetShape
from simulation.incidents.people_batch import cycled_by_hand_batch, take_worked_out
from simulation.incidents.protocol import BatchOutcomes

# the incidents decided on the database side, when a primary is ready, at the same address, seconds of writes lost
DbPlans = tuple[NDArray[np.intp], Floats, Bools, Floats]

NOBODY_FIRST_TRIAL = 64  # incidents a large batch tries nobody acting on first (``db_failure_batch``)
NOBODY_FIRST_FROM = 16 * NOBODY_FIRST_TRIAL  # from this many incidents (exact years' chunks): the trial costs little


def db_failure_plans(setup: DbSetup, app: AppDraws, db: DbDraws, back_s: Floats, among: Bools | None = None) -> DbPlans:
    """The primary database failures of a batch (``among`` them; None: all) ridden out (the node is back by
    ``back_s``, before the decisive check) or promoted by automation (``plan_db_recovery``): their rows, when a
    primary is ready, whether at the same address, and the seconds of writes lost."""
    n = len(back_s)
    ride = back_s <= app.decisive_s
    can_fail_over = setup.standby != "none" and setup.automated
    promoted = ~ride & (db.standby_back_s <= 0) & db.automation_ok if can_fail_over else np.zeros(n, dtype=bool)
    rows = np.flatnonzero((ride | promoted) & (True if among is None else among))
    promote_ready = ((app.detect_s + db.promotion_s) + db.catch_up_s) + db.warm_up_s
    ready = np.where(ride, back_s, promote_ready)[rows]
    loss = np.where(ride, 0.0, db.lag_s)[rows]
    return rows, ready, ride[rows], loss


def db_paged_plans(setup: DbSetup, app: AppDraws, db: DbDraws, back_s: Floats) -> DbPlans:
    """The primary database failures of a batch where people are paged at detection (not ridden out, not
    promoted by automation), with their path as ``plan_db_recovery`` picks it, the same float operations:
    promote the standby when they act before the node is repaired, promote it once it is back when that is
    sooner than the node (or a restore), restore from backups, or wait for the repair. Their rows, when a
    primary is ready, whether at the same address, and the seconds of writes lost."""
    standby = setup.standby != "none"
    can_fail_over = (db.standby_back_s <= 0) & standby
    automated = can_fail_over & db.automation_ok & setup.automated
    rows = np.flatnonzero(~(back_s <= app.decisive_s) & ~automated)
    detect, cap, standby_back = app.detect_s[rows], back_s[rows], db.standby_back_s[rows]
    promotion, catch_up, warm_up, lag = db.promotion_s[rows], db.catch_up_s[rows], db.warm_up_s[rows], db.lag_s[rows]
    restore, cold = db.restore_s[rows], db.cold_warm_up_s
    acting = detect + app.respond_s[rows] + app.execute_s[rows]
    repair_at = detect + db.repair_s[rows]
    repaired = np.where(cap < repair_at, cap, repair_at)  # min(repair, cap): the first unless the cap is less
    back = repaired + (0 + db.crash_recovery_s + cold)
    promote_total = 0.0 + promotion + catch_up + warm_up
    restored = acting + (0.0 + restore + cold) if setup.can_restore else np.full(len(rows), INF)
    # promote now; or once the standby is back (max(acting, back): the first unless the second is more)
    now = can_fail_over[rows] & (acting < repaired)
    start = np.where(standby_back > acting, standby_back, acting)
    later = ~now & standby & (start + promote_total <= np.where(restored < back, restored, back))
    restore_now = ~now & ~later & setup.can_restore & (restored <= back)
    promoted = np.where(now, acting, start) + promotion + catch_up + warm_up
    ready = np.where(
        now | later, promoted, np.where(restore_now, acting + restore + cold, repaired + db.crash_recovery_s + cold)
    )
    loss = np.where(now | later, lag, np.where(restore_now, db.restore_loss_s[rows], 0.0))
    return rows, ready, ~(now | later | restore_now), loss


def db_failure_batch(
    shape: FleetShape,
    setup: DbSetup,
    app: AppDraws,
    db: DbDraws,
    back_s: Floats,
    *,
    escalation_s: float,
    threshold: float,
    write_rate: float,
    restart_batch_size: int = 0,
    verify_s: float | None = None,
) -> BatchOutcomes:
    """The primary database failures of a batch decided on the database side (``db_failure_plans``) where
    nobody acts, or where people paged at the escalation cycle the instances ``restart_batch_size`` at a time
    (``people_batch``; 0: left undecided); with ``verify_s``, those where people paged at detection recover
    the database (``db_paged_plans``) and find the service recovered ``verify_s`` after a primary is ready
    (``people.verify_after_failover``), so nobody acts on the fleet; the others are left undecided."""
    n = len(back_s)
    outcomes = BatchOutcomes.undecided(n)
    plans = rows, ready, same_address, loss = db_failure_plans(setup, app, db, back_s)
    nobody_first = bool(restart_batch_size) and not shape.deep
    nobody_first = nobody_first and _nobody_acts_in_most(shape, app, plans, escalation_s, threshold)
    if nobody_first:  # the service recovers before the escalation: nobody acts, which the form without people
        # decides for less, with the same figures; people cycling instances go through the pass below
        rto, impact, decided = served_after_primary_loss_batch(
            shape, app, rows, ready, same_address, escalation_s=escalation_s, threshold=threshold
        )
        take_db_losses(outcomes, outcomes.take(rows, rto, impact, decided), loss[decided], write_rate)
        rows, ready, same_address, loss = rows[~decided], ready[~decided], same_address[~decided], loss[~decided]
    if restart_batch_size and not shape.deep and len(rows):  # paged or not: one pass, the rest below
        decided = take_worked_out(outcomes, rows, cycled_by_hand_batch(
            shape, app, rows, (ready, same_address),
            escalation_s=escalation_s, threshold=threshold, batch_size=restart_batch_size,
        ))  # fmt: skip
        take_db_losses(outcomes, rows[decided], loss[decided], write_rate)
        rows, ready, same_address, loss = rows[~decided], ready[~decided], same_address[~decided], loss[~decided]
    if nobody_first:  # nobody acting left the rest undecided already: only those paged at detection are left
        rows, ready, same_address, loss = rows[:0], ready[:0], same_address[:0], loss[:0]
    escalation, checks, paged = np.full(len(rows), escalation_s, dtype=float), np.full(len(rows), np.nan), len(rows)
    if verify_s is not None:  # with nobody acting on the fleet: one pass for both
        at, primary, at_address, lost = db_paged_plans(setup, app, db, back_s)
        early = app.detect_s[at] <= escalation_s  # paged before the escalation, which then pages nobody
        rows, ready = np.concatenate((rows, at[early])), np.concatenate((ready, primary[early]))
        same_address, loss = np.concatenate((same_address, at_address[early])), np.concatenate((loss, lost[early]))
        escalation = np.concatenate((escalation, np.full(int(early.sum()), INF)))
        checks = np.concatenate((checks, primary[early] + verify_s))
    if len(rows):
        rto, impact, decided = served_after_primary_loss_batch(
            shape, app, rows, ready, same_address, escalation_s=escalation, threshold=threshold, checks=checks
        )
        take_db_losses(outcomes, outcomes.take(rows, rto, impact, decided), loss[decided], write_rate)
        if len(rows) > paged:  # paged at detection
            if outcomes.humans_needed is None:
                outcomes.humans_needed = np.zeros(n, dtype=bool)
            outcomes.humans_needed[rows[paged:][decided[paged:]]] = True
    return outcomes


def _nobody_acts_in_most(
    shape: FleetShape, app: AppDraws, plans: DbPlans, escalation_s: float, threshold: float
) -> bool:
    """Whether a large batch (``NOBODY_FIRST_FROM``) recovers before the escalation, nobody acting, in ¾ of its
    first incidents (``NOBODY_FIRST_TRIAL``): then that is worked out first for all."""
    rows, ready, same_address, _ = plans
    if len(rows) < NOBODY_FIRST_FROM:
        return False
    trial = slice(0, NOBODY_FIRST_TRIAL)
    decided = served_after_primary_loss_batch(
        shape, app, rows[trial], ready[trial], same_address[trial], escalation_s=escalation_s, threshold=threshold
    )[2]
    return bool(decided.sum() * 4 >= len(decided) * 3)


def take_db_losses(outcomes: BatchOutcomes, at: NDArray[np.intp], loss_s: Floats, write_rate: float) -> None:
    """The seconds of writes lost (``loss_s``) by the incidents ``at``, and the transactions lost with them."""
    outcomes.data_loss_s[at] = loss_s
    outcomes.lost_tx[at] = loss_s * write_rate + 0.0


@np.errstate(invalid="ignore", over="ignore")
def served_after_primary_zone_lost_batch(
    shape: FleetShape,
    draws: AppDraws,
    rows: NDArray[np.intp],
    lost: list[int],
    back: Floats,
    primary: tuple[Floats, Bools],
    *,
    escalation_s: float,
    threshold: float,
) -> tuple[Floats, Floats, Bools]:
    """``served_after_primary_zone_lost`` for the incidents ``rows`` of ``draws``: the instances ``lost`` were
    gone at 0 until ``back``, the others lost their primary then and reach one again from ``primary`` (when,
    at the same address); RTO, impact and whether decided."""
    n, m = len(rows), shape.instances
    ready, same_address = primary
    running = np.setdiff1d(np.arange(m), np.array(lost, dtype=np.intp))
    plans = _Plans()
    undecided = np.zeros(n, dtype=bool)
    if lost:
        lost_dwr = lost_changes(shape, draws, rows, lost, back, plans, undecided)
        up = lost_dwr[1]  # a lost instance works when it is up, which must be after the primary is ready
        undecided |= (_close(up, ready[:, None]) | ~(up > ready[:, None])).any(axis=1)
    _, (d, w, r), stays, primary_undecided = _primary_changes(
        shape, draws, rows, ready, same_address, None, escalation_s, running, plans
    )
    undecided |= primary_undecided | plans.refused()
    if lost:
        d, w, r = (np.concatenate((a, b), axis=1) for a, b in zip((d, w, r), lost_dwr[:3]))
        stays = np.concatenate((stays, lost_dwr[3]), axis=1)
    # every instance stops working at 0: the lost ones with their zone, the others with their primary
    side = _instances(shape, (np.zeros((n, 1)), (0, -m, -m)), (m, m, m), (d, w, r), stays, undecided)
    rto, impact, whole = _outcomes([side], escalation_s, threshold)
    return rto, impact, whole & ~undecided
