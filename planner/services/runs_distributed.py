"""A run spread over every Celery worker that shares the broker and the database.

Each piece of work is a task of its own, and its result a ``RunPart`` row keyed by (run, kind, key):

1. ``run_dispatch`` (the run's own task) claims the run, plans it with the engine and queues a task per run
   of consecutive chunks not stored yet (``chunk_batches``: at most ``TASKS_PER_RUN`` tasks).
2. ``part_execute`` runs those chunks (``simulation.run_chunk``) and stores each one's outcomes. The task that finds
   every chunk stored claims the *jobs* stage: it lists the finishing step's jobs (the chunks re-run with
   their timelines kept, and the checklist's variant runs) and queues one task per job.
3. ``part_execute`` runs one job; the task that finds every job stored claims *finish* and queues
   ``run_finish``, which puts the pieces together with the engine's ``finish_run``.

The engine draws chunk ``c`` of type ``t`` from the stream ``(t, c)``, so the results are byte-identical to a
run in one process and to the CLI with the same seed, whichever worker runs which piece.

Tasks are acknowledged late and idempotent: a stored piece is never computed twice, a stage is claimed by
one task only (a unique row created in the same transaction as the messages it queues), and a piece
delivered twice is stored once. ``run_dispatch`` on a run already ``running`` (a redelivered or re-queued
message) queues only what is missing, so a lost worker costs its pieces in flight. Cancel: every task first
checks that its run is still running, so the queued remainder does nothing.
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from celery.exceptions import SoftTimeLimitExceeded
from django.db import DatabaseError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

import simulation
from planner.logs import request_id_var
from planner.models import Run, RunPart
from simulation.analysis.checklist import evaluate_checklist
from simulation.engine.chunks import OUTCOMES, ChunkResult, batches_by_type, simulate_type
from simulation.engine.plan import RunPlan, scenario_sha256
from simulation.engine.replays import replay_chunk, replay_chunks
from simulation.incidents.outcomes import Batch, Replay
from simulation.model.loading import dump_document

log = logging.getLogger(__name__)

CHUNK_SHARE = 0.8  # share of the progress bar for the chunks; the finishing step's jobs fill the rest
JOB_SHARE = 0.18  # … but the last bit, kept for putting the pieces together
CONTEXTS_KEPT = 8  # scenarios and plans a worker process keeps, by run
JOBS_WAIT_S = 10.0  # how long a job waits for its stage's row to commit
TASKS_PER_RUN = 64  # chunk tasks a run is cut into (enough to keep many worker processes busy)
PROGRESS_EVERY_S = 0.5  # a worker process writes a run's progress at most this often
# plain strings (they key sets and travel as task arguments)
CHUNK, REPLAY, VARIANT, STAGE = (RunPart.Kind.CHUNK.value, RunPart.Kind.REPLAY.value, RunPart.Kind.VARIANT.value,
                                 RunPart.Kind.STAGE.value)  # fmt: skip

_CONTEXT: dict[tuple[int, Any], tuple[simulation.Scenario, RunPlan]] = {}
_LAST_PROGRESS: dict[int, float] = {}


# -- entry points (the tasks call these) ------------------------------------------------------------
def run_dispatch(*, run_id: int) -> None:
    """Claim a queued run and queue its chunks; on a run already running, queue whatever is missing."""
    run = Run.objects.filter(pk=run_id).first()
    if run is None or run.is_finished:
        return
    resume = run.status == Run.Status.RUNNING
    if not resume:
        claimed = Run.objects.filter(pk=run_id, status=Run.Status.QUEUED).update(
            status=Run.Status.RUNNING, started_at=timezone.now(), finished_at=None, progress=0.0, chunks_done=0,
            eta_s=None, error="", results=None,
        )  # fmt: skip
        if not claimed:
            return
        RunPart.objects.filter(run_id=run_id).delete()  # nothing of an earlier attempt is trusted
    log.info("run resumed" if resume else "run started", extra=_extra(run_id, "run_dispatch"))
    with _failures_recorded(run_id):
        scenario, plan = _context(run)
        Run.objects.filter(pk=run_id).update(chunks_total=len(plan.chunks))
        _advance(run_id, resume=True)


def part_execute(*, run_id: int, kind: str, key: str) -> None:
    """Compute and store one piece (unless stored already), write progress, and move the run on."""
    if kind == CHUNK:
        _chunks_execute(run_id, key)
        return
    stored = RunPart.objects.filter(run_id=OuterRef("pk"), kind=kind, key=key, arrays__isnull=False)
    run = _running(run_id, stored=Exists(stored))  # one query: the run, and whether this piece is stored
    if run is None:
        RunPart.objects.filter(run_id=run_id).delete()  # cancelled or failed: drop what was stored
        return
    with _failures_recorded(run_id):
        if not run.stored:
            scenario, plan = _context(run)
            piece = _compute(scenario, plan, run_id, kind, key)
            if piece is None:
                return
            _store(run_id, [(kind, key, *piece)])
        _progress_write(run, _jobs_progress(run_id))
        _advance(run_id)


def _chunks_execute(run_id: int, key: str) -> None:
    """A few consecutive chunks (``"first-last"``, or one index): each one not stored yet is run and stored
    under its own index, then progress, and the last chunk of the run moves it on."""
    run = _running(run_id)
    if run is None:
        RunPart.objects.filter(run_id=run_id).delete()  # cancelled or failed: drop what was stored
        return
    first, _, last = key.partition("-")
    indices = [str(i) for i in range(int(first), int(last or first) + 1)]
    with _failures_recorded(run_id):
        stored = set(RunPart.objects.filter(run_id=run_id, kind=CHUNK, key__in=indices).values_list("key", flat=True))
        missing = [i for i in indices if i not in stored]
        if missing:
            scenario, plan = _context(run)
            _store(run_id, [(CHUNK, i, _pack(simulation.run_chunk(scenario, plan, int(i))), "") for i in missing])
        done = RunPart.objects.filter(run_id=run_id, kind=CHUNK).count()
        _progress_write(run, CHUNK_SHARE * done / max(run.chunks_total, 1), chunks_done=done)
        if done >= run.chunks_total:  # the last chunk (or one of the last, delivered at once) moves the run on
            _advance(run_id)


def run_finish(*, run_id: int) -> None:
    """Put the stored pieces together (``finish_run``), write the results and drop the pieces."""
    run = _running(run_id)
    if run is None:
        RunPart.objects.filter(run_id=run_id).delete()  # cancelled or failed meanwhile
        return
    with _failures_recorded(run_id):
        scenario, plan = _context(run)
        parts = [
            ChunkResult(index=int(key), incident_type=plan.chunks[int(key)].incident_type, **_unpack(data))
            for key, data in _stored(run_id, CHUNK)
        ]
        replayed = {int(key): _batch(data, replays) for key, data, replays in _stored_replays(run_id)}
        variants = {key: Batch(**_unpack(data)) for key, data in _stored(run_id, VARIANT)}

        def variant_runs(variant: simulation.Scenario, name: str, *, seed: int, trials: int, chunk_size: int) -> Batch:
            stored = variants.get(_variant_key(variant, name, trials))
            if stored is not None:
                return stored
            return simulate_type(variant, name, seed=seed, trials=trials, chunk_size=chunk_size)

        results = simulation.finish_run(scenario, plan, parts, replayed=replayed, variant_runs=variant_runs).to_json()
        with transaction.atomic():
            Run.objects.filter(pk=run_id, status=Run.Status.RUNNING).update(
                results=results, status=Run.Status.DONE, progress=1.0, chunks_done=len(plan.chunks), eta_s=0.0,
                finished_at=timezone.now(),
            )  # fmt: skip
            RunPart.objects.filter(run_id=run_id).delete()
        log.info("run finished", extra=_extra(run_id, "run_finish"))


# -- moving the run on ------------------------------------------------------------------------------
def _advance(run_id: int, *, resume: bool = False) -> None:
    """Queue what the run needs next: missing chunks (on resume), the finishing step's jobs, or the finish.

    A stage is queued by the task that creates its marker row, in the same transaction: if that task dies
    before committing, the marker is gone too and the redelivered message queues the stage again.
    """
    run = _running(run_id)
    if run is None:
        return
    scenario, plan = _context(run)
    done = set(_done_keys(run_id, [CHUNK]))
    if len(done) < len(plan.chunks):
        if resume:
            missing = [i for i in range(len(plan.chunks)) if (CHUNK, str(i)) not in done]
            _enqueue_parts(run_id, [(CHUNK, key) for key in chunk_batches(missing, total=len(plan.chunks))])
        return
    with transaction.atomic():
        marker, created = RunPart.objects.get_or_create(
            run_id=run_id, kind=STAGE, key="jobs", defaults={"spec": lambda: _finish_jobs(scenario, plan, run_id)}
        )
        jobs = [(REPLAY, key) for key in marker.spec["replays"]] + [(VARIANT, key) for key in marker.spec["variants"]]
        jobs_done = set(_done_keys(run_id, [REPLAY, VARIANT]))
        if created or resume:
            _enqueue_parts(run_id, [job for job in jobs if job not in jobs_done])
    if any(job not in jobs_done for job in jobs):
        return
    with transaction.atomic():
        _, created = RunPart.objects.get_or_create(run_id=run_id, kind=STAGE, key="finish")
        if created or resume:
            _enqueue_finish(run_id)


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


def _finish_jobs(scenario: simulation.Scenario, plan: RunPlan, run_id: int) -> dict[str, Any]:
    """The finishing step's jobs: chunks to replay with timelines kept, and the checklist's variant runs.

    The variant runs are found by answering the checklist with a stand-in that only writes down what it is
    asked for; ``run_finish`` simulates any it was not given, so the results never depend on this list.
    """
    parts = [
        ChunkResult(index=int(key), incident_type=plan.chunks[int(key)].incident_type, **_unpack(data))
        for key, data in _stored(run_id, CHUNK)
    ]
    variants: dict[str, dict[str, Any]] = {}

    def note(variant: simulation.Scenario, name: str, *, seed: int, trials: int, chunk_size: int) -> Batch:
        variants.setdefault(
            _variant_key(variant, name, trials),
            {"document": dump_document(variant), "incident_type": name, "trials": trials},
        )
        return Batch.empty(0)

    evaluate_checklist(
        scenario,
        batches_by_type(plan, parts),
        seed=plan.seed,
        trials=plan.trials,
        chunk_size=plan.chunk_size,
        simulate_type=note,
    )
    return {"replays": [str(i) for i in replay_chunks(plan, parts)], "variants": variants}


def _compute(
    scenario: simulation.Scenario, plan: RunPlan, run_id: int, kind: str, key: str
) -> tuple[bytes, str] | None:
    """The piece's arrays and timelines; None when its job list is not there (see ``_jobs_spec``)."""
    if kind == REPLAY:
        batch = replay_chunk(scenario, plan, int(key))
        return _pack(batch), json.dumps([_replay_json(r) for r in batch.replays])
    if kind == VARIANT:
        jobs = _jobs_spec(run_id)
        if jobs is None:
            return None
        spec = jobs["variants"][key]
        variant = simulation.load_scenario(spec["document"])
        batch = simulate_type(
            variant, spec["incident_type"], seed=plan.seed, trials=int(spec["trials"]), chunk_size=plan.chunk_size
        )
        return _pack(batch), ""
    raise ValueError(f"kind: no such piece of a run: {kind!r}")


def _jobs_spec(run_id: int) -> dict[str, Any] | None:
    """The job list of the jobs stage. Its messages are queued before its row commits, so a quick worker
    waits a moment for it; if it never comes (the task that queued them died), the job is left to the
    queueing task's redelivered message, which queues the stage again."""
    deadline = time.monotonic() + JOBS_WAIT_S
    while True:
        spec = RunPart.objects.filter(run_id=run_id, kind=STAGE, key="jobs").values_list("spec", flat=True).first()
        if spec is not None or time.monotonic() > deadline:
            return spec
        time.sleep(0.05)


def _variant_key(variant: simulation.Scenario, name: str, trials: int) -> str:
    return f"{scenario_sha256(variant)[:32]}:{name}:{trials}"


# -- storage ----------------------------------------------------------------------------------------
def _pack(outcomes: Any) -> bytes:
    """The outcome arrays as .npz bytes (exact floats, no pickles)."""
    buffer = io.BytesIO()
    np.savez(buffer, **{name: np.asarray(getattr(outcomes, name)) for name in OUTCOMES})
    return buffer.getvalue()


def _unpack(data: bytes | memoryview) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as arrays:
        return {name: arrays[name] for name in OUTCOMES}


def _replay_json(replay: Replay) -> dict[str, Any]:
    return {
        "phases": [list(p) for p in replay.phases],
        "served": [list(p) for p in replay.served],
        "rto_s": replay.rto_s,
        "impact_s": replay.impact_s,
        "data_loss_s": replay.data_loss_s,
        "humans_needed": bool(replay.humans_needed),
    }


def _batch(data: bytes | memoryview, replays: str) -> Batch:
    timelines = [
        Replay(
            phases=tuple((str(n), float(a), float(b)) for n, a, b in r["phases"]),
            served=tuple((float(t), float(v)) for t, v in r["served"]),
            rto_s=r["rto_s"],
            impact_s=r["impact_s"],
            data_loss_s=r["data_loss_s"],
            humans_needed=r["humans_needed"],
        )
        for r in json.loads(replays or "[]")
    ]
    return Batch(**_unpack(data), replays=timelines)


def _store(run_id: int, pieces: list[tuple[str, str, bytes, str]]) -> None:
    """Insert the pieces (kind, key, arrays, replays) once: a second delivery leaves the first one's rows."""
    rows = [
        RunPart(run_id=run_id, kind=kind, key=key, arrays=arrays, replays=replays)
        for kind, key, arrays, replays in pieces
    ]
    RunPart.objects.bulk_create(rows, ignore_conflicts=True)


def _stored(run_id: int, kind: str) -> list[tuple[str, bytes]]:
    rows = RunPart.objects.filter(run_id=run_id, kind=kind, arrays__isnull=False).values_list("key", "arrays")
    return sorted(rows, key=lambda row: int(row[0]) if row[0].isdigit() else 0)


def _stored_replays(run_id: int) -> list[tuple[str, bytes, str]]:
    return list(
        RunPart.objects.filter(run_id=run_id, kind=REPLAY, arrays__isnull=False).values_list("key", "arrays", "replays")
    )


def _done_keys(run_id: int, kinds: list[str]) -> list[tuple[str, str]]:
    return list(RunPart.objects.filter(run_id=run_id, kind__in=kinds, arrays__isnull=False).values_list("kind", "key"))


# -- the run's row ----------------------------------------------------------------------------------
def _running(run_id: int, **annotations: Any) -> Run | None:
    runs = Run.objects.filter(pk=run_id, status=Run.Status.RUNNING).defer("snapshot", "results")
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


def _jobs_progress(run_id: int) -> float:
    """Where the finishing step's jobs have brought the bar."""
    spec = RunPart.objects.filter(run_id=run_id, kind=STAGE, key="jobs").values_list("spec", flat=True).first()
    total = len(spec["replays"]) + len(spec["variants"]) if spec else 0
    done = len(_done_keys(run_id, [REPLAY, VARIANT]))
    return CHUNK_SHARE + JOB_SHARE * min(done / total, 1.0) if total else CHUNK_SHARE


def _progress_write(run: Run, progress: float, **fields: Any) -> None:
    """One UPDATE, at most every PROGRESS_EVERY_S per worker process (pieces take a fraction of a second);
    progress only ever grows, whichever worker writes last, and the time left follows from the rate so far."""
    now = time.monotonic()
    if now - _LAST_PROGRESS.get(run.pk, -PROGRESS_EVERY_S) < PROGRESS_EVERY_S:
        return
    _LAST_PROGRESS.clear()  # one entry: the run this process works on now
    _LAST_PROGRESS[run.pk] = now
    elapsed_s = (timezone.now() - run.started_at).total_seconds() if run.started_at else 0.0
    eta_s = round(elapsed_s * (1 - progress) / progress, 1) if progress > 0 else None
    Run.objects.filter(pk=run.pk, status=Run.Status.RUNNING, progress__lt=progress).update(
        progress=progress, eta_s=eta_s, **fields
    )


@contextmanager
def _failures_recorded(run_id: int) -> Iterator[None]:
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
            log.exception("run failed", extra=_extra(run_id, "run_part"))
            message = f"{error.__class__.__name__}: {error}"
        Run.objects.filter(pk=run_id, status=Run.Status.RUNNING).update(
            status=Run.Status.FAILED, error=message[:4000], finished_at=timezone.now(), eta_s=None
        )
        RunPart.objects.filter(run_id=run_id).delete()


# -- queueing ---------------------------------------------------------------------------------------
def _enqueue_parts(run_id: int, pieces: list[tuple[str, str]]) -> None:
    from planner.tasks import run_part

    headers = {"request_id": request_id_var.get()}
    for kind, key in pieces:
        run_part.apply_async(args=[run_id, kind, key], headers=headers)


def _enqueue_finish(run_id: int) -> None:
    from planner.tasks import run_finish as run_finish_task

    run_finish_task.apply_async(args=[run_id], headers={"request_id": request_id_var.get()})


def _extra(run_id: int, operation: str) -> dict[str, Any]:
    return {"run_id": run_id, "operation": operation}
