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

import multiprocessing
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from multiprocessing.context import BaseContext
from typing import Any, TypedDict

import numpy as np

from simulation.engine.cache import SHARED
from simulation.engine.chunks import ChunkResult, compute_chunk, simulate_chunk
from simulation.engine.plan import ChunkSpec, RunPlan
from simulation.engine.stats import half_width, quantile_ci
from simulation.incidents.outcomes import Batch
from simulation.model.loading import dump_document, load_scenario
from simulation.model.scenario import Scenario

MIN_CHUNKS_BEFORE_STOP = 2  # early stop looks at no fewer than this many chunks of a type

Progress = Callable[[int, int], None]


class _Worker(TypedDict, total=False):
    scenario: Scenario
    plan: RunPlan
    also: list[tuple[Scenario, ChunkSpec]]


Also = Sequence[tuple[Scenario, ChunkSpec]]
"""Chunks of other scenarios (variants the finishing step will replay) run alongside a plan's chunks."""


_WORKER: _Worker = {}  # per worker process: the scenario and plan it serves (set once by the initializer)


def _init_worker(document: dict[str, Any], plan: dict[str, Any], also: list[tuple[dict[str, Any], ChunkSpec]]) -> None:
    _WORKER["scenario"] = load_scenario(document)
    _WORKER["plan"] = RunPlan.from_dict(plan)
    _WORKER["also"] = [(load_scenario(variant), spec) for variant, spec in also]


def _job(scenario: Scenario, plan: RunPlan, also: Also, index: int) -> ChunkResult | Batch:
    """Job ``index``: a chunk of the plan, or (past the plan's chunks) one of the ``also`` chunks."""
    if index < len(plan.chunks):
        return compute_chunk(scenario, plan, index)
    variant, spec = also[index - len(plan.chunks)]
    return simulate_chunk(variant, spec, plan.seed)


def _worker_job(index: int) -> ChunkResult | Batch:
    return _job(_WORKER["scenario"], _WORKER["plan"], _WORKER["also"], index)


def pool_context() -> BaseContext:
    """A fork server that has imported the engine once (workers start in milliseconds), else spawn.

    Both start clean processes (no state inherited from the caller's threads), so
    the pool behaves the same under Celery, Django or a plain script.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["simulation.engine.runner"])
        return context
    return multiprocessing.get_context("spawn")


class _Runner:
    """Runs jobs of one plan in this process and, with workers > 1, on ``workers − 1`` more processes.

    This process works through the list from the back while the pool takes it
    from the front, so nothing waits for the pool to start. Results are keyed by
    chunk index: the order in which they finish never changes the output.
    """

    def __init__(self, scenario: Scenario, plan: RunPlan, workers: int, also: Also = ()) -> None:
        self.scenario, self.plan, self.also = scenario, plan, list(also)
        self.pool = None
        self.slots = 0
        if workers > 1 and len(plan.chunks) > 1:
            processes = min(workers - 1, len(plan.chunks) - 1)
            self.pool = ProcessPoolExecutor(
                max_workers=processes,
                mp_context=pool_context(),
                initializer=_init_worker,
                initargs=(dump_document(scenario), plan.to_dict(), [(dump_document(v), c) for v, c in also]),
            )
            self.slots = 4 * processes  # jobs queued per process: enough to keep it busy

    def map(self, indices: list[int], on_done: Callable[[int, ChunkResult | Batch], None]) -> None:
        todo = list(indices)
        inflight: dict[Future[ChunkResult | Batch], int] = {}
        finished: Collection[Future[ChunkResult | Batch]]
        while todo or inflight:
            while self.pool is not None and todo and len(inflight) < self.slots:
                index = todo.pop(0)
                inflight[self.pool.submit(_worker_job, index)] = index
            if todo:
                index = todo.pop()
                on_done(index, _job(self.scenario, self.plan, self.also, index))
                finished = [f for f in inflight if f.done()]
            else:
                finished, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
            for future in finished:
                on_done(inflight.pop(future), future.result())

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


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


def _execute(runner: _Runner, progress: Progress | None) -> list[ChunkResult]:
    """Run the plan's chunks (round by round when stopping early)."""
    plan = runner.plan
    done: dict[int, ChunkResult] = {}
    total = len(plan.chunks)
    stopped: set[str] = set()

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

    groups = _rounds(plan) if plan.precision_s is not None else [list(range(total))]
    groups[-1] = groups[-1] + list(range(total, total + len(runner.also)))
    for group in groups:
        runner.map([i for i in group if i >= total or plan.chunks[i].incident_type not in stopped], on_done)
        stopped |= {name for name in plan.rates_per_year if _stop_early(plan, done, name)}
    if progress and len(done) < total:
        progress(total, total)  # stopped early: the remaining chunks are not needed
    return [done[i] for i in sorted(done)]


def execute(
    scenario: Scenario, plan: RunPlan, *, workers: int = 1, progress: Progress | None = None, also: Also = ()
) -> list[ChunkResult]:
    """Run every chunk of ``plan`` (on ``workers`` processes, this one included): results in index order.

    ``also``: chunks of variants the finishing step will need, run alongside on the same processes
    (with the last round when stopping early); their outcomes are left in the shared cache.
    """
    if workers < 1:
        raise ValueError("workers: must be at least 1")
    runner = _Runner(scenario, plan, workers, also)
    try:
        return _execute(runner, progress)
    finally:
        runner.close()
