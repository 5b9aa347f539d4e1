"""Timing whole processes from outside, and the bare-SimPy yardstick every figure is compared with.

- ``time_command``: start a command, wait for it to exit, repeat; wall time from
  start to exit, CPU seconds and peak resident memory come from the kernel's
  accounting of the finished process tree (``os.wait4``), so nothing runs inside
  the measured process and nothing samples it while it runs.
- ``simpy_event_s``: seconds per event of a bare SimPy loop (a process that
  yields timeouts), measured in this process between the timed commands.
  Printing each figure also as a count of such events keeps it comparable
  across machines.
"""

from __future__ import annotations

import ctypes
import os
import statistics
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import simpy

ROOT = Path(__file__).resolve().parents[1]
PR_SET_CHILD_SUBREAPER = 36  # prctl option (Linux): orphaned descendants are re-parented to this process
DESCENDANTS_WAIT_S = 10.0  # how long to wait for the measured process's descendants to exit after it


def _become_subreaper() -> bool:
    """Adopt orphaned descendants (a pool's fork server outlives its parent), so their usage is counted too."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _reap_descendants() -> tuple[float, float]:
    """(CPU seconds, largest peak MB) of the adopted descendants, once they have all exited."""
    cpu_s, peak_mb = 0.0, 0.0
    deadline = time.monotonic() + DESCENDANTS_WAIT_S
    while time.monotonic() < deadline:
        try:
            pid, _, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            break  # none left
        if pid == 0:
            time.sleep(0.01)
            continue
        cpu_s += usage.ru_utime + usage.ru_stime
        peak_mb = max(peak_mb, usage.ru_maxrss / 1024)
    return cpu_s, peak_mb


@dataclass
class Timing:
    """Repeated runs of one command: wall seconds, CPU seconds and peak memory of each run."""

    label: str
    wall_s: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)
    stdout: list[bytes] = field(default_factory=list)

    @property
    def median_s(self) -> float:
        return statistics.median(self.wall_s)

    def line(self, event: Yardstick, target: str = "") -> str:
        """min / median / max wall seconds, the median in bare-SimPy events, CPU and peak memory."""
        events = self.median_s / event.wall_s
        cpu_s = statistics.median(self.cpu_s)
        return (
            f"{self.label}: min {min(self.wall_s):.2f} s, median {self.median_s:.2f} s, max {max(self.wall_s):.2f} s "
            f"over {len(self.wall_s)} runs (= {events / 1e6:.2f} M bare-SimPy events); "
            f"CPU {cpu_s:.2f} s (= {cpu_s / event.cpu_s / 1e6:.2f} M); "
            f"peak memory {max(self.peak_mb):.0f} MB" + (f" — target {target}" if target else "")
        )


def time_command(label: str, argv: Sequence[str], *, repeats: int, env: dict[str, str] | None = None) -> Timing:
    """Run ``argv`` ``repeats`` times from the project root; each run timed from start to exit.

    CPU seconds and peak memory are those of the process and all its descendants (pool
    workers and their fork server included): what ``wait4`` reports for each finished
    process, this process adopting the orphans (Linux ``PR_SET_CHILD_SUBREAPER``).
    """
    _become_subreaper()
    timing = Timing(label)
    env = user_environment() if env is None else env
    for _ in range(repeats):
        start = time.perf_counter()
        process = subprocess.Popen(list(argv), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        assert process.stdout is not None
        out = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        timing.wall_s.append(time.perf_counter() - start)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode not in (0, 1):  # 1: ``check`` with a target missed
            raise RuntimeError(f"{label}: exit code {process.returncode} from {' '.join(argv)}")
        orphans_cpu_s, orphans_peak_mb = _reap_descendants()
        timing.cpu_s.append(usage.ru_utime + usage.ru_stime + orphans_cpu_s)
        timing.peak_mb.append(max(usage.ru_maxrss / 1024, orphans_peak_mb))
        timing.stdout.append(out)
    return timing


def user_environment() -> dict[str, str]:
    """This environment as on a user's machine, where Python caches compiled modules."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def warm_up(python: str) -> None:
    """Import every module of the engine once so that its compiled form is cached (untimed)."""
    code = "import simulation.cli.main, simulation.cli.workshop, simulation.cli.report, simulation.analysis.run"
    subprocess.run([python, "-c", code], cwd=ROOT, env=user_environment(), check=True)


@dataclass(frozen=True)
class Yardstick:
    """Seconds per event of bare SimPy: wall clock and CPU (the CPU figure holds on a busy machine too)."""

    wall_s: float
    cpu_s: float


def simpy_event_s(events: int = 100_000, repeats: int = 3) -> Yardstick:
    """Seconds per event of bare SimPy (one process yielding ``events`` timeouts), best of ``repeats``."""

    def ticker(env: simpy.Environment):
        for _ in range(events):
            yield env.timeout(1.0)

    wall, cpu = float("inf"), float("inf")
    for _ in range(repeats):
        env = simpy.Environment()
        env.process(ticker(env))
        start, start_cpu = time.perf_counter(), time.process_time()
        env.run()
        wall, cpu = min(wall, time.perf_counter() - start), min(cpu, time.process_time() - start_cpu)
    return Yardstick(wall / events, cpu / events)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} cores"
