"""How a move's quick runs share the warm pool: chunk by chunk, the biggest first, each chunk computed once.

``workshop.pool`` cuts a move's quick runs (one per option) into chunks; this module hands them out.

- *Every process busy until the end.* A process holds at most ``DEPTH`` tasks (the one it computes and
  the next, so it never waits for the web process to hand out work; work computed ahead holds one), and
  a task goes to the process with the least work ahead of it, so a slow incident type does not hold back
  the types queued behind it. Tasks go out in this order: figures of a run whose chunks are all in (its
  verdicts decide what else it needs, and its further chunks can then fill the other process), then the
  further chunks of undecided types, then first chunks, the longest first (``ChunkCosts``: the seconds
  the type's chunks took lately), so the short ones fill the end evenly.
- *Each chunk once.* Chunks are known by what fixes their outcomes (``simulation.engine.cache``: the type,
  the fingerprint of what it reads, seed, stream, size). The web process keeps the outcomes of recent
  chunks (``ChunkStore``), whichever process or lane computed them: a move reuses the chunks of types it
  does not change, two options with the same chunk compute it once, and a live move takes over the chunks
  computed ahead for its position (``workshop.prefetch``) instead of computing them again.
- *Work computed ahead yields.* A schedule of the low-priority lane waits before handing out each task
  while a live move computes (``live``), and stops once its position is no longer wanted
  (``abandon_ahead``); the chunks it computed stay in the store.

The figures are those of ``pool._rounds``: the same chunks, the same decisions; only the order differs.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from simulation.engine.cache import ChunkKey, fingerprint, reads_of
from simulation.engine.chunks import ChunkResult
from simulation.engine.plan import RunPlan
from simulation.model.scenario import Scenario


@dataclass(eq=False)  # a run is itself, whatever it holds (two options may share a document)
class QuickRun:
    """One quick run in progress: its scenario, full document, plan and the chunks done so far."""

    scenario: Scenario
    document: dict[str, Any]
    plan: RunPlan
    key: str = ""
    parts: dict[int, ChunkResult] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)  # per type: what its model reads (``chunk_key``)
    plan_dict: dict[str, Any] | None = None

    def first_chunks(self) -> list[int]:
        return sorted(self.plan.chunks_of(name)[0] for name in self.plan.rates_per_year)

    def args(self) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """What a worker needs to load the run (the plan as a dict once per run, not once per task)."""
        if self.plan_dict is None:
            self.plan_dict = self.plan.to_dict()
        return self.key, self.document, self.plan_dict

    def done(self) -> list[ChunkResult]:
        return [self.parts[i] for i in sorted(self.parts)]


STORE_CHUNKS = 1_536  # chunk outcomes the web process keeps (~14 kB each at 250 incidents: ~20 MB)
COST_WEIGHT = 0.3  # weight of the newest measure in a type's running chunk cost
DEFAULT_COST_S = 0.03  # a chunk of a type not measured yet
FINISH_COST_S = 0.015  # putting a run's figures together (measured: 10-20 ms)
DEPTH = 2  # tasks a process holds at most: the one it computes and the next

_live_lock = threading.Condition()
_live = 0  # live moves computing now (in this process)
_ahead_generation = 0  # bumped when the work computed ahead is no longer wanted


class Abandoned(Exception):
    """Work computed ahead that nobody wants any more (``abandon_ahead``)."""


def abandon_ahead() -> None:
    """Stop the schedules of work computed ahead now under way: they hand out nothing more (the chunks they
    have under way are still kept when they are done)."""
    global _ahead_generation
    with _live_lock:
        _ahead_generation += 1


@contextmanager
def live() -> Iterator[None]:
    """Mark a live move computing: schedules of work computed ahead hand out nothing meanwhile."""
    global _live
    with _live_lock:
        _live += 1
    try:
        yield
    finally:
        with _live_lock:
            _live -= 1
            _live_lock.notify_all()


def wait_while_live(timeout_s: float) -> None:
    """Return once no live move computes (or after ``timeout_s``)."""
    with _live_lock:
        _live_lock.wait_for(lambda: _live == 0, timeout=timeout_s)


class ChunkStore:
    """Outcomes of recent chunks by ``ChunkKey`` (least recently used dropped past ``max_chunks``)."""

    def __init__(self, max_chunks: int = STORE_CHUNKS) -> None:
        self.max_chunks = max_chunks
        self._entries: OrderedDict[ChunkKey, ChunkResult] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: ChunkKey | None) -> ChunkResult | None:
        if key is None:
            return None
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: ChunkKey | None, result: ChunkResult) -> None:
        if key is None:
            return
        with self._lock:
            self._entries[key] = result
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_chunks:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class ChunkCosts:
    """The seconds a chunk of each incident type took lately (a running mean), for the longest-first order."""

    def __init__(self) -> None:
        self._seconds: dict[tuple[str, str], float] = {}

    def of(self, family: str, incident_type: str) -> float:
        return self._seconds.get((family, incident_type), self._seconds.get(("", incident_type), DEFAULT_COST_S))

    def record(self, family: str, incident_type: str, seconds: float) -> None:
        for key in ((family, incident_type), ("", incident_type)):
            old = self._seconds.get(key)
            self._seconds[key] = seconds if old is None else (1 - COST_WEIGHT) * old + COST_WEIGHT * seconds


STORE = ChunkStore()
COSTS = ChunkCosts()


def chunk_key(run: QuickRun, index: int) -> ChunkKey | None:
    """What fixes the outcomes of chunk ``index`` of ``run`` (None: its type declares no ``READS``)."""
    spec = run.plan.chunks[index]
    reads = reads_of(spec.incident_type)
    if reads is None:
        return None
    prints = run.fingerprints
    if spec.incident_type not in prints:
        prints[spec.incident_type] = fingerprint(run.document, reads)
    return (spec.incident_type, prints[spec.incident_type], run.plan.seed, spec.type_index, spec.chunk_index, spec.n)


@dataclass(eq=False)
class _Task:
    """A chunk (its consumers: the runs and indices waiting for it) or a run's figures."""

    kind: str  # "chunk" | "finish"
    run: QuickRun
    index: int = -1
    key: ChunkKey | None = None
    cost_s: float = 0.0
    consumers: list[tuple[QuickRun, int]] = field(default_factory=list)
    last: bool = False  # a figures task of the run's last round


Submit = Callable[[int, _Task], Future]


class Schedule:
    """One call's runs to their figures over ``processes`` processes (see the module's docstring).

    ``submit(process, task)`` starts a task on a process and returns its future: a chunk's answers
    ``(ChunkResult, seconds)``, a figures task ``(RunFigures, undecided types)``. ``background``: wait
    before handing out each task while a live move computes."""

    def __init__(
        self, runs: list[QuickRun], processes: int, submit: Submit, *, background: bool = False, timeout_s: float = 60
    ) -> None:
        self.runs, self.processes, self.submit = runs, processes, submit
        self.background, self.timeout_s = background, timeout_s
        self.waiting: dict[int, set[int]] = {id(run): set() for run in runs}
        self.rounds: dict[int, int] = {id(run): 0 for run in runs}
        self.answers: dict[int, Any] = {}
        self.finishes: list[_Task] = []
        self.chunks: dict[Any, _Task] = {}  # queued chunk tasks by key
        self.running: dict[Future, tuple[int, _Task]] = {}
        self.pending_keys: dict[Any, _Task] = {}  # queued or running chunk tasks by key
        self.families = {id(run): _family(run) for run in runs}
        self.generation = _ahead_generation
        self.depth = 1 if background else DEPTH  # work computed ahead commits as little as it can

    # -- what each run needs ----------------------------------------------------------------------
    def need(self, run: QuickRun, indices: list[int]) -> None:
        """Ask for chunks of ``run``; its figures are queued once every one is in."""
        waiting = self.waiting[id(run)]
        for index in indices:
            if index in run.parts:
                continue
            key = chunk_key(run, index)
            stored = STORE.get(key)
            if stored is not None:
                run.parts[index] = dataclasses.replace(stored, index=index)
                continue
            waiting.add(index)
            token = key if key is not None else (id(run), index)
            task = self.pending_keys.get(token)
            if task is None:
                cost = COSTS.of(self.families[id(run)], run.plan.chunks[index].incident_type)
                task = _Task("chunk", run, index, key, cost)
                self.pending_keys[token] = task
                self.chunks[token] = task
            task.consumers.append((run, index))
        if not waiting:
            self.finishes.append(self._finish_task(run))

    def _finish_task(self, run: QuickRun) -> _Task:
        return _Task("finish", run, last=self.rounds[id(run)] >= 1)

    def _chunk_done(self, task: _Task, result: ChunkResult) -> None:
        STORE.put(task.key, result)
        self.pending_keys.pop(task.key if task.key is not None else (id(task.run), task.index), None)
        for run, index in task.consumers:
            run.parts[index] = dataclasses.replace(result, index=index)
            waiting = self.waiting[id(run)]
            waiting.discard(index)
            if not waiting:
                self.finishes.append(self._finish_task(run))

    def _finish_done(self, run: QuickRun, answer: tuple[Any, list[str]]) -> None:
        self.answers[id(run)] = answer[0]
        self.rounds[id(run)] += 1
        if self.rounds[id(run)] == 1:
            more = [i for name in answer[1] for i in run.plan.chunks_of(name) if i not in run.parts]
            if more:
                self.need(run, more)

    # -- handing out ------------------------------------------------------------------------------
    def _next(self) -> _Task | None:
        if self.finishes:
            return self.finishes.pop(0)
        while self.chunks:
            token, task = max(self.chunks.items(), key=lambda item: (self.rounds[id(item[1].run)], item[1].cost_s))
            del self.chunks[token]
            stored = STORE.get(task.key)  # computed meanwhile by another schedule (a live move, or ahead)
            if stored is None:
                return task
            self._chunk_done(task, stored)
            if self.finishes:
                return self.finishes.pop(0)
        return None

    def run(self) -> list[Any]:
        for run in self.runs:
            self.need(run, run.first_chunks())
        ahead_s = [0.0] * self.processes  # estimated work each process holds
        held = [0] * self.processes
        while self.finishes or self.chunks or self.running:
            while min(held) < self.depth and (self.finishes or self.chunks):
                if self.background:
                    wait_while_live(self.timeout_s)
                    if self.generation != _ahead_generation:
                        raise Abandoned
                task = self._next()
                if task is None:
                    break
                process = min((p for p in range(self.processes) if held[p] < self.depth), key=lambda p: (ahead_s[p], p))
                task.cost_s = task.cost_s if task.kind == "chunk" else FINISH_COST_S
                held[process] += 1
                ahead_s[process] += task.cost_s
                future = self.submit(process, task)
                if task.kind == "chunk":  # kept even if this schedule is left before it is done
                    future.add_done_callback(functools.partial(_keep, task.key))
                self.running[future] = (process, task)
            if not self.running:
                continue
            done, _ = wait(list(self.running), timeout=self.timeout_s, return_when=FIRST_COMPLETED)
            if not done:
                raise TimeoutError("workshop pool: no task finished in time")
            for future in done:
                process, task = self.running.pop(future)
                held[process] -= 1
                ahead_s[process] -= task.cost_s
                if task.kind == "chunk":
                    result, seconds = future.result()
                    COSTS.record(self.families[id(task.run)], result.incident_type, seconds)
                    self._chunk_done(task, result)
                else:
                    self._finish_done(task.run, future.result())
        return [self.answers[id(run)] for run in self.runs]


def _keep(key: ChunkKey | None, future: Future) -> None:
    if not future.cancelled() and future.exception() is None:
        STORE.put(key, future.result()[0])


def _family(run: QuickRun) -> str:
    """Which chunk costs a run's chunks are like: its pattern and app instances (the costliest inputs)."""
    scenario = run.scenario
    return f"{scenario.pattern}:{sum(region.app_instances for region in scenario.regions)}"


def submitter(lane: list[ProcessPoolExecutor], chunk: Callable, finish: Callable, ecdf: bool) -> Submit:
    """``Schedule``'s ``submit`` on the lane's single-process executors."""

    def submit(process: int, task: _Task) -> Future:
        run = task.run
        if task.kind == "chunk":
            return lane[process].submit(chunk, *run.args(), task.index)
        return lane[process].submit(finish, *run.args(), run.done(), ecdf, task.last)

    return submit


def timed(function: Callable[..., ChunkResult], *arguments: Any) -> tuple[ChunkResult, float]:
    """``function(*arguments)`` and the seconds it took."""
    started = time.perf_counter()
    return function(*arguments), time.perf_counter() - started
