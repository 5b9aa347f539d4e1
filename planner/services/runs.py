"""Writes about runs: create (immutable snapshot + enqueue) or save finished results, execute chunk by
chunk, cancel.

``run_execute`` runs a whole run in this process (demo data, tests); the Celery tasks spread one over the
workers instead (``runs_distributed``), with the same results. It is idempotent and safe under
late acknowledgement: a redelivered run that already finished does nothing; a
run found ``running`` (its worker died) starts again from scratch, and results
are replaced, never appended.
"""

from __future__ import annotations

import contextlib
import logging
import time
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

import simulation
from planner.logs import request_id_var
from planner.models import Run, RunPart, Scenario, Workspace
from planner.services.db_retry import db_retry, unsynced_commit
from planner.services.heartbeat import heartbeat, stale_before
from planner.services.scenarios import document_normalize
from planner.tasks import run_scenario
from simulation.analysis.outcomes import SortedOutcomes, pack
from simulation.engine.results import RunResults

log = logging.getLogger(__name__)

FINISH_SHARE = 0.05  # share of the progress bar kept for putting the chunks together


class RunQuotaExceeded(Exception):
    """The workspace already has as many queued or running runs as it may (``RUNS_ACTIVE_PER_WORKSPACE``)."""


def run_create(*, scenario: Scenario, user, trials: int, seed: int, enqueue: bool = True) -> Run:
    """Snapshot the scenario (full document, seed, trials, engine version) and queue the run.

    ``enqueue=False`` leaves the run queued for the caller to execute itself (demo data). A queued run
    counts against the workspace's quota: ``RunQuotaExceeded`` (nothing created) once it is full.
    """
    return _run_create(
        workspace=scenario.workspace,
        scenario=scenario,
        document=scenario.document,
        user=user,
        trials=trials,
        seed=seed,
        enqueue=enqueue,
    )


def run_create_for_document(*, workspace: Workspace, document: object, user, trials: int, seed: int) -> Run:
    """Queue a run of a scenario document that is not saved as a scenario (an API client's own file)."""
    return _run_create(
        workspace=workspace, scenario=None, document=document, user=user, trials=trials, seed=seed, enqueue=True
    )


def _run_create(
    *, workspace: Workspace, scenario: Scenario | None, document: object, user, trials: int, seed: int, enqueue: bool
) -> Run:
    if trials < 1:
        raise ValueError("trials: must be at least 1")
    if seed < 0:
        raise ValueError("seed: must be a non-negative integer")
    if scenario is not None:
        document = _with_drill_facts(scenario, document)
    snapshot = document_normalize(document=document)
    with transaction.atomic():
        if enqueue:
            _quota_check(workspace_id=workspace.pk)
            twin = (
                None
                if scenario is None
                else _recent_twin(scenario=scenario, user=user, snapshot=snapshot, seed=seed, trials=trials)
            )
            if twin is not None:  # a double click: the same run, not a second one
                return twin
        run = Run.objects.create(
            workspace=workspace,
            scenario=scenario,
            scenario_name=scenario.name if scenario else snapshot["name"],
            snapshot=snapshot,
            seed=seed,
            trials=trials,
            engine_version=simulation.ENGINE_VERSION,
            created_by=_creator(user),
        )
    if enqueue:
        transaction.on_commit(lambda: run_enqueue(run_id=run.pk))
    return run


def _with_drill_facts(scenario: Scenario, document: dict) -> dict:
    """The document with the failover-test fields answered from the scenario's drill records, when it has any."""
    if not apps.is_installed("drills"):
        return document
    from drills.selectors import document_with_drill_facts  # the drills app builds on the planner

    return document_with_drill_facts(scenario=scenario, document=document)


def run_create_finished(
    *, scenario: Scenario, user, name: str, results: RunResults, outcomes: SortedOutcomes | None = None
) -> Run:
    """Save results the engine produced elsewhere (a workshop variant) as a finished run of the scenario.

    Snapshot, seed and trials come from the results themselves (docs/results.md), so the run is as
    reproducible as one the worker executed.
    """
    now = timezone.now()
    with transaction.atomic():
        Workspace.objects.select_for_update().filter(pk=scenario.workspace_id).first()  # one save at a time
        twin = _recent_twin(
            scenario=scenario,
            user=user,
            snapshot=results.scenario,
            seed=results.seed,
            trials=results.trials_per_type,
            name=name,
        )
        if twin is not None:  # the same variant saved twice (a double click)
            return twin
        return _create_finished(scenario=scenario, user=user, name=name, results=results, outcomes=outcomes, now=now)


def _create_finished(*, scenario: Scenario, user, name: str, results: RunResults, outcomes, now) -> Run:
    return Run.objects.create(
        workspace=scenario.workspace,
        scenario=scenario,
        scenario_name=name,
        snapshot=results.scenario,
        seed=results.seed,
        trials=results.trials_per_type,
        engine_version=simulation.ENGINE_VERSION,
        status=Run.Status.DONE,
        progress=1.0,
        results=results.to_json(),
        outcomes=pack(outcomes) if outcomes is not None else None,
        created_by=_creator(user),
        started_at=now,
        finished_at=now,
    )


DUPLICATE_WINDOW_S = 60  # the same submission again within this time is the same run


def _recent_twin(*, scenario: Scenario, user, snapshot: dict, seed: int, trials: int, name: str | None = None):
    """A run of the same scenario, snapshot, seed and trials the same user created moments ago (and that did
    not fail or get cancelled): what a double submission should return instead of a second run."""
    since = timezone.now() - timedelta(seconds=DUPLICATE_WINDOW_S)
    candidates = Run.objects.filter(
        scenario=scenario,
        created_by=_creator(user),
        seed=seed,
        trials=trials,
        created_at__gte=since,
        status__in=[Run.Status.QUEUED, Run.Status.RUNNING, Run.Status.DONE],
    )
    if name is not None:
        candidates = candidates.filter(scenario_name=name)
    return next((run for run in candidates.order_by("-id") if run.snapshot == snapshot), None)


def _creator(user):
    return user if getattr(user, "is_authenticated", False) else None


def _quota_check(*, workspace_id: int) -> None:
    """Lock the workspace row (one run start at a time) and refuse once its active runs fill the quota."""
    Workspace.objects.select_for_update().filter(pk=workspace_id).first()
    limit = settings.RUNS_ACTIVE_PER_WORKSPACE
    active = Run.objects.filter(workspace_id=workspace_id, status__in=[Run.Status.QUEUED, Run.Status.RUNNING]).count()
    if active >= limit:
        raise RunQuotaExceeded(
            f"This workspace already has {active} runs queued or running (at most {limit}). "
            "Wait for one to finish, or cancel one, then start this run again."
        )


def run_enqueue(*, run_id: int, fail_on_error: bool = True) -> None:
    """Hand the run to a worker; when the broker cannot be reached the run fails with that reason.

    The run's heartbeat records the sending, so the watchdog can tell a message that was lost."""
    Run.objects.filter(pk=run_id, status=Run.Status.QUEUED).update(heartbeat_at=timezone.now())
    try:
        run_scenario.apply_async(
            args=[run_id],
            retry=True,
            headers={"request_id": request_id_var.get()},
            retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
        )
    except Exception as error:  # any broker error: record it on the run
        log.exception("could not queue run", extra={"run_id": run_id, "operation": "run_enqueue"})
        if not fail_on_error:  # the watchdog sends it again once the broker is back
            return
        Run.objects.filter(pk=run_id, status=Run.Status.QUEUED).update(
            status=Run.Status.FAILED,
            error=f"Could not queue the run: {error.__class__.__name__}: {error}"[:2000],
            finished_at=timezone.now(),
        )


def run_cancel(*, run: Run) -> bool:
    """Cancel a queued or running run; the worker stops before its next chunk. False if already finished."""
    changed = Run.objects.filter(pk=run.pk, status__in=[Run.Status.QUEUED, Run.Status.RUNNING]).update(
        status=Run.Status.CANCELLED, finished_at=timezone.now(), eta_s=None
    )
    if changed:  # the pieces stored so far; one stored after this sees the run cancelled and drops itself
        RunPart.objects.filter(run_id=run.pk).delete()
    run.refresh_from_db()
    return bool(changed)


def _still_mine(run_id: int, attempt: int) -> bool:
    """The run is still running under this attempt (not cancelled, not taken over after a stall)."""
    return db_retry(
        lambda: Run.objects.filter(pk=run_id, status=Run.Status.RUNNING, attempts=attempt).exists(), what="status check"
    )


def _progress_write(run_id: int, attempt: int, *, done: int, total: int, started: float) -> None:
    """One cheap UPDATE: chunks done, progress, the estimated time left and the heartbeat."""
    elapsed = time.monotonic() - started
    per_chunk = elapsed / done if done else 0.0
    eta_s = per_chunk * (total - done)  # the finishing step reports its own time left once it starts
    progress = (1 - FINISH_SHARE) * done / total if total else 0.0
    db_retry(
        lambda: Run.objects.filter(pk=run_id, status=Run.Status.RUNNING, attempts=attempt).update(
            chunks_done=done, progress=min(progress, 1.0), eta_s=round(eta_s, 1), heartbeat_at=timezone.now()
        ),
        what="progress write",
    )


def _finishing_progress(run_id: int, attempt: int):
    """The finishing step's own progress: the last ``FINISH_SHARE`` of the bar moves with each of its steps
    (the simulated years, then each checklist question), and the time left follows their pace. Its commits
    do not wait for the disk (the results' commit does)."""
    started = time.monotonic()

    def write(done: int, total: int) -> None:
        elapsed = time.monotonic() - started
        eta_s = elapsed / done * (total - done) if done else None
        progress = 1 - FINISH_SHARE + FINISH_SHARE * done / total
        with unsynced_commit():
            Run.objects.filter(pk=run_id, status=Run.Status.RUNNING, attempts=attempt).update(
                progress=min(progress, 0.999), eta_s=None if eta_s is None else round(eta_s, 1)
            )

    return write


def _fail(run_id: int, message: str, attempt: int | None = None) -> None:
    """Mark the run failed; when even that cannot reach the database, the watchdog settles it later."""
    rows = Run.objects.filter(pk=run_id, status=Run.Status.RUNNING)
    if attempt is not None:
        rows = rows.filter(attempts=attempt)
    try:
        db_retry(
            lambda: rows.update(status=Run.Status.FAILED, error=message[:4000], finished_at=timezone.now(), eta_s=None),
            what="failure write",
        )
    except DatabaseError:
        log.exception("could not record the failure", extra={"run_id": run_id, "operation": "run_execute"})


def _claim(run_id: int) -> int | None:
    """Take a queued run, or a running one whose heartbeat went stale (its worker died); the new attempt."""
    stale = Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=stale_before())
    claimable = Q(status=Run.Status.QUEUED) | (Q(status=Run.Status.RUNNING) & stale)

    def claim() -> int | None:
        now = timezone.now()
        with transaction.atomic():
            run = Run.objects.select_for_update().filter(claimable, pk=run_id).first()
            if run is None:
                return None
            run.attempts += 1
            run.status, run.started_at, run.heartbeat_at, run.finished_at = Run.Status.RUNNING, now, now, None
            run.progress, run.chunks_done, run.eta_s, run.error, run.results = 0.0, 0, None, "", None
            run.outcomes = None
            run.save()
            return run.attempts

    return db_retry(claim, what="claim")


def run_execute(*, run_id: int) -> Run | None:
    """Run the engine chunk by chunk, writing progress after each chunk and results at the end.

    Every write names the attempt that claimed the run, so a worker that stalled and was replaced
    (``planner.services.watchdog``) can no longer change it.
    """
    from simulation import finish_run_with_outcomes, plan_run, run_chunk

    run = db_retry(lambda: Run.objects.filter(pk=run_id).first(), what="load")
    if run is None or run.is_finished:
        return run
    attempt = _claim(run_id)
    if attempt is None:
        return Run.objects.get(pk=run_id)
    extra = {"run_id": run_id, "operation": "run_execute", "attempt": attempt}
    log.info("run started", extra=extra)
    started = time.monotonic()
    try:
        scenario = simulation.load_scenario(run.snapshot)
        plan = plan_run(scenario, trials=run.trials, seed=run.seed)
        total = len(plan.chunks)
        db_retry(lambda: Run.objects.filter(pk=run_id, attempts=attempt).update(chunks_total=total), what="plan")
        parts = []
        for index in range(total):
            if not _still_mine(run_id, attempt):
                log.info("run stopped before chunk %s", index, extra=extra)
                return Run.objects.get(pk=run_id)
            parts.append(run_chunk(scenario, plan, index))
            _progress_write(run_id, attempt, done=index + 1, total=total, started=started)
        if not _still_mine(run_id, attempt):
            return Run.objects.get(pk=run_id)
        with heartbeat(run_id, attempt):
            finished, outcomes = finish_run_with_outcomes(
                scenario, plan, parts, progress=_finishing_progress(run_id, attempt)
            )
        results, packed = finished.to_json(), pack(outcomes)
        db_retry(lambda: _save_results(run_id, attempt, results, packed, total), what="results write")
    except SoftTimeLimitExceeded:
        _fail(run_id, "The run took longer than the time limit; try fewer trials.", attempt)
    except simulation.ScenarioError as error:
        _fail(run_id, f"The scenario snapshot is not valid for engine {simulation.ENGINE_VERSION}: {error}", attempt)
    except DatabaseError:
        # the database stayed away longer than DB_RETRY_WINDOW_S: queue the run again (or, if even that cannot
        # be written, leave it to the watchdog, which finds its heartbeat stale)
        log.exception("run lost its database", extra=extra)
        from planner.services.watchdog import run_requeue

        with contextlib.suppress(DatabaseError):
            run_requeue(run_id=run_id, attempt=attempt, reason="the database could not be reached")
    except Exception as error:  # record any engine failure on the run
        log.exception("run failed", extra=extra)
        _fail(run_id, f"{error.__class__.__name__}: {error}", attempt)
    log.info("run finished in %.1f s", time.monotonic() - started, extra=extra)
    return db_retry(lambda: Run.objects.get(pk=run_id), what="reload")


def _save_results(run_id: int, attempt: int, results: dict, outcomes, total: int) -> None:
    with transaction.atomic():
        locked = Run.objects.select_for_update().get(pk=run_id)
        if locked.status == Run.Status.RUNNING and locked.attempts == attempt:
            locked.results = results
            locked.outcomes = outcomes
            locked.status = Run.Status.DONE
            locked.progress = 1.0
            locked.chunks_done = total
            locked.eta_s = 0.0
            locked.finished_at = locked.heartbeat_at = timezone.now()
            locked.save(
                update_fields=[
                    "results",
                    "outcomes",
                    "status",
                    "progress",
                    "chunks_done",
                    "eta_s",
                    "finished_at",
                    "heartbeat_at",
                ]
            )
