"""The schedule of a move's chunks: every process busy, the longest chunks first, each chunk once, figures as
the rounds give them, and work computed ahead handing out nothing while a live move computes."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from pathlib import Path

import pytest

from simulation import load_file, load_scenario
from simulation.analysis.variants import QUICK, RunSettings
from simulation.engine.plan import plan_run
from simulation.model.loading import canonical_sha256, dump_document
from simulation.model.overrides import apply_overrides
from workshop import pool, schedule

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SMALL = RunSettings(trials=500, years=200, seed=3)


@pytest.fixture(autouse=True)
def empty_store():
    schedule.STORE.clear()
    yield
    schedule.STORE.clear()


def _run(scenario, settings=SMALL) -> schedule.QuickRun:
    document = dump_document(scenario)
    plan = plan_run(scenario, trials=settings.trials, seed=settings.seed, years=settings.years)
    return pool.QuickRun(scenario, document, plan, key=canonical_sha256(document))


class _Recorder:
    """A ``submit`` that computes in this process at once and records what went where."""

    def __init__(self) -> None:
        self.log: list[tuple[int, str, str]] = []  # (process, kind, incident type or "")

    def __call__(self, process: int, task) -> Future:
        future: Future = Future()
        local = pool._Local()
        if task.kind == "chunk":
            self.log.append((process, "chunk", task.run.plan.chunks[task.index].incident_type))
            future.set_result((local.chunk(task.run, task.index), 0.01))
        else:
            self.log.append((process, "finish", ""))
            future.set_result(local.finish(task.run, False, task.last))
        return future


def _in_process(runs: list[schedule.QuickRun]) -> list:
    fresh = [pool.QuickRun(r.scenario, r.document, r.plan, key=r.key) for r in runs]
    return pool._in_process(fresh, False)


def test_the_figures_are_those_of_the_rounds_in_process():
    base = load_file(EXAMPLES / "worked-active-passive.yaml")
    runs = [_run(apply_overrides(dump_document(base), {"failover.detection.interval_s": s})) for s in (5, 30)]
    expected = _in_process(runs)
    got = schedule.Schedule(runs, 2, _Recorder()).run()
    assert [f.to_json() for f in got] == [f.to_json() for f in expected]


def test_the_longest_chunks_go_first_and_every_process_gets_work(monkeypatch):
    scenario = load_file(EXAMPLES / "worked-active-passive.yaml")
    costs = schedule.ChunkCosts()
    for rank, name in enumerate(plan_run(scenario, trials=500, seed=1).rates_per_year):
        costs.record("", name, 0.01 * (rank + 1))  # the later a type in the registry, the longer its chunks
    monkeypatch.setattr(schedule, "COSTS", costs)
    recorder = _Recorder()
    schedule.Schedule([_run(scenario)], 2, recorder).run()
    first = [name for _, kind, name in recorder.log if kind == "chunk"][:8]
    assert first == list(reversed(plan_run(scenario, trials=500, seed=1).rates_per_year))
    assert {process for process, _, _ in recorder.log} == {0, 1}


def test_a_chunk_two_options_share_is_computed_once():
    scenario = load_scenario({"pattern": "active-passive"})
    runs = [_run(scenario), _run(scenario)]
    recorder = _Recorder()
    first, second = schedule.Schedule(runs, 2, recorder).run()
    assert first.to_json() == second.to_json()
    chunks = [name for _, kind, name in recorder.log if kind == "chunk"]
    assert len(chunks) == len(set(runs[0].parts)) and len(runs[0].parts) == len(runs[1].parts)


def test_a_live_move_takes_over_the_chunks_computed_ahead():
    scenario = load_file(EXAMPLES / "opener-fixed.yaml")
    moved = apply_overrides(dump_document(scenario), {"failover.detection.interval_s": 15})
    schedule.Schedule([_run(moved)], 2, _Recorder(), background=True).run()  # computed ahead
    recorder = _Recorder()
    again = _run(moved)
    figures = schedule.Schedule([again], 2, recorder).run()[0]
    assert [kind for _, kind, _ in recorder.log if kind == "chunk"] == []  # every chunk from the store
    assert figures.to_json() == _in_process([again])[0].to_json()


def test_work_computed_ahead_hands_out_nothing_while_a_live_move_computes():
    scenario = load_scenario({"pattern": "single-region"})
    recorder = _Recorder()
    ahead = threading.Thread(
        target=lambda: schedule.Schedule([_run(scenario, RunSettings(250, 50, 1))], 1, recorder, background=True).run()
    )
    with schedule.live():
        ahead.start()
        ahead.join(0.3)
        assert ahead.is_alive() and recorder.log == []
    ahead.join(10)
    assert not ahead.is_alive() and recorder.log


def test_the_store_keeps_the_latest_chunks_only():
    store = schedule.ChunkStore(max_chunks=2)
    run = _run(load_scenario({"pattern": "single-region"}), QUICK)
    local = pool._Local()
    keys = [schedule.chunk_key(run, i) for i in range(3)]
    for index, key in enumerate(keys):
        store.put(key, local.chunk(run, index))
    assert store.get(keys[0]) is None and store.get(keys[2]) is not None and len(store) == 2


def test_work_computed_ahead_stops_once_the_room_has_moved_on():
    scenario = load_scenario({"pattern": "single-region"})
    recorder, raised = _Recorder(), []

    def ahead() -> None:
        try:
            schedule.Schedule([_run(scenario, RunSettings(250, 50, 1))], 1, recorder, background=True).run()
        except schedule.Abandoned:
            raised.append(True)

    thread = threading.Thread(target=ahead)
    with schedule.live():
        thread.start()
        thread.join(0.2)
        schedule.abandon_ahead()
    thread.join(10)
    assert raised == [True] and recorder.log == []
