"""Running a plan: every chunk, on this process and (with workers > 1) a pool of processes.

Work is cut into fixed-size chunks (``plan_run``) that can run anywhere
(``run_chunk``: one process, a process pool, Celery workers) and are put
together by ``finish_run``. Randomness comes only from
``numpy.random.SeedSequence(seed)``: chunk ``c`` of the incident type at
position ``t`` of ``MODELS`` draws from the stream with spawn key ``(t, c)``
(the same as ``SeedSequence(seed).spawn(…)[t].spawn(…)[c]``) and the annual
combination from spawn key ``(len(MODELS),)`` (its pool bootstrap from
``(len(MODELS), 1)``). A chunk's stream depends only on its own position, so
the output is identical however the chunks are scheduled, and a longer run
extends a shorter one.

Annual figures follow a compound Poisson process: each simulated year draws
a Poisson count per incident type (the type's rate per year) and resamples
that many outcomes of that type with replacement (incidents are i.i.d.).
Their intervals also carry the noise of the finite pool of replayed
incidents, measured by a bootstrap of the pools (``pool_bootstrap``).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, TypedDict

import numpy as np

from simulation.engine.cache import SHARED
from simulation.engine.chunks import ChunkResult, compute_chunk, simulate_chunk
from simulation.engine.plan import ChunkSpec, RunPlan
from simulation.engine.processes import die_with_parent, local_pool_context, quiet_stdout
from simulation.engine.stats import half_width, quantile_ci
from simulation.incidents.outcomes import Batch
from simulation.model.scenario import Scenario

if TYPE_CHECKING:  # a pool's modules are imported when one is made (``Runner``): one process needs none
    from concurrent.futures import Future, ProcessPoolExecutor
    from multiprocessing.sharedctypes import SynchronizedArray

MIN_CHUNKS_BEFORE_STOP = 2  # early stop looks at no fewer than this many chunks of a type
RESULT_WAIT_S = 0.05  # how long this process waits for a pool result before it checks the pool is alive

Progress = Callable[[int, int], None]
TypeDone = Callable[[str, list[ChunkResult]], None]
Ends: TypeAlias = "SynchronizedArray[Any]"  # [front, back) of the jobs not taken yet, shared by every process


class _Worker(TypedDict, total=False):
    scenario: Scenario
    plan: RunPlan
    also: list[tuple[Scenario, ChunkSpec]]
    ends: Ends
    results: Any  # a multiprocessing queue: (job, result) as each job is done


Also = Sequence[tuple[Scenario, ChunkSpec]]
"""Chunks of other scenarios (variants the finishing step will replay) run alongside a plan's chunks."""


_WORKER: _Worker = {}  # per worker process: the scenario and plan it serves (set once by the initializer)


def _init_worker(scenario: Scenario, plan: dict[str, Any], ends: Ends, results: Any, forked: bool) -> None:
    """``scenario``: the caller's own, pickled (a pydantic model keeps its fields as they are: nothing is
    validated again, so the pool process builds no validator), or inherited when ``forked`` from the caller."""
    die_with_parent()
    if forked:
        quiet_stdout()
    _WORKER["scenario"] = scenario
    _WORKER["plan"] = RunPlan.from_dict(plan)
    _WORKER["also"] = []
    _WORKER["ends"], _WORKER["results"] = ends, results
    results.cancel_join_thread()  # a process that exits never waits on a reader that has gone (after a failure)


def _job(scenario: Scenario, plan: RunPlan, also: Also, index: int) -> ChunkResult | Batch:
    """Job ``index``: a chunk of the plan, or (past the plan's chunks) one of the ``also`` chunks."""
    if index < len(plan.chunks):
        return compute_chunk(scenario, plan, index)
    variant, spec = also[index - len(plan.chunks)]
    return simulate_chunk(variant, spec, plan.seed)


def _take(ends: Ends, *, front: bool) -> int | None:
    """The position of the next job not taken yet, from the front or the back of the list; None when none is left."""
    with ends.get_lock():
        lo, hi = ends[0], ends[1]
        if lo >= hi:
            return None
        if front:
            ends[0] = lo + 1
            return int(lo)
        ends[1] = hi - 1
        return int(hi - 1)


def _started() -> None:
    """Nothing: submitted as soon as a pool is made, so that its processes start (and initialise) at once."""


def _worker_loop(jobs: list[int], also: list[tuple[Scenario, ChunkSpec]]) -> int:
    """On a pool process: take jobs from the front of ``jobs`` until none is left, each result onto the queue
    (``also``: the variants and chunks of the ``also`` jobs among them, pickled as ``_init_worker``'s scenario)."""
    if also:
        _WORKER["also"] = also
    done = 0
    while (position := _take(_WORKER["ends"], front=True)) is not None:
        index = jobs[position]
        _WORKER["results"].put((index, _job(_WORKER["scenario"], _WORKER["plan"], _WORKER["also"], index)))
        done += 1
    return done


class _Submit(threading.Thread):
    """Submits ``task(*args)`` once per pool process from a thread of its own: the first submission
    waits until the pool's processes have started, and this process works meanwhile."""

    def __init__(self, pool: ProcessPoolExecutor, processes: int, task: Callable[..., Any], *args: Any) -> None:
        super().__init__(name="pool-submit", daemon=True)
        self.pool, self.processes, self.task, self.args = pool, processes, task, args
        self.submitted: list[Future[Any]] = []
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            for _ in range(self.processes):
                self.submitted.append(self.pool.submit(self.task, *self.args))
        except BaseException as error:  # handed to the caller by ``futures``
            self.error = error

    def futures(self) -> list[Future[Any]]:
        self.join()
        if self.error is not None:
            raise self.error
        return self.submitted


class Runner:
    """Runs jobs of one plan in this process and, with workers > 1, on ``workers − 1`` more processes.

        Every process takes the next job itself from a list shared through two counters
        (the pool from the front, this process from the back), so no process waits for
        another to hand it work, and at the end they finish within about one chunk of
        each other. The pool's processes start as soon as it is made (forked on the spot where the
    command allows it, ``processes.local_pool_context``; else from a thread, ``_Submit``): whoever
        makes it early (``analysis.run.run``) prepares the rest meanwhile, and this process
        starts its jobs at once. Results are keyed by job index: the order in which they
        finish never changes the output. ``also``: see ``execute``.
    """

    def __init__(self, scenario: Scenario, plan: RunPlan, workers: int) -> None:
        self.scenario, self.plan = scenario, plan
        self.also: list[tuple[Scenario, ChunkSpec]] = []
        self.pool: ProcessPoolExecutor | None = None
        self.processes = 0
        if workers > 1 and len(plan.chunks) > 1:
            from concurrent.futures import ProcessPoolExecutor

            context = local_pool_context()
            forked = context.get_start_method() == "fork"
            self.processes = min(workers - 1, len(plan.chunks) - 1)
            self.ends: Ends = context.Array("q", 2)
            self.results = context.Queue()
            self.pool = ProcessPoolExecutor(
                max_workers=self.processes,
                mp_context=context,
                initializer=_init_worker,
                initargs=(scenario, plan.to_dict(), self.ends, self.results, forked),
            )
            if forked:  # forked now (the standard streams flushed first), from this thread, the only one
                self.pool.submit(_started)
            else:
                _Submit(self.pool, self.processes, _started)

    def map(self, jobs: list[int], on_done: Callable[[int, ChunkResult | Batch], None]) -> None:
        """Run ``jobs`` (indices) on every process; ``on_done(index, result)`` here, as each result comes in.
        ``also`` jobs among them are those of ``self.also``."""
        if self.pool is None or len(jobs) < 2:
            for index in jobs:
                on_done(index, _job(self.scenario, self.plan, self.also, index))
            return
        with self.ends.get_lock():
            self.ends[0], self.ends[1] = 0, len(jobs)
        total = len(self.plan.chunks)
        also = self.also if any(i >= total for i in jobs) else []
        starting = _Submit(self.pool, self.processes, _worker_loop, jobs, also)  # may wait for processes to start
        received = 0
        while (position := _take(self.ends, front=False)) is not None:
            index = jobs[position]
            on_done(index, _job(self.scenario, self.plan, self.also, index))
            received += 1 + self._receive(on_done, wait=False)
        loops = starting.futures()
        while received < len(jobs):
            received += self._receive(on_done, wait=True) or self._check(loops)
        for loop in loops:
            loop.result()  # every loop has returned before the counters serve another list

    def _receive(self, on_done: Callable[[int, ChunkResult | Batch], None], *, wait: bool) -> int:
        """Hand every result the pool has sent to ``on_done`` (waiting a little for one when ``wait``): how many."""
        count = 0
        while True:
            try:
                index, result = self.results.get(block=wait and not count, timeout=RESULT_WAIT_S)
            except queue.Empty:
                return count
            on_done(index, result)
            count += 1

    @staticmethod
    def _check(loops: list[Future[int]]) -> int:
        """Raise what a pool process raised (or that it died); 0 when all is well."""
        for loop in loops:
            if loop.done() and loop.exception() is not None:
                loop.result()
        return 0

    def close(self) -> None:
        if self.pool is not None:
            with self.ends.get_lock():  # nothing left to take (after a failure: the pool stops too)
                self.ends[0] = self.ends[1]
            self.pool.shutdown(wait=False, cancel_futures=True)  # its processes exit while this one finishes


def _stop_early(plan: RunPlan, done: dict[int, ChunkResult], name: str) -> bool:
    """True once the RTO p95 interval of ``name`` is within the plan's precision."""
    indices = [i for i in plan.chunks_of(name) if i in done]
    if plan.precision_s is None or len(indices) < MIN_CHUNKS_BEFORE_STOP:
        return False
    rto = np.sort(np.concatenate([done[i].rto_s for i in indices]))
    return half_width(quantile_ci(rto, 0.95), float(np.quantile(rto, 0.95))) <= plan.precision_s


def _rounds(plan: RunPlan) -> list[list[int]]:
    """Chunk indices grouped by chunk position: round r holds chunk r of every type."""
    rounds: dict[int, list[int]] = {}
    for i, spec in enumerate(plan.chunks):
        rounds.setdefault(spec.chunk_index, []).append(i)
    return [rounds[r] for r in sorted(rounds)]


def _execute(runner: Runner, progress: Progress | None, type_done: TypeDone | None) -> list[ChunkResult]:
    """Run the plan's chunks (round by round when stopping early)."""
    plan = runner.plan
    done: dict[int, ChunkResult] = {}
    total = len(plan.chunks)
    stopped: set[str] = set()
    missing = {name: len(plan.chunks_of(name)) for name in plan.rates_per_year}

    def on_done(index: int, result: ChunkResult | Batch) -> None:
        if isinstance(result, Batch):  # an ``also`` chunk: its outcomes wait in the shared cache
            variant, spec = runner.also[index - total]
            SHARED.put(
                SHARED.key(variant, spec.incident_type, plan.seed, spec.type_index, spec.chunk_index, spec.n), result
            )
            return
        done[index] = result
        if progress:
            progress(len(done), total)
        missing[result.incident_type] -= 1
        if type_done is not None and missing[result.incident_type] == 0:
            type_done(result.incident_type, [done[i] for i in plan.chunks_of(result.incident_type)])

    groups = _rounds(plan) if plan.precision_s is not None else [list(range(total))]
    groups[-1] = groups[-1] + list(range(total, total + len(runner.also)))
    for group in groups:
        runner.map([i for i in group if i >= total or plan.chunks[i].incident_type not in stopped], on_done)
        stopped |= {name for name in plan.rates_per_year if _stop_early(plan, done, name)}
    if progress and len(done) < total:
        progress(total, total)  # stopped early: the remaining chunks are not needed
    return [done[i] for i in sorted(done)]


def execute(
    scenario: Scenario,
    plan: RunPlan,
    *,
    workers: int = 1,
    progress: Progress | None = None,
    also: Also = (),
    type_done: TypeDone | None = None,
    runner: Runner | None = None,
) -> list[ChunkResult]:
    """Run every chunk of ``plan`` (on ``workers`` processes, this one included): results in index order.

    ``also``: chunks of variants the finishing step will need, run alongside on the same processes
    (with the last round when stopping early); their outcomes are left in the shared cache.
    ``type_done(type, chunk results in trial order)``: called in this process as soon as every chunk of
    a type is in (a plan that stops early: never), so that a type's figures can be made while the pool
    still runs the other types' chunks. ``runner``: one made (``Runner(scenario, plan, workers)``) earlier,
    whose pool has started meanwhile; it is closed at the end.
    """
    if workers < 1:
        raise ValueError("workers: must be at least 1")
    runner = runner or Runner(scenario, plan, workers)
    runner.also = list(also)
    try:
        return _execute(runner, progress, None if plan.precision_s is not None else type_done)
    finally:
        runner.close()
