"""Engine speed: prints figures (not a test). ``make bench`` or ``python benchmarks/engine_speed.py``.

- quick run: worked-active-passive.yaml, every incident type, 2,000 replays per
  type, 10,000 simulated years, one process (target < 1 s);
- full run: 20,000 replays per type on 1 and on 2 worker processes
  (targets < 10 s, about 2× faster on two);
- db_primary_failure replays per second for a system of 12 app instances;
- peak memory of this process and of its worker processes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np

from simulation import load_file, load_scenario, run
from simulation.incidents import MODELS
from simulation.model.loading import dump_document

EXAMPLE = ROOT / "examples" / "worked-active-passive.yaml"


class _Workers:
    """Peak resident memory and CPU time of this process's descendants (pool workers), sampled from /proc."""

    def __init__(self):
        self.peak_kb = 0
        self.cpu_s: dict[int, float] = {}  # pid → CPU seconds last seen
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _descendants(self) -> list[int]:
        parents = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    parents[int(entry.name)] = int(fields[1])
                except (OSError, IndexError, ValueError):
                    continue
        found, frontier = [], [os.getpid()]
        while frontier:
            pid = frontier.pop()
            children = [c for c, p in parents.items() if p == pid]
            found += children
            frontier += children
        return found

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            for pid in self._descendants():
                try:
                    self.cpu_s[pid] = self._cpu_of(pid)
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            self.peak_kb = max(self.peak_kb, int(line.split()[1]))
                except (OSError, IndexError, ValueError):
                    continue

    def _cpu_of(self, pid: int) -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def cpu_used_s(self) -> float:
        """CPU seconds the descendants used since ``__enter__`` (a fork server already running counts from then)."""
        return sum(cpu - self._start_cpu_s.get(pid, 0.0) for pid, cpu in self.cpu_s.items())

    def __enter__(self):
        self._start_cpu_s: dict[int, float] = {}
        if Path("/proc/self/stat").exists():
            for pid in self._descendants():
                try:
                    self._start_cpu_s[pid] = self._cpu_of(pid)
                except (OSError, IndexError, ValueError):
                    continue
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def _own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def _scenario():
    if EXAMPLE.exists():
        return load_file(EXAMPLE), EXAMPLE.name
    return load_scenario({"name": "default active-passive"}), "the default active-passive scenario"


def _twelve_instances(scenario):
    doc = dump_document(scenario)
    for region in doc["regions"]:
        region["app_instances"] = 12
    return load_scenario(doc)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full-trials", type=int, default=20_000)
    parser.add_argument("--quick-trials", type=int, default=2_000)
    args = parser.parse_args(argv)
    scenario, label = _scenario()
    print(f"scenario: {label}; incident types: {', '.join(MODELS)}; cores: {os.cpu_count()}")

    run(scenario, trials=250, seed=0, years=1000, checklist=False)  # warm imports and caches
    quick_s, quick = _timed(lambda: run(scenario, trials=args.quick_trials, seed=1, years=10_000))
    print(f"quick run  ({args.quick_trials} per type, 10,000 years, 1 process): {quick_s:.2f} s (target < 1 s)")
    bare_s, _ = _timed(lambda: run(scenario, trials=args.quick_trials, seed=1, years=10_000, checklist=False))
    print(f"  of which without the checklist's variant runs: {bare_s:.2f} s")

    cpu_before = _own_cpu_s()
    one_s, one = _timed(lambda: run(scenario, trials=args.full_trials, seed=1, years=10_000, workers=1))
    one_cpu = _own_cpu_s() - cpu_before
    cold_s, _ = _timed(lambda: run(scenario, trials=args.full_trials, seed=1, years=10_000, workers=2))
    cpu_before = _own_cpu_s()
    with _Workers() as workers:
        two_s, two = _timed(lambda: run(scenario, trials=args.full_trials, seed=1, years=10_000, workers=2))
    main_cpu, pool_cpu = _own_cpu_s() - cpu_before, workers.cpu_used_s()
    same = json.dumps(one.to_json()) == json.dumps(two.to_json())
    print(
        f"full run   ({args.full_trials} per type): 1 worker {one_s:.2f} s, 2 workers {two_s:.2f} s "
        f"(speed-up {one_s / two_s:.2f}×, target < 10 s and ~2×; {cold_s:.2f} s when the fork server "
        f"first starts); identical output: {same}"
    )
    print(
        f"  CPU seconds: 1 worker {one_cpu:.2f}; 2 workers: this process {main_cpu:.2f} + pool {pool_cpu:.2f} "
        f"(on two idle cores the wall time is about the larger share: {one_cpu / max(main_cpu, pool_cpu):.2f}×)"
    )

    if "db_primary_failure" in MODELS:
        twelve = _twelve_instances(scenario)
        n = 2000
        rng = np.random.default_rng(1)
        model = MODELS["db_primary_failure"]
        seconds, _ = _timed(lambda: model.simulate(twelve, rng, n))
        print(f"db_primary_failure, 12 instances: {n / seconds:,.0f} replays/s")

    per_type = ", ".join(f"{name} {entry.rto_s.p50:.0f} s" for name, entry in quick.incident_types.items())
    print(f"RTO medians (quick run): {per_type}")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: this process {own:.0f} MB, largest worker process {workers.peak_kb / 1024:.0f} MB")


if __name__ == "__main__":
    main()
