"""A warm pool of engine processes for the workshop's quick runs, fed chunk by chunk.

One control moves every option at once, so a move is several quick runs. The pool runs their chunks
(``simulation.engine.plan``: fixed-size pieces of one incident type, each with its own random stream)
on ``settings.WORKSHOP_WORKERS`` processes started once (a fork server that has imported the engine) and
kept, so a move costs its chunks spread over every core, not the options one after the other. Chunks go
out one by one, the longest first, to whichever process has the least work ahead (``workshop.schedule``),
and each chunk is computed once: the web process keeps recent chunks by what fixes their outcomes
(``simulation.engine.cache``'s key), so a chunk whose type reads nothing the move changed, a chunk two
options share and a chunk computed ahead are not replayed. The figures are put together in a worker too
(``_finish``), so the web process only hands out work and stays free for other requests; the ECDFs only
for figures that stand (``figures_of``). Results are the same bytes as in-process.

Fewer replays where the intervals allow (``figures_many``): first the first chunk of every incident type;
then more chunks only of the types whose verdicts are still undecided (a verdict about one type decides
nothing of another; availability and cost read every type, so an undecided one continues them all).

Work nobody waits for yet (positions computed ahead, ``workshop.prefetch``) goes to a second set of
processes at the lowest CPU priority (``background``): the operating system runs them only on cores the
foreground leaves idle. ``WORKSHOP_WORKERS = 0``: everything in the request's process, same figures.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from django.conf import settings

from simulation.analysis.sensitivity import tornado
from simulation.analysis.variants import RunFigures, RunSettings, figures_of_parts, interval_decided, with_ecdf
from simulation.engine.cache import SHARED
from simulation.engine.chunks import ChunkResult, compute_chunk, run_chunk
from simulation.engine.plan import RunPlan, plan_run, scenario_sha256
from simulation.engine.processes import pool_context
from simulation.model.loading import canonical_sha256, load_scenario
from simulation.model.scenario import Scenario
from workshop import schedule
from workshop.schedule import QuickRun

log = logging.getLogger(__name__)
_lock = threading.Lock()
_lanes: dict[bool, list[ProcessPoolExecutor]] = {}  # background? → one single-process executor per worker
TIMEOUT_S = 60
BACKGROUND_NICENESS = 19
SCENARIOS_KEPT = 32  # loaded variants a worker keeps (a move's chunks of one option share one)
_loaded: OrderedDict[str, tuple[Scenario, RunPlan]] = OrderedDict()  # per worker process


# -- in a worker ----------------------------------------------------------------------------------
def _held(key: str, document: dict[str, Any], plan: dict[str, Any]) -> tuple[Scenario, RunPlan]:
    held = _loaded.get(key)
    if held is None:
        held = (load_scenario(document), RunPlan.from_dict(plan))
        if scenario_sha256(held[0]) != held[1].scenario_sha256:  # checked once, not for every chunk
            raise ValueError("scenario: not the scenario this plan was made for")
        _loaded[key] = held
        while len(_loaded) > SCENARIOS_KEPT:
            _loaded.popitem(last=False)
    _loaded.move_to_end(key)
    return held


def _chunk(key: str, document: dict[str, Any], plan: dict[str, Any], index: int) -> tuple[ChunkResult, float]:
    """Chunk ``index`` of the plan of the document whose hash is ``key``, and the seconds it took."""
    scenario, run_plan = _held(key, document, plan)
    return schedule.timed(compute_chunk, scenario, run_plan, index)


def _finish(
    key: str, document: dict[str, Any], plan: dict[str, Any], parts: list[ChunkResult], ecdf: bool, last: bool
) -> tuple[RunFigures, list[str]]:
    """``figures_of``, in a worker."""
    scenario, run_plan = _held(key, document, plan)
    return figures_of(scenario, run_plan, parts, ecdf, last)


def figures_of(
    scenario: Scenario, plan: RunPlan, parts: list[ChunkResult], ecdf: bool, last: bool
) -> tuple[RunFigures, list[str]]:
    """The figures of the chunks done, and the incident types whose verdicts more replays could change. The
    ECDFs (``ecdf``) only for figures that stand: those of the ``last`` round, or when no chunk is left to
    replay (the first round's figures of a run that continues are only read for its verdicts). Without the full
    document: the web process has it (``figures_many``)."""
    figures = figures_of_parts(scenario, plan, parts, ecdf=False)
    undecided = undecided_types(figures, plan)
    if ecdf and (last or not more_chunks(plan, parts, undecided)):
        figures = with_ecdf(figures, plan, parts)
    return figures, sorted(undecided)


def more_chunks(plan: RunPlan, parts: list[ChunkResult], types: set[str]) -> list[int]:
    """The chunks of these incident types not among the parts done."""
    done = {part.index for part in parts}
    return [i for name in sorted(types) for i in plan.chunks_of(name) if i not in done]


def tornado_part(document: dict[str, Any], parameters: list[str], run_settings: RunSettings) -> dict[str, Any]:
    """The tornado bars of some parameters (``sensitivity.tornado``), screened only: whoever puts the parts
    together confirms the widest bar of them all (``sensitivity.confirm_widest``)."""
    return tornado(document, parameters=parameters, settings=run_settings, confirm=False)


def cache_counts() -> tuple[int, int]:
    """This process's outcome cache: (hits, misses) so far (what a worker saved by replaying nothing)."""
    return SHARED.hits, SHARED.misses


def undecided_types(figures: RunFigures, plan: RunPlan) -> set[str]:
    """The incident types more replays could still change a verdict of: a verdict's own type, or every
    type for a verdict of the whole year (availability, cost). Empty when every verdict is decided."""
    types: set[str] = set()
    for verdict in figures.verdicts:
        if interval_decided(verdict.ci, verdict.confidence):
            continue
        if verdict.incident_type in plan.rates_per_year:
            types.add(verdict.incident_type)
        else:
            return set(plan.rates_per_year)
    return types


# -- in the web process ---------------------------------------------------------------------------
def _executors(workers: int, background: bool) -> list[ProcessPoolExecutor]:
    with _lock:
        if background not in _lanes:
            extra: dict[str, Any] = {"initializer": os.nice, "initargs": (BACKGROUND_NICENESS,)} if background else {}
            _lanes[background] = [
                ProcessPoolExecutor(max_workers=1, mp_context=pool_context(), **extra) for _ in range(workers)
            ]
        return _lanes[background]


def _discard() -> None:
    with _lock:
        for lane in _lanes.values():
            for executor in lane:
                executor.shutdown(wait=False, cancel_futures=True)
        _lanes.clear()


class _Local:
    """Runs the work in this process (no workers)."""

    def chunk(self, run: QuickRun, index: int) -> ChunkResult:
        return run_chunk(run.scenario, run.plan, index)

    def finish(self, run: QuickRun, ecdf: bool, last: bool) -> tuple[RunFigures, list[str]]:
        return figures_of(run.scenario, run.plan, run.done(), ecdf, last)


def _rounds(runs: list[QuickRun], ecdf: bool, chunks: Callable, finish: Callable) -> list[RunFigures]:
    """First chunks, their figures; then the undecided types' other chunks and the figures again."""
    chunks([(run, index) for run in runs for index in run.first_chunks()])
    answers = finish(runs, ecdf, False)
    again = []
    for run, (_, undecided) in zip(runs, answers, strict=True):
        more = [(run, i) for name in undecided for i in run.plan.chunks_of(name) if i not in run.parts]
        if more:
            again.append(run)
            chunks(more)
    if again:
        position = {id(run): i for i, run in enumerate(runs)}
        for run, answer in zip(again, finish(again, ecdf, True), strict=True):
            answers[position[id(run)]] = answer
    return [figures for figures, _ in answers]


def _on_pool(runs: list[QuickRun], ecdf: bool, lane: list[ProcessPoolExecutor], background: bool) -> list[RunFigures]:
    """The runs' figures over the lane's processes, chunk by chunk (``workshop.schedule``)."""
    submit = schedule.submitter(lane, _chunk, _finish, ecdf)
    return schedule.Schedule(runs, len(lane), submit, background=background, timeout_s=TIMEOUT_S).run()


def _in_process(runs: list[QuickRun], ecdf: bool) -> list[RunFigures]:
    local = _Local()

    def chunks(wanted: list[tuple[QuickRun, int]]) -> None:
        for run, index in wanted:
            run.parts[index] = local.chunk(run, index)

    return _rounds(runs, ecdf, chunks, lambda wanted, e, last: [local.finish(run, e, last) for run in wanted])


def figures_many(
    variants: list[tuple[Scenario, dict[str, Any]]],
    run_settings: RunSettings,
    *,
    ecdf: bool = True,
    background: bool = False,
) -> list[RunFigures]:
    """The quick runs of several variants (each ``(scenario, its full document)``), stopping each incident type
    once more replays could not change its verdicts (see the module's docstring). ``background``: on the
    low-priority workers (work nobody waits for yet)."""
    if not variants:
        return []
    runs = [
        QuickRun(
            scenario,
            document,
            plan_run(scenario, trials=run_settings.trials, seed=run_settings.seed, years=run_settings.years),
            key=canonical_sha256(document),
        )
        for scenario, document in variants
    ]
    workers = int(getattr(settings, "WORKSHOP_WORKERS", 0))
    figures = None
    if workers >= 1:
        try:
            figures = _on_pool(runs, ecdf, _executors(workers, background), background)
        except BrokenProcessPool:
            log.warning("workshop pool broken; starting a new one and running these variants in-process")
            _discard()
            for run in runs:
                run.parts.clear()
    if figures is None:
        figures = _in_process(runs, ecdf)
    if not ecdf:
        return figures
    return [dataclasses.replace(f, scenario=run.document) for f, run in zip(figures, runs, strict=True)]


def spread(function: Callable[..., Any], calls: list[tuple[Any, ...]]) -> list[Any]:
    """``function(*arguments)`` of each call, at once over the warm pool's processes (call ``i`` on process
    ``i``), or one after the other in-process. ``function``: a module-level function of a module that needs
    no Django models (a worker imports it)."""
    workers = int(getattr(settings, "WORKSHOP_WORKERS", 0))
    if workers >= 1:
        try:
            lane = _executors(workers, background=False)
            futures = [lane[i % len(lane)].submit(function, *arguments) for i, arguments in enumerate(calls)]
            return [future.result(timeout=TIMEOUT_S) for future in futures]
        except BrokenProcessPool:
            log.warning("workshop pool broken; starting a new one and computing in-process")
            _discard()
    return [function(*arguments) for arguments in calls]


def workers_count() -> int:
    """How many calls ``spread`` runs at once."""
    return max(1, int(getattr(settings, "WORKSHOP_WORKERS", 0)))


def quick_figures(scenario: Scenario, document: dict[str, Any], run_settings: RunSettings) -> RunFigures:
    """The quick run of ``scenario`` (``document``: its full document) on the warm pool, or in-process."""
    return figures_many([(scenario, document)], run_settings)[0]
