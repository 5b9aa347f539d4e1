"""A run spread over every Celery worker that shares the broker and the database.

Each piece of work is a task of its own, and its result a ``RunPart`` row keyed by (run, kind, key):

1. ``run_dispatch`` (the run's own task) claims the run under a new attempt (``runs._claim``: a queued run,
   or a running one whose heartbeat went stale), plans it with the engine, claims the *jobs* stage (the
   checklist's variant runs, which depend on the scenario alone) and queues a task per run of consecutive
   chunks not stored yet (``chunk_batches``: at most ``TASKS_PER_RUN`` tasks) and one per variant run.
2. ``part_execute`` runs those chunks (``compute_chunk``) and stores each one's outcomes, or runs and
   stores one variant run. A chunk task that finds every chunk of an incident type stored queues that type's
   own task, which makes the type's figures from its chunks (``engine.replays.type_results``, which also
   replays the incidents whose timelines are kept) and stores them (a stage row ``type:<name>``), while the
   other types' chunks still run. The task that finds every piece stored claims *finish* and queues
   ``run_finish``, which puts the pieces together with the engine's ``finish_run_with_outcomes`` (given the
   types' stored figures) and saves the results with the sorted outcomes that re-judging needs.

The engine draws chunk ``c`` of type ``t`` from the stream ``(t, c)``, so the results are byte-identical to a
run in one process and to the CLI with the same seed, whichever worker runs which piece.

Every task names the attempt that queued it and does nothing once the run is no longer running under that
attempt (cancelled, failed, or re-queued by the watchdog after a stall), so a replaced attempt writes nothing;
the pieces it stored stay (a piece depends only on the run's snapshot and seed) and the new attempt queues
only what is missing. Progress writes carry the heartbeat (``Run.heartbeat_at``), and a long step (a variant
run, the finish) beats from a thread. Tasks are acknowledged late and idempotent: a stored piece is never
computed twice, a stage is claimed by one task only (a unique row per attempt, created in the same
transaction as the messages it queues), and a piece delivered twice is stored once. Database writes wait
through a short outage (``db_retry``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.db import DatabaseError, transaction
from django.db.models import Exists, F, OuterRef, Value
from django.db.models.functions import Greatest
from django.utils import timezone

import simulation
from planner.logs import request_id_var
from planner.models import Run, RunPart
from planner.services.db_retry import db_retry
from planner.services.heartbeat import heartbeat
from planner.services.run_parts import pack_outcomes, unpack_outcomes
from planner.services.run_store import (
    CHUNK,
    FIGURES_OF,
    OUTCOMES_OF,
    STAGE,
    VARIANT,
    Tally,
    done_keys,
    drop_if_finished,
    outcomes_write,
    store,
    stored,
    tally,
    type_key,
)
from planner.services.runs import FINISH_SHARE, _claim, _finishing_progress
from simulation.analysis.checklist import variant_runs
from simulation.analysis.outcomes import pack
from simulation.engine.chunks import ChunkResult, compute_chunk, simulate_type
from simulation.engine.plan import RunPlan, scenario_sha256
from simulation.engine.replays import type_results
from simulation.incidents.outcomes import Batch
from simulation.model.loading import dump_document

log = logging.getLogger(__name__)

CHUNK_SHARE = 0.8  # share of the progress bar for the chunks; the variant runs (run alongside) fill the rest …
JOB_SHARE = 1 - FINISH_SHARE - CHUNK_SHARE  # … but the last bit, the finish's own (``runs._finishing_progress``)
CONTEXTS_KEPT = 8  # scenarios and plans a worker process keeps, by run
JOBS_WAIT_S = 10.0  # how long a job waits for its stage's row to commit
TASKS_PER_RUN = 64  # chunk tasks a run is cut into (enough to keep many worker processes busy)
PROGRESS_EVERY_S = 0.5  # a worker process writes a run's progress (and heartbeat) at most this often
TYPE = "type"  # a task's kind (not a row's): one incident type's figures and outcomes, stored as two stage rows

_CONTEXT: dict[tuple[int, Any], tuple[simulation.Scenario, RunPlan]] = {}
_LAST_PROGRESS: dict[int, float] = {}
_VARIANTS: dict[tuple[int, Any, int], int] = {}  # variant runs listed by a run's attempt (its jobs stage never changes)


# -- entry points (the tasks call these) ------------------------------------------------------------
def run_dispatch(*, run_id: int) -> None:
    """Claim the run under a new attempt and queue its chunks that are not stored yet.

    A run already finished, or running under a live attempt (a duplicate message), is left alone.
    """
    run = db_retry(lambda: Run.objects.filter(pk=run_id).first(), what="load")
    if run is None or run.is_finished:
        return
    attempt = _claim(run_id)
    if attempt is None:
        return
    log.info("run started", extra=_extra(run_id, "run_dispatch", attempt))
    db_retry(lambda: _dispatch(run_id, attempt), what="dispatch")


def _dispatch(run_id: int, attempt: int) -> None:
    run = _running(run_id, attempt)
    if run is None:
        return
    with _failures_recorded(run_id, attempt):
        scenario, plan = _context(run)
        done = RunPart.objects.filter(run_id=run_id, kind=CHUNK).count()  # an earlier attempt's pieces stay
        Run.objects.filter(pk=run_id, attempts=attempt).update(chunks_total=len(plan.chunks), chunks_done=done)
        _advance(run_id, attempt, resume=True)


def part_execute(*, run_id: int, kind: str, key: str, attempt: int) -> None:
    """Compute and store one piece (unless stored already), write progress, and move the run on."""
    db_retry(lambda: _part_execute(run_id, kind, key, attempt), what=f"run part {kind} {key}")


def _part_execute(run_id: int, kind: str, key: str, attempt: int) -> None:
    if kind == CHUNK:
        _chunks_execute(run_id, key, attempt)
        return
    row_kind, row_key = (STAGE, type_key(key)) if kind == TYPE else (kind, key)
    piece = RunPart.objects.filter(run_id=OuterRef("pk"), kind=row_kind, key=row_key, arrays__isnull=False)
    run = _running(run_id, attempt, stored=Exists(piece))  # one query: the run, and whether this piece is stored
    if run is None:
        drop_if_finished(run_id)
        return
    with _failures_recorded(run_id, attempt):
        if not run.stored:
            scenario, plan = _context(run)
            with heartbeat(run_id, attempt):
                pieces = _compute(scenario, plan, run_id, attempt, kind, key)
            if pieces is None:
                return
            store(run_id, pieces)
        _progress_write(run, attempt, *_progress_of(run, attempt, tally(run_id)))
        _advance(run_id, attempt)


def _chunks_execute(run_id: int, key: str, attempt: int) -> None:
    """A few consecutive chunks (``"first-last"``, or one index): each one not stored yet is run and stored
    under its own index, then progress, and the last chunk of the run moves it on."""
    first, _, last = key.partition("-")
    indices = [str(i) for i in range(int(first), int(last or first) + 1)]
    chunks = RunPart.objects.filter(run_id=OuterRef("pk"), kind=CHUNK, key__in=indices)
    run = _running(run_id, attempt, stored=Exists(chunks))  # one query: the run, and whether any chunk is stored
    if run is None:
        drop_if_finished(run_id)
        return
    with _failures_recorded(run_id, attempt):
        missing = indices
        if run.stored:  # a redelivered task: only the chunks not stored yet
            kept = set(RunPart.objects.filter(run_id=run_id, kind=CHUNK, key__in=indices).values_list("key", flat=True))
            missing = [i for i in indices if i not in kept]
        scenario, plan = _context(run)
        if missing:  # the plan was made for this scenario (``_context``): no need to check it chunk by chunk
            store(run_id, [(CHUNK, i, pack_outcomes(compute_chunk(scenario, plan, int(i)))) for i in missing])
        names = dict.fromkeys(plan.chunks[int(i)].incident_type for i in indices)
        counted = tally(run_id, plan, names)  # one query: the stored chunks, variant runs and types
        _enqueue_parts(run_id, attempt, [(TYPE, name) for name in counted.ready])
        progress, done = _progress_of(run, attempt, counted)
        _progress_write(run, attempt, progress, done)
        if done >= run.chunks_total:  # the last chunk (or one of the last, delivered at once) moves the run on
            _advance(run_id, attempt)


def _finish_parts(
    run_id: int, plan: RunPlan
) -> tuple[list[ChunkResult], dict[str, Batch] | None, dict[str, dict[str, Any]]]:
    """The figures of the types stored, and their outcomes: each type's own in trial order when every type's
    are stored (no parts needed), else every chunk's (cut from each type's stored outcomes, else its stored
    chunks)."""
    figures, outcomes = {}, {}
    for key, data in stored(run_id, STAGE):
        if key.startswith(FIGURES_OF):
            figures[key.removeprefix(FIGURES_OF)] = json.loads(bytes(data))
        elif key.startswith(OUTCOMES_OF):
            outcomes[key.removeprefix(OUTCOMES_OF)] = unpack_outcomes(data)
    if all(name in outcomes for name in plan.rates_per_year):
        return [], {name: Batch(**outcomes[name]) for name in plan.rates_per_year}, figures
    left = [i for i, spec in enumerate(plan.chunks) if spec.incident_type not in outcomes]
    parts = _chunk_results(run_id, plan, left) if left else []
    for name, arrays in outcomes.items():
        for i in plan.chunks_of(name):
            cut = slice(plan.chunks[i].start, plan.chunks[i].start + plan.chunks[i].n)
            parts.append(ChunkResult(index=i, incident_type=name, **{k: a[cut] for k, a in arrays.items()}))
    return parts, None, figures


def run_finish(*, run_id: int, attempt: int) -> None:
    """Put the stored pieces together (``finish_run_with_outcomes``), write the results and sorted outcomes,
    and drop the pieces."""
    db_retry(lambda: _run_finish(run_id, attempt), what="run finish")


def _run_finish(run_id: int, attempt: int) -> None:
    run = _running(run_id, attempt)
    if run is None:
        drop_if_finished(run_id)
        return
    with _failures_recorded(run_id, attempt):
        scenario, plan = _context(run)
        parts, batches, figures = _finish_parts(run_id, plan)
        variants = {key: Batch(**unpack_outcomes(data)) for key, data in stored(run_id, VARIANT)}

        def stored_runs(variant: simulation.Scenario, name: str, *, seed: int, trials: int, chunk_size: int) -> Batch:
            stored = variants.get(_variant_key(variant, name, trials))
            if stored is not None:
                return stored
            return simulate_type(variant, name, seed=seed, trials=trials, chunk_size=chunk_size)

        with heartbeat(run_id, attempt):
            finished, outcomes = simulation.finish_run_with_outcomes(
                scenario, plan, parts, variant_runs=stored_runs, progress=_every(_finishing_progress(run_id, attempt)),
                type_figures=figures, type_batches=batches,
            )  # fmt: skip
        results, packed = finished.to_json(), pack(outcomes)
        with transaction.atomic():
            now = timezone.now()
            saved = Run.objects.filter(pk=run_id, status=Run.Status.RUNNING, attempts=attempt).update(
                results=results, status=Run.Status.DONE, progress=1.0, chunks_done=len(plan.chunks), eta_s=0.0,
                finished_at=now, heartbeat_at=now,
            )  # fmt: skip
            if saved:
                outcomes_write(run_id, packed)  # the same transaction: the run is done with its outcomes
                RunPart.objects.filter(run_id=run_id).delete()
        if saved:
            elapsed_s = (now - run.started_at).total_seconds() if run.started_at else 0.0
            log.info("run finished in %.1f s", elapsed_s, extra=_extra(run_id, "run_finish", attempt))


# -- moving the run on ------------------------------------------------------------------------------
def _advance(run_id: int, attempt: int, *, resume: bool = False) -> None:
    """Queue what the run needs next: its pieces (on resume: those not stored yet), or the finish.

    A stage is queued by the task that creates its marker row (one per attempt), in the same transaction: if
    that task dies before committing, the marker is gone too and the redelivered message queues it again.
    The jobs stage (the variant runs) is claimed with the chunks: its list depends on the scenario alone.
    The types' figures are pieces too (queued by the chunk task that stores a type's last chunk; on resume
    here, for a type whose chunks are all stored).
    """
    run = _running(run_id, attempt)
    if run is None:
        return
    scenario, plan = _context(run)
    with transaction.atomic():
        marker, created = RunPart.objects.get_or_create(
            run_id=run_id, kind=STAGE, key=f"jobs@{attempt}", defaults={"spec": lambda: _finish_jobs(scenario, plan)}
        )
        jobs = [(CHUNK, str(i)) for i in range(len(plan.chunks))] + [(VARIANT, key) for key in marker.spec["variants"]]
        jobs += [(STAGE, type_key(name)) for name in plan.rates_per_year]
        done = set(done_keys(run_id, [CHUNK, VARIANT, STAGE]))
        if created or resume:
            missing = [i for i in range(len(plan.chunks)) if (CHUNK, str(i)) not in done]
            chunks = [(CHUNK, key) for key in chunk_batches(missing, total=len(plan.chunks))]
            variants = [job for job in jobs if job[0] == VARIANT and job not in done]
            types = [(TYPE, name) for name in tally(run_id, plan, plan.rates_per_year).ready]
            _enqueue_parts(run_id, attempt, chunks + variants + types)
    if any(job not in done for job in jobs):
        return
    with transaction.atomic():
        _, created = RunPart.objects.get_or_create(run_id=run_id, kind=STAGE, key=f"finish@{attempt}")
        if created or resume:
            _enqueue_finish(run_id, attempt)


def chunk_batches(indices: list[int], *, total: int) -> list[str]:
    """Task keys for chunk indices: runs of consecutive indices, about TASKS_PER_RUN tasks for the whole run
    (a chunk takes tens of milliseconds, about what a task's own round trips cost), one chunk a task for
    runs of fewer chunks than that."""
    size = max(1, -(-total // TASKS_PER_RUN))
    keys: list[str] = []
    batch: list[int] = []
    for index in sorted(indices):
        if batch and (index != batch[-1] + 1 or len(batch) == size):
            keys.append(_batch_key(batch))
            batch = []
        batch.append(index)
    if batch:
        keys.append(_batch_key(batch))
    return keys


def _batch_key(batch: list[int]) -> str:
    return str(batch[0]) if len(batch) == 1 else f"{batch[0]}-{batch[-1]}"


def _chunk_results(run_id: int, plan: RunPlan, indices: list[int] | None = None) -> list[ChunkResult]:
    """The stored chunks (only those at ``indices`` when given), in index order."""
    keys = None if indices is None else [str(i) for i in indices]
    return [
        ChunkResult(index=int(key), incident_type=plan.chunks[int(key)].incident_type, **unpack_outcomes(data))
        for key, data in stored(run_id, CHUNK, keys)
    ]


def _finish_jobs(scenario: simulation.Scenario, plan: RunPlan) -> dict[str, Any]:
    """The finishing step's jobs: the checklist's variant runs (``checklist.variant_runs``, as the CLI runs
    them alongside the chunks). ``run_finish`` simulates any it was not given, so the results never depend
    on this list."""
    variants: dict[str, dict[str, Any]] = {}
    for variant, name, trials in variant_runs(scenario, trials=plan.trials, chunk_size=plan.chunk_size):
        variants.setdefault(
            _variant_key(variant, name, trials),
            {"document": dump_document(variant), "incident_type": name, "trials": trials},
        )
    return {"variants": variants}


def _compute(
    scenario: simulation.Scenario, plan: RunPlan, run_id: int, attempt: int, kind: str, key: str
) -> list[tuple[str, str, bytes]] | None:
    """The piece's rows (kind, key, arrays); None when its job list is not there (see ``_jobs_spec``) or does
    not name it. A type's piece is two rows: its figures (as JSON) and its outcomes in trial order (what the
    finish reads instead of the type's chunks)."""
    if kind == TYPE:  # every chunk of the type is stored (``Tally.ready``)
        batch = Batch.concat([part.batch() for part in _chunk_results(run_id, plan, plan.chunks_of(key))])
        figures = json.dumps(type_results(scenario, plan, key, batch)).encode()
        return [(STAGE, type_key(key), figures), (STAGE, f"{OUTCOMES_OF}{key}", pack_outcomes(batch))]
    if kind == VARIANT:
        jobs = _jobs_spec(run_id, attempt)
        if jobs is None:
            return None
        spec = jobs["variants"].get(key)
        if spec is None:  # not a job of this attempt's list
            return None
        variant = simulation.load_scenario(spec["document"])
        batch = simulate_type(
            variant, spec["incident_type"], seed=plan.seed, trials=int(spec["trials"]), chunk_size=plan.chunk_size
        )
        return [(kind, key, pack_outcomes(batch))]
    raise ValueError(f"kind: no such piece of a run: {kind!r}")


def _jobs_spec(run_id: int, attempt: int) -> dict[str, Any] | None:
    """The job list of the attempt's jobs stage. Its messages are queued before its row commits, so a quick
    worker waits a moment for it; if it never comes (the task that queued them died), the job is left to the
    queueing task's redelivered message, which queues the stage again."""
    deadline = time.monotonic() + JOBS_WAIT_S
    while True:
        spec = _stage_spec(run_id, attempt)
        if spec is not None or time.monotonic() > deadline:
            return spec
        time.sleep(0.05)


def _variants_listed(run: Run, attempt: int) -> int:
    """How many variant runs the attempt's jobs stage lists (0 before it commits), read once per process."""
    key = (run.pk, run.created_at, attempt)  # the id alone could name another run of a recreated (test) database
    if key not in _VARIANTS:
        spec = _stage_spec(run.pk, attempt)
        if spec is None:
            return 0
        _VARIANTS.clear()  # one entry: the run this process works on now
        _VARIANTS[key] = len(spec["variants"])
    return _VARIANTS[key]


def _stage_spec(run_id: int, attempt: int) -> dict[str, Any] | None:
    rows = RunPart.objects.filter(run_id=run_id, kind=STAGE, key=f"jobs@{attempt}")
    return rows.values_list("spec", flat=True).first()


def _variant_key(variant: simulation.Scenario, name: str, trials: int) -> str:
    return f"{scenario_sha256(variant)[:32]}:{name}:{trials}"


# -- storage ----------------------------------------------------------------------------------------
# -- the run's row ----------------------------------------------------------------------------------
def _running(run_id: int, attempt: int, **annotations: Any) -> Run | None:
    """The run, while it is still running under this attempt."""
    runs = Run.objects.filter(pk=run_id, status=Run.Status.RUNNING, attempts=attempt).defer("snapshot", "results")
    return runs.annotate(**annotations).first()


def _context(run: Run) -> tuple[simulation.Scenario, RunPlan]:
    """The run's scenario and plan, kept per worker process (planning and validating cost milliseconds)."""
    key = (run.pk, run.created_at)  # the id alone could name another run of a recreated (test) database
    context = _CONTEXT.get(key)
    if context is None:
        snapshot = Run.objects.values_list("snapshot", flat=True).get(pk=run.pk)
        scenario = simulation.load_scenario(snapshot)
        context = (scenario, simulation.plan_run(scenario, trials=run.trials, seed=run.seed))
        while len(_CONTEXT) >= CONTEXTS_KEPT:
            _CONTEXT.pop(next(iter(_CONTEXT)))
        _CONTEXT[key] = context
    return context


def _progress_of(run: Run, attempt: int, counted: Tally) -> tuple[float, int]:
    """Where the stored chunks and variant runs have brought the bar (they run side by side), and the
    number of chunks stored."""
    variants = _variants_listed(run, attempt)
    progress = CHUNK_SHARE * min(counted.chunks / max(run.chunks_total, 1), 1.0)
    progress += JOB_SHARE * (min(counted.variants / variants, 1.0) if variants else 0.0)
    return progress, counted.chunks


def _progress_write(run: Run, attempt: int, progress: float, chunks_done: int | None = None) -> None:
    """One UPDATE with the heartbeat, at most every PROGRESS_EVERY_S per worker process (pieces take a fraction
    of a second); progress and chunks done only ever grow, whichever worker writes last, and the time left
    follows from the rate so far."""
    now = time.monotonic()
    if now - _LAST_PROGRESS.get(run.pk, -PROGRESS_EVERY_S) < PROGRESS_EVERY_S:
        return
    _LAST_PROGRESS.clear()  # one entry: the run this process works on now
    _LAST_PROGRESS[run.pk] = now
    elapsed_s = (timezone.now() - run.started_at).total_seconds() if run.started_at else 0.0
    eta_s = round(elapsed_s * (1 - progress) / progress, 1) if progress > 0 else None
    fields: dict[str, Any] = {"progress": Greatest(F("progress"), Value(progress)), "heartbeat_at": timezone.now()}
    if chunks_done is not None:
        fields["chunks_done"] = Greatest(F("chunks_done"), Value(chunks_done))
    if eta_s is not None:
        fields["eta_s"] = eta_s
    Run.objects.filter(pk=run.pk, status=Run.Status.RUNNING, attempts=attempt).update(**fields)


def _every(write: Callable[[int, int], None]) -> Callable[[int, int], None]:
    """``write``, called at most every PROGRESS_EVERY_S from now on: a finish shorter than that writes no
    progress of its own (its heartbeat beats from a thread), a long one still moves the bar."""
    last = time.monotonic()

    def throttled(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY_S:
            last = now
            write(done, total)

    return throttled


@contextmanager
def _failures_recorded(run_id: int, attempt: int) -> Iterator[None]:
    """Record an engine failure on the run (it fails with the reason); database and broker errors propagate."""
    try:
        yield
    except DatabaseError:
        raise
    except Exception as error:  # any engine failure: record it on the run
        if isinstance(error, SoftTimeLimitExceeded):
            message = "A piece of the run took longer than the time limit; try fewer trials."
        elif isinstance(error, simulation.ScenarioError):
            message = f"The scenario snapshot is not valid for engine {simulation.ENGINE_VERSION}: {error}"
        else:
            log.exception("run failed", extra=_extra(run_id, "run_part", attempt))
            message = f"{error.__class__.__name__}: {error}"
        failed = Run.objects.filter(pk=run_id, status=Run.Status.RUNNING, attempts=attempt).update(
            status=Run.Status.FAILED, error=message[:4000], finished_at=timezone.now(), eta_s=None
        )
        if failed:
            RunPart.objects.filter(run_id=run_id).delete()


# -- queueing ---------------------------------------------------------------------------------------
def _enqueue_parts(run_id: int, attempt: int, pieces: list[tuple[str, str]]) -> None:
    from planner.tasks import run_part

    headers = {"request_id": request_id_var.get()}
    for kind, key in pieces:
        run_part.apply_async(args=[run_id, kind, key, attempt], headers=headers)


def _enqueue_finish(run_id: int, attempt: int) -> None:
    from planner.tasks import run_finish as run_finish_task

    run_finish_task.apply_async(args=[run_id, attempt], headers={"request_id": request_id_var.get()})


def _extra(run_id: int, operation: str, attempt: int) -> dict[str, Any]:
    return {"run_id": run_id, "operation": operation, "attempt": attempt}
