"""A full run on 1 Celery worker process against 2: the speed-up of spreading a run's pieces over workers.

Needs the real services a team runs on: PostgreSQL (the database is created if missing) and Redis.
Starts a worker with ``--concurrency 1``, times runs from queueing to results (``--repeats`` of them, seeds
1, 2, …: min, median, max), does the same with ``--concurrency 2``, checks the results of seed 1 are the same
bytes on both and as the engine's in one process, and prints the speed-up (median over median).

    .venv/bin/python benchmarks/celery_scaleout.py [--trials 20000] [--example worked-active-passive.yaml]
        [--database postgres://postgres@127.0.0.1:5432/celery_scaleout_bench] [--redis redis://127.0.0.1:6379/0]
        [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20_000, help="replays per incident type (default 20000)")
    parser.add_argument("--example", default="worked-active-passive.yaml", help="a file of examples/")
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/celery_scaleout_bench")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="the broker")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2], help="worker processes to compare")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per worker count (other seeds)")
    return parser.parse_args()


OPTIONS = _options()
os.environ["DATABASE_URL"] = OPTIONS.database
os.environ["CELERY_BROKER_URL"] = OPTIONS.redis
os.environ["CELERY_QUEUE"] = QUEUE = f"bench-{uuid.uuid4().hex[:8]}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DEBUG", "true")


def _database_create(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


_database_create(OPTIONS.database)

import django

django.setup()

from django.contrib.auth import get_user_model
from django.core.management import call_command

import simulation
from planner.models import Run
from planner.services.runs import run_create
from planner.services.scenarios import scenario_create
from planner.services.workspaces import workspace_create

RUN_TIMEOUT_S = 1800


def _worker(processes: int, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", "-Q", QUEUE]
    command += [f"--concurrency={processes}", "-n", f"{QUEUE}-{processes}@%h", "--without-gossip", "--without-mingle"]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while b" ready." not in log.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the worker did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)
    return process


def _stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _timed_run(scenario, user, trials: int, seed: int) -> tuple[float, Run]:
    started = time.perf_counter()
    run = run_create(scenario=scenario, user=user, trials=trials, seed=seed)  # autocommit: queued at once
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while Run.objects.filter(pk=run.pk).exclude(status__in=Run.FINISHED).exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"run {run.pk} did not finish within {RUN_TIMEOUT_S} s")
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    run.refresh_from_db()
    if run.status != Run.Status.DONE:
        raise SystemExit(f"run {run.pk} ended {run.status}: {run.error}")
    return elapsed, run


def main() -> None:
    call_command("migrate", verbosity=0)
    user, _ = get_user_model().objects.get_or_create(username="bench-scaleout")
    document = simulation.parse_text((ROOT / "examples" / OPTIONS.example).read_text())

    def scenario_for(processes: int):
        """The same scenario in a workspace per measurement: the same submission again within a minute is the
        same run (and the results name the scenario, so its name stays)."""
        workspace = workspace_create(name=f"Scale-out {QUEUE} ({processes} processes)", user=user)
        return scenario_create(workspace=workspace, name=OPTIONS.example, document=document, user=user)

    started = time.perf_counter()
    engine = simulation.run(simulation.load_scenario(scenario_for(0).document), trials=OPTIONS.trials, seed=1)
    one_process_s = time.perf_counter() - started
    print(f"{OPTIONS.example}, {OPTIONS.trials} trials per type, on {os.cpu_count()} cores")
    print(f"  the engine in this process (no Celery): {one_process_s:6.1f} s")

    timings: dict[int, float] = {}
    results: dict[int | str, str] = {"engine": json.dumps(engine.to_json(), sort_keys=True)}
    with tempfile.TemporaryDirectory() as folder:
        for processes in OPTIONS.processes:
            process = _worker(processes, Path(folder) / f"worker-{processes}.log")
            scenario = scenario_for(processes)
            try:
                _timed_run(scenario, user, 500, seed=OPTIONS.repeats + 1)  # warm up: imports, connections
                runs = [_timed_run(scenario, user, OPTIONS.trials, seed=1 + r) for r in range(OPTIONS.repeats)]
            finally:
                _stop(process)
            results[processes] = json.dumps(runs[0][1].results, sort_keys=True)  # seed 1, as the engine's
            times = sorted(elapsed for elapsed, _ in runs)
            timings[processes] = statistics.median(times)
            print(
                f"  Celery, {processes} worker process(es): median {timings[processes]:.2f} s "
                f"(min {times[0]:.2f}, max {times[-1]:.2f} over {len(times)} runs, seeds 1–{len(times)}; "
                f"{runs[0][1].chunks_total} chunks)"
            )
    first = OPTIONS.processes[0]
    for processes in OPTIONS.processes[1:]:
        speed_up = timings[first] / timings[processes]
        print(f"  speed-up {first} → {processes} processes: {speed_up:.2f}× (median over median)")
    identical = len(set(results.values())) == 1
    print(f"  results identical across worker counts and to the engine in one process: {'yes' if identical else 'NO'}")
    if not identical:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
