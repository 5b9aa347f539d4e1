"""The runner's pool: every process takes its own jobs, each type is finished as soon as its chunks are in,
and the bytes are those of one process, of a pool of any size and of the chunks run one by one."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from simulation import finish_run, load_file, plan_run, run, run_chunk
from simulation.analysis.run import run_plan
from simulation.engine import processes, runner
from simulation.engine.annual import YearsByType, annual_samples
from simulation.engine.chunks import OUTCOMES, batches_by_type, compute_chunk
from simulation.engine.plan import ChunkSpec, plan_exact_run
from simulation.engine.runner import Runner, execute

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _bytes(results) -> str:
    return json.dumps(results.to_json())


def _same_arrays(one, other) -> bool:
    """Equal dicts of arrays (nested), bit for bit and of the same dtype and shape."""
    if isinstance(one, dict):
        return one.keys() == other.keys() and all(_same_arrays(one[k], other[k]) for k in one)
    if hasattr(one, "dtype"):
        return (one.dtype, one.shape, one.tobytes()) == (other.dtype, other.shape, other.tobytes())
    return one == other


def test_it_hands_every_job_out_once_from_either_end():
    ends = multiprocessing.get_context("spawn").Array("q", 2)
    ends[0], ends[1] = 0, 5
    taken = [runner._take(ends, front=front) for front in (True, False, True, False, True, False)]
    assert taken == [0, 4, 1, 3, 2, None]
    assert runner._take(ends, front=True) is None


def test_it_reads_the_workers_asked_for_from_the_command_line():
    assert processes.workers_asked(["run", "x.yaml", "--workers", "3"]) == 3
    assert processes.workers_asked(["run", "x.yaml", "--workers=2", "--trials", "10"]) == 2
    assert processes.workers_asked(["run", "x.yaml"]) == 1
    assert processes.workers_asked(["run", "x.yaml", "--workers", "many"]) == 1  # the parser reports it
    assert processes.start_early(["run", "x.yaml"]) is False  # one process: no pool, no server


def test_the_command_forks_its_pool_from_itself_only_while_no_other_thread_runs(monkeypatch):
    monkeypatch.setitem(processes._FORK_HERE, "allowed", False)
    assert processes.local_pool_context().get_start_method() != "fork"  # Celery, Django, scripts: a clean process
    assert processes.start_early(["run", "x.yaml", "--workers", "2"]) is True
    assert processes.local_pool_context().get_start_method() == "fork"
    waiting = threading.Event()
    other = threading.Thread(target=waiting.wait)
    other.start()
    try:
        assert processes.local_pool_context().get_start_method() != "fork"  # a fork would copy this thread only
    finally:
        waiting.set()
        other.join()


@pytest.mark.slow
def test_a_pool_forked_from_the_command_gives_the_same_bytes_and_reports_failures(monkeypatch):
    monkeypatch.setitem(processes._FORK_HERE, "allowed", True)
    scenario = load_file(EXAMPLES / "opener-incident.yaml")
    plan = plan_run(scenario, trials=300, seed=5, years=100)
    runner = Runner(scenario, plan, 2)
    assert runner.pool is not None and runner.pool._mp_context.get_start_method() == "fork"
    assert _bytes(run_plan(scenario, plan, workers=2, runner=runner)) == _bytes(run_plan(scenario, plan, workers=1))
    broken = dataclasses.replace(plan, chunks=[ChunkSpec("no_such_type", 0, 0, 0, 50), *plan.chunks])
    with pytest.raises(KeyError):
        execute(scenario, broken, workers=2)


def test_a_chunk_result_pickles_to_the_same_bits_in_writable_arrays():
    scenario = load_file(EXAMPLES / "opener-incident.yaml")
    plan = plan_run(scenario, trials=120, seed=2, years=10, chunk_size=50)
    for result in [compute_chunk(scenario, plan, i) for i in range(len(plan.chunks))]:
        back = pickle.loads(pickle.dumps(result))
        assert (back.index, back.incident_type) == (result.index, result.incident_type)
        assert _same_arrays(dataclasses.asdict(back), dataclasses.asdict(result))
        assert all(getattr(back, name).flags.writeable for name in OUTCOMES)
    odd = dataclasses.replace(result, rto_s=np.zeros(3))  # columns of unequal lengths: pickled as they are
    assert _same_arrays(dataclasses.asdict(pickle.loads(pickle.dumps(odd))), dataclasses.asdict(odd))


def test_it_finishes_each_type_once_with_its_chunks_in_trial_order():
    scenario = load_file(EXAMPLES / "worked-active-passive.yaml")
    plan = plan_run(scenario, trials=120, seed=2, years=50, chunk_size=50)
    seen: dict[str, list[int]] = {}
    execute(scenario, plan, type_done=lambda name, parts: seen.setdefault(name, [p.index for p in parts]))
    assert list(seen) == list(plan.rates_per_year)  # in one process: type after type
    assert all(seen[name] == plan.chunks_of(name) for name in seen)


def test_a_run_that_stops_early_finishes_its_types_at_the_end():
    scenario = load_file(EXAMPLES / "worked-active-passive.yaml")
    plan = plan_run(scenario, trials=500, seed=2, years=50, precision_s=1e9)
    called = []
    execute(scenario, plan, type_done=lambda name, parts: called.append(name))
    assert called == []  # which chunks count is known only after the last round


@pytest.mark.slow
def test_the_same_bytes_on_one_two_or_three_processes_and_chunk_by_chunk():
    # the opener answers several checklist questions "no": its prices, the kept replays and the
    # types finished while the pool runs all go through the pool here
    scenario = load_file(EXAMPLES / "opener-incident.yaml")
    plan = plan_run(scenario, trials=600, seed=9, years=300)
    by_chunk = _bytes(finish_run(scenario, plan, [run_chunk(scenario, plan, i) for i in range(len(plan.chunks))]))
    for workers in (1, 2, 3):
        assert _bytes(run(scenario, trials=600, seed=9, years=300, workers=workers)) == by_chunk, workers


@pytest.mark.parametrize("example", ["worked-active-passive.yaml", "opener-incident.yaml"])
def test_the_years_made_type_by_type_in_any_order_are_those_made_at_once(example):
    # a pool finishes types in any order (this process takes chunks from the back): each type's share is
    # drawn in type order all the same, and figures zero for a whole type (e.g. lost transactions behind a
    # synchronous standby) are left out of the pool bootstrap without changing a bit
    scenario = load_file(EXAMPLES / example)
    plan = plan_run(scenario, trials=500, seed=11)  # 10,000 years: the bootstrap reads 5,000 of them
    batches = batches_by_type(plan, execute(scenario, plan))
    at_once = annual_samples(plan, batches)
    for order in (list(batches), list(reversed(batches)), sorted(batches)):
        years = YearsByType(plan)
        for name in order:
            years.add(name, batches[name])
        assert years.usable
        assert _same_arrays(years.samples(batches), at_once), order


def test_years_that_cannot_be_made_type_by_type_are_made_at_the_end():
    scenario = load_file(EXAMPLES / "worked-active-passive.yaml")
    for plan in (
        plan_run(scenario, trials=500, seed=4, years=200, precision_s=20.0),  # which replays count: known at the end
        plan_exact_run(scenario, trials=1, seed=3, years=50, chunk_size=40),  # one replay per simulated incident
    ):
        batches = batches_by_type(plan, execute(scenario, plan))
        years = YearsByType(plan)
        for name, batch in batches.items():
            years.add(name, batch)
        assert not years.usable
        assert _same_arrays(years.samples(batches), annual_samples(plan, batches))


@pytest.mark.slow
def test_a_pool_made_before_the_run_gives_the_same_bytes():
    # its process starts (and reads the scenario) while this one prepares the run
    scenario = load_file(EXAMPLES / "opener-incident.yaml")
    plan = plan_run(scenario, trials=300, seed=2, years=100)
    early = Runner(scenario, plan, 2)
    assert _bytes(run_plan(scenario, plan, workers=2, runner=early)) == _bytes(run_plan(scenario, plan, workers=1))


@pytest.mark.slow
def test_exact_years_give_the_same_bytes_on_a_pool():
    scenario = load_file(EXAMPLES / "worked-active-passive.yaml")
    plan = plan_exact_run(scenario, trials=1, seed=3, years=400, chunk_size=40)
    one = finish_run(scenario, plan, execute(scenario, plan, workers=1))
    assert _bytes(run_plan(scenario, plan, workers=2)) == _bytes(one)


@pytest.mark.slow
def test_a_job_that_fails_on_the_pool_fails_the_run_instead_of_hanging_it():
    scenario = load_file(EXAMPLES / "worked-active-passive.yaml")
    good = plan_run(scenario, trials=200, seed=1, years=10, chunk_size=50)
    broken = [ChunkSpec("no_such_type", 0, 0, 0, 50), *good.chunks]
    plan = dataclasses.replace(good, chunks=broken)
    with pytest.raises(KeyError):
        execute(scenario, plan, workers=2)


def test_the_fork_server_writes_nothing_into_the_commands_output(capfd):
    with processes._stdout_to_devnull():
        os.write(1, b"from the server")
    os.write(1, b"from the command")
    assert capfd.readouterr().out == "from the command"


@pytest.mark.slow
def test_the_command_gives_the_same_bytes_on_two_processes():
    command = [sys.executable, "-m", "simulation", "run", str(EXAMPLES / "opener-incident.yaml")]
    command += ["--trials", "300", "--years", "200", "--format", "json"]
    one, two = (
        subprocess.run(argv, capture_output=True, check=True, timeout=120, cwd=EXAMPLES.parent).stdout
        for argv in (command, [*command, "--workers", "2"])
    )
    assert one == two and json.loads(two)["checklist"]


@pytest.mark.slow
def test_a_run_that_stops_early_gives_the_same_bytes_on_a_pool():
    # round after round on the same pool: the shared list serves each round's chunks in turn
    scenario = load_file(EXAMPLES / "worked-active-passive.yaml")
    one = run(scenario, trials=1500, seed=4, years=200, precision_s=20.0, workers=1)
    assert any(entry.trials < 1500 for entry in one.incident_types.values())  # some types stopped early
    assert _bytes(run(scenario, trials=1500, seed=4, years=200, precision_s=20.0, workers=2)) == _bytes(one)
