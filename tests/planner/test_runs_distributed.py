"""A run spread over workers: pieces in any order, delivered twice, re-queued, cancelled — same bytes.

The broker is a list here: the tests take messages from it in the order they choose (as several workers
would) and deliver some twice (as late acknowledgement may). tests/planner/test_worker.py runs the same
on real Celery workers.
"""

from __future__ import annotations

import io
import json
import random
from types import SimpleNamespace

import numpy as np
import psycopg
import pytest

import simulation
from planner.models import Run, RunPart
from planner.services import run_store, runs_distributed
from planner.services.run_parts import pack_outcomes, unpack_outcomes
from planner.services.runs import run_cancel, run_create, run_execute
from planner.services.watchdog import run_requeue
from simulation.engine.chunks import OUTCOMES

TRIALS = 300  # two chunks per incident type


@pytest.fixture
def broker(monkeypatch):
    """Messages queued by the run's tasks, as (task name, args)."""
    messages: list[tuple[str, list]] = []
    monkeypatch.setattr("planner.tasks.run_part.apply_async", lambda args, **kw: messages.append(("part", args)))
    monkeypatch.setattr("planner.tasks.run_finish.apply_async", lambda args, **kw: messages.append(("finish", args)))
    runs_distributed._CONTEXT.clear()  # a fresh worker process
    monkeypatch.setattr(runs_distributed, "PROGRESS_EVERY_S", 0.0)  # every piece writes progress
    return messages


def _deliver(message: tuple[str, list]) -> None:
    name, args = message
    if name == "part":
        runs_distributed.part_execute(run_id=args[0], kind=args[1], key=args[2], attempt=args[3])
    else:
        runs_distributed.run_finish(run_id=args[0], attempt=args[1])


def _drain(broker: list, *, order: random.Random, duplicate_every: int = 0) -> int:
    """Deliver every message in a shuffled order (some twice); the number of deliveries."""
    delivered = 0
    while broker:
        message = broker.pop(order.randrange(len(broker)))
        _deliver(message)
        delivered += 1
        if duplicate_every and delivered % duplicate_every == 0:
            _deliver(message)
    return delivered


def _canonical(results: dict) -> str:
    return json.dumps(results, sort_keys=True)


@pytest.fixture
def single(scenario, owner):
    """The same run executed in one process, chunk after chunk."""
    return run_execute(run_id=run_create(scenario=scenario, user=owner, trials=TRIALS, seed=7, enqueue=False).pk)


@pytest.mark.slow
def test_pieces_in_any_order_and_delivered_twice_give_the_bytes_of_one_process_and_of_the_engine(
    scenario, owner, broker, single
):
    run = run_create(scenario=scenario, user=owner, trials=TRIALS, seed=7, enqueue=False)
    runs_distributed.run_dispatch(run_id=run.pk)
    plan_chunks = Run.objects.get(pk=run.pk).chunks_total
    assert [args[1] for _, args in broker].count("chunk") == plan_chunks > 3  # one task a chunk, and the variant runs
    _drain(broker, order=random.Random(3), duplicate_every=4)  # variant runs among the chunks, some first
    run.refresh_from_db()
    assert run.status == Run.Status.DONE, run.error
    assert (run.progress, run.chunks_done) == (1.0, plan_chunks)
    engine = simulation.run(simulation.load_scenario(run.snapshot), trials=TRIALS, seed=7).to_json()
    assert _canonical(run.results) == _canonical(single.results) == _canonical(engine)
    assert run.outcomes is not None and bytes(run.outcomes) == bytes(single.outcomes)  # re-judging is exact too
    assert not RunPart.objects.filter(run=run).exists()  # the pieces are dropped once the run is done


@pytest.mark.slow
def test_the_checklist_variant_runs_are_tasks_of_their_own_queued_with_the_chunks(scenario, owner, broker, monkeypatch):
    run = run_create(scenario=scenario, user=owner, trials=TRIALS, seed=7, enqueue=False)
    runs_distributed.run_dispatch(run_id=run.pk)
    kinds = [args[1] for _, args in broker]
    assert set(kinds) == {"chunk", "variant"} and kinds == sorted(kinds)  # the variant runs after the chunks
    chunks = [m for m in broker if m[1][1] == "chunk"]
    variants = [m for m in broker if m[1][1] == "variant"]
    broker.clear()
    for message in variants:  # done before any chunk: the bar moves by their share only, nothing is queued
        _deliver(message)
    assert broker == [] and 0 < Run.objects.get(pk=run.pk).progress <= 1 - runs_distributed.CHUNK_SHARE
    for message in chunks:
        _deliver(message)
    types = [m for m in broker if m[1][1] == "type"]  # each type's figures: a task once its chunks are stored
    assert sorted(m[1][2] for m in types) == sorted(simulation.MODELS) and len(broker) == len(types)
    broker.clear()
    for message in types:
        _deliver(message)
    assert broker == [("finish", [run.pk, 1])]
    # the finish simulates no variant run and makes no type's figures itself: every one came from a task
    monkeypatch.setattr("planner.services.runs_distributed.simulate_type", lambda *a, **k: pytest.fail("variant"))
    monkeypatch.setattr("simulation.analysis.run.type_results", lambda *a, **k: pytest.fail("type figures"))
    _deliver(broker.pop())
    run.refresh_from_db()
    assert run.status == Run.Status.DONE, run.error


@pytest.mark.slow
def test_a_run_requeued_after_a_stall_keeps_its_pieces_and_the_old_attempt_writes_nothing(
    scenario, owner, broker, single
):
    run = run_create(scenario=scenario, user=owner, trials=TRIALS, seed=7, enqueue=False)
    runs_distributed.run_dispatch(run_id=run.pk)
    first, rest = broker[:3], broker[3:]
    broker.clear()
    for message in first:  # a worker did three chunks, then went silent with the rest in flight
        _deliver(message)
    rest += broker  # what those chunks queued (a type's figures) is in flight too
    broker.clear()
    assert run_requeue(run_id=run.pk, attempt=1, reason="test") == "requeued"  # the watchdog's step
    runs_distributed._CONTEXT.clear()
    runs_distributed.run_dispatch(run_id=run.pk)  # the re-queued message: attempt 2
    assert Run.objects.get(pk=run.pk).attempts == 2
    assert {args[2] for _, args in first}.isdisjoint({args[2] for _, args in broker})
    assert all(args[3] == 2 for _, args in broker)
    for message in rest:  # the first attempt's messages arrive late: they do nothing
        _deliver(message)
    assert Run.objects.get(pk=run.pk).status == Run.Status.RUNNING
    _drain(broker, order=random.Random(5))
    run.refresh_from_db()
    assert run.status == Run.Status.DONE and _canonical(run.results) == _canonical(single.results)


@pytest.mark.slow
def test_a_piece_lost_with_the_database_is_computed_again_on_resume(scenario, owner, broker, single):
    """Pieces commit without waiting for the disk: a database crash may lose the last ones, and with them the
    finish marker written after them (its commit waits, and would have made them durable)."""
    run = run_create(scenario=scenario, user=owner, trials=TRIALS, seed=7, enqueue=False)
    runs_distributed.run_dispatch(run_id=run.pk)
    while any(name == "part" for name, _ in broker):
        _deliver(broker.pop(next(i for i, (name, _) in enumerate(broker) if name == "part")))
    assert [name for name, _ in broker] == ["finish"]
    broker.clear()  # the finish message was lost with the crash too
    lost = RunPart.objects.filter(run=run, kind=runs_distributed.CHUNK).order_by("-key").first()
    lost.delete()
    RunPart.objects.filter(run=run, kind=runs_distributed.STAGE, key__startswith="finish@").delete()
    assert Run.objects.get(pk=run.pk).status == Run.Status.RUNNING
    assert run_requeue(run_id=run.pk, attempt=1, reason="test") == "requeued"  # the watchdog's step
    runs_distributed._CONTEXT.clear()
    runs_distributed.run_dispatch(run_id=run.pk)
    assert [args[2] for name, args in broker if name == "part"] == [lost.key]  # only the lost piece
    _drain(broker, order=random.Random(3))
    run.refresh_from_db()
    assert run.status == Run.Status.DONE and _canonical(run.results) == _canonical(single.results)


def test_a_piece_stored_after_a_cancel_is_dropped(scenario, owner, broker, monkeypatch):
    """A task that found the run running, then was cancelled while it computed, leaves nothing behind."""
    run = run_create(scenario=scenario, user=owner, trials=TRIALS, seed=7, enqueue=False)
    runs_distributed.run_dispatch(run_id=run.pk)
    real = runs_distributed.compute_chunk

    def cancelled_meanwhile(*args):
        assert run_cancel(run=run)
        return real(*args)

    monkeypatch.setattr(runs_distributed, "compute_chunk", cancelled_meanwhile)
    _deliver(next(message for message in broker if message[0] == "part" and message[1][1] == runs_distributed.CHUNK))
    run.refresh_from_db()
    assert run.status == Run.Status.CANCELLED and not RunPart.objects.filter(run=run).exists()


def test_a_duplicate_run_message_while_its_worker_is_alive_queues_nothing(scenario, owner, broker):
    run = run_create(scenario=scenario, user=owner, trials=TRIALS, seed=7, enqueue=False)
    runs_distributed.run_dispatch(run_id=run.pk)
    queued = len(broker)
    runs_distributed.run_dispatch(run_id=run.pk)  # fresh heartbeat: the run is in hand
    assert len(broker) == queued and Run.objects.get(pk=run.pk).attempts == 1


def test_cancel_stops_the_remaining_chunks(scenario, owner, broker, monkeypatch):
    run = run_create(scenario=scenario, user=owner, trials=TRIALS, seed=7, enqueue=False)
    runs_distributed.run_dispatch(run_id=run.pk)
    _deliver(broker.pop(0))
    assert run_cancel(run=run)
    computed = []
    real = runs_distributed.compute_chunk
    monkeypatch.setattr(runs_distributed, "compute_chunk", lambda *a: computed.append(a) or real(*a))
    _drain(broker, order=random.Random(2))
    run.refresh_from_db()
    assert run.status == Run.Status.CANCELLED and computed == [] and run.results is None
    assert not RunPart.objects.filter(run=run).exists()


def test_progress_only_grows_and_the_run_fails_with_the_engine_error(scenario, owner, broker, monkeypatch):
    run = run_create(scenario=scenario, user=owner, trials=TRIALS, seed=7, enqueue=False)
    runs_distributed.run_dispatch(run_id=run.pk)
    seen, beats = [], []
    for message in broker[:4]:
        _deliver(message)
        progress, beat = Run.objects.values_list("progress", "heartbeat_at").get(pk=run.pk)
        seen.append(progress)
        beats.append(beat)
    assert seen == sorted(seen) and 0 < seen[-1] < runs_distributed.CHUNK_SHARE
    assert beats == sorted(beats) and beats[0] < beats[-1]  # each progress write is a heartbeat

    def broken(*args):
        raise RuntimeError("model broke")

    monkeypatch.setattr(runs_distributed, "compute_chunk", broken)
    _deliver(broker[4])
    run.refresh_from_db()
    assert run.status == Run.Status.FAILED and "RuntimeError: model broke" in run.error


def test_a_job_delivered_before_its_stage_commits_waits_then_leaves_it_to_the_stage(
    scenario, owner, broker, monkeypatch
):
    run = run_create(scenario=scenario, user=owner, trials=TRIALS, seed=7, enqueue=False)
    runs_distributed.run_dispatch(run_id=run.pk)
    monkeypatch.setattr(runs_distributed, "JOBS_WAIT_S", 0.1)
    runs_distributed.part_execute(run_id=run.pk, kind="variant", key="not-listed-yet", attempt=1)
    run.refresh_from_db()
    assert run.status == Run.Status.RUNNING and not RunPart.objects.filter(run=run, kind="variant").exists()


def test_a_long_run_is_cut_into_at_most_64_tasks_of_consecutive_chunks():
    keys = runs_distributed.chunk_batches(list(range(280)), total=280)
    assert len(keys) == 56 and keys[:2] == ["0-4", "5-9"] and keys[-1] == "275-279"
    assert runs_distributed.chunk_batches([0, 1, 2, 5, 9, 10], total=280) == ["0-2", "5", "9-10"]
    assert runs_distributed.chunk_batches([3, 4], total=14) == ["3", "4"]


def test_a_piece_keeps_every_bit_and_one_stored_as_npz_by_an_earlier_version_is_still_read():
    rng = np.random.default_rng(1)
    arrays = {name: rng.lognormal(3, 2, 7) for name in OUTCOMES}
    arrays["humans_needed"] = rng.random(7) < 0.5
    npz = io.BytesIO()
    np.savez(npz, **arrays)
    for stored in (pack_outcomes(SimpleNamespace(**arrays)), npz.getvalue()):
        read = unpack_outcomes(memoryview(stored))  # as the database hands it back
        assert all((read[n].dtype, read[n].tobytes()) == (arrays[n].dtype, arrays[n].tobytes()) for n in arrays)


def test_a_cut_or_oddly_shaped_piece_is_refused():
    arrays = {name: np.zeros(3) for name in OUTCOMES}
    stored = pack_outcomes(SimpleNamespace(**arrays))
    with pytest.raises(ValueError, match="do not fill"):
        unpack_outcomes(stored[:-1])
    arrays[OUTCOMES[0]] = np.zeros((3, 2))
    with pytest.raises(ValueError, match="one-dimensional"):
        pack_outcomes(SimpleNamespace(**arrays))


def test_a_chunk_task_costs_a_few_queries_whatever_its_number_of_chunks(scenario, owner, broker, monkeypatch):
    """The run and whether a chunk is stored (one query), the pieces stored under a lock on the run, the stored
    chunks, variant runs and ready types counted at once, progress: no query per chunk, none re-reading the run."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(runs_distributed, "TASKS_PER_RUN", 4)  # several chunks a task
    run = run_create(scenario=scenario, user=owner, trials=TRIALS, seed=7, enqueue=False)
    runs_distributed.run_dispatch(run_id=run.pk)
    chunks = [message for message in broker if message[1][1] == runs_distributed.CHUNK]
    assert len(chunks) == 4 and "-" in chunks[1][1][2]
    _deliver(chunks[0])  # the scenario and plan are read once per worker process
    counts = []
    for message in chunks[1:3]:
        with CaptureQueriesContext(connection) as queries:
            _deliver(message)
        counts.append(len([q for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]))
    assert max(counts) <= 5, counts  # 8 before the counting was merged


@pytest.mark.django_db(transaction=True)
def test_a_piece_is_read_through_a_kept_connection_the_database_closed_meanwhile(scenario, owner):
    """A worker keeps its connection between tasks: one the server ended is replaced before the read (on
    PostgreSQL the binary one, through psycopg; SQLite reads through the ORM and keeps its in-memory database)."""
    from django.db import close_old_connections, connection

    run = run_create(scenario=scenario, user=owner, trials=TRIALS, seed=3, enqueue=False)
    run_store.store(run.pk, [(RunPart.Kind.CHUNK.value, "0", b"piece")])
    close_old_connections()  # between two tasks, as the worker does
    if connection.vendor == "postgresql":
        settings = connection.settings_dict
        with psycopg.connect(
            host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"], dbname=settings["NAME"],
            autocommit=True,
        ) as other:  # fmt: skip
            other.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])
    else:
        connection.close()
    assert run_store.stored(run.pk, RunPart.Kind.CHUNK.value) == [("0", b"piece")]
