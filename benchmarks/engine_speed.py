"""Engine speed: the figures of docs/cli.md's Speed section (not a test). ``make bench`` runs it.

Every command is timed as a whole process, start to exit, as a user waits for
it (``_timing.time_command``: min / median / max over repeated runs, CPU and
peak memory of the whole process tree from the kernel, nothing running inside
the measured process). A bare-SimPy loop measured in the same run is the
yardstick: each figure is also printed in bare-SimPy events, and each incident
model's cost per incident as a ratio to bare SimPy for the events a replay of
it needs (counted with every incident replayed: the incidents the engine works
out in closed form need none, and their share is printed too).

- replay cost per incident type (worked example and opener), in this process;
- ``run`` quick run: 2,000 incidents per type, worked example and opener (target < 1 s on the worked example);
- ``advise`` and ``sensitivity`` on the opener (target < 3 s each);
- full run, 20,000 and 100,000 per type, on 1 and 2 workers (target ≥ 1.8× faster on two), output compared
  byte for byte, next to the ceiling that the start-up before the first chunk (timed alone) sets;
- peak memory of a quick run at 192 app instances (target < 200 MB).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import Timing, Yardstick, load_average, simpy_event_s, time_command, warm_up

from simulation.engine.chunks import chunk_rng
from simulation.incidents import MODELS, protocol
from simulation.incidents.outcomes import ReplayEnvironment
from simulation.model.loading import dump_document, load_file, load_scenario
from simulation.model.scenario import Scenario

WORKED = "examples/worked-active-passive.yaml"
OPENER = "examples/opener-incident.yaml"
CLI = [sys.executable, "-m", "simulation"]


def _events_per_replay(scenario: Scenario, name: str, n: int) -> tuple[float, float]:
    """SimPy events one replay of ``name`` needs, on average, when every incident is replayed; and the share
    of incidents the engine works out in closed form instead (counted, not timed)."""
    counted = [0]
    step = ReplayEnvironment.step

    def counting_step(env: ReplayEnvironment) -> None:
        counted[0] += 1
        step(env)

    replayed = [0]
    replay_batch = protocol.replay_batch

    def counting_batch(*args, replay_one, **kwargs):  # type: ignore[no-untyped-def]
        def counted_one(*one_args):  # type: ignore[no-untyped-def]
            replayed[0] += 1
            return replay_one(*one_args)

        return replay_batch(*args, replay_one=counted_one, **kwargs)

    module = MODELS[name]
    ReplayEnvironment.step = counting_step  # type: ignore[method-assign]
    protocol.CLOSED_FORMS = False
    try:
        module.simulate(scenario, chunk_rng(1, 0, 0), n)
    finally:
        ReplayEnvironment.step = step  # type: ignore[method-assign]
        protocol.CLOSED_FORMS = True
    module.replay_batch = counting_batch  # type: ignore[attr-defined]
    try:
        module.simulate(scenario, chunk_rng(1, 0, 0), n)
    finally:
        module.replay_batch = replay_batch  # type: ignore[attr-defined]
    return counted[0] / n, 1.0 - replayed[0] / n


def replay_costs(label: str, scenario: Scenario, event: Yardstick, n: int) -> None:
    """Per incident type: µs per replay, events per replay and the ratio to bare SimPy for those events."""
    print(f"\ncost per incident, {label} ({n} incidents per type, CPU time, best of 3):")
    for name, module in MODELS.items():
        if module.rate_per_year(scenario) <= 0:
            continue
        best = float("inf")
        for _ in range(3):
            start = time.process_time()
            module.simulate(scenario, chunk_rng(1, 0, 0), n)
            best = min(best, time.process_time() - start)
        per_replay_s, (events, closed) = best / n, _events_per_replay(scenario, name, n)
        ratio = per_replay_s / (events * event.cpu_s) if events else float("nan")
        print(
            f"  {name:<22}{per_replay_s * 1e6:8.1f} µs/incident {events:6.1f} events "
            f"→ {ratio:5.1f}× bare SimPy (target ≤ 2×); {closed:4.0%} worked out in closed form"
        )


def _at_instances(path: str, instances: int, out_dir: Path) -> str:
    """``path`` with every region's app_instances set to ``instances``, written to ``out_dir``."""
    doc = dump_document(load_file(ROOT / path))
    for region in doc["regions"]:
        region["app_instances"] = instances
    load_scenario(doc)  # still valid
    target = out_dir / f"{instances}-instances.json"
    target.write_text(json.dumps(doc))
    return str(target)


def _digest(timing: Timing) -> set[str]:
    return {hashlib.sha256(out).hexdigest()[:12] for out in timing.stdout}


STARTUP = [
    sys.executable,
    "-c",
    "import os; os.environ.setdefault('OPENBLAS_NUM_THREADS', '1'); "
    "os.environ.setdefault('PYDANTIC_DISABLE_PLUGINS', '__all__'); "
    "import simulation.cli.main, simulation.analysis.run, simulation.engine.runner; "
    f"from simulation.model.loading import load_file; load_file({WORKED!r})",
]
"""What a run does before its first chunk, on every worker count: the process, its imports, the scenario."""


def full_run_speed_up(trials: int, repeats: int, event: Yardstick, start_up_s: float) -> None:
    """A full run on 1 and 2 workers: the speed-up, next to the most two workers could give when the
    start-up (``start_up_s``, before the first chunk) stays serial and the rest splits evenly (Amdahl)."""
    full = [*CLI, "run", WORKED, "--trials", str(trials), "--format", "json"]
    one = time_command(f"run {Path(WORKED).name} --trials {trials}, 1 worker", full, repeats=repeats)
    two = time_command(
        f"run {Path(WORKED).name} --trials {trials}, 2 workers", [*full, "--workers", "2"], repeats=repeats
    )
    print("  " + one.line(event))
    print("  " + two.line(event))
    speed_up = one.median_s / two.median_s
    ceiling = one.median_s / (start_up_s + (one.median_s - start_up_s) / 2)
    same = len(_digest(one) | _digest(two)) == 1
    print(
        f"  speed-up on 2 workers: {speed_up:.2f}× (median over median; target ≥ 1.8×), "
        f"{speed_up / ceiling:.0%} of the {ceiling:.2f}× a serial start-up of {start_up_s:.2f} s allows; "
        f"identical output: {same}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs per command (default 5)")
    parser.add_argument("--full-trials", type=int, default=20_000)
    parser.add_argument("--full-trials-large", type=int, default=100_000, help="a second, longer full run")
    parser.add_argument("--skip", nargs="*", default=[], choices=("replays", "quick", "analyses", "full", "memory"))
    args = parser.parse_args(argv)
    repeats = max(1, args.repeats)

    warm_up(sys.executable)
    print(f"{load_average()} at the start; compiled modules cached, as on a user's machine")
    event = simpy_event_s()
    print(
        f"bare SimPy: {event.wall_s * 1e6:.2f} µs per event wall, {event.cpu_s * 1e6:.2f} µs CPU "
        "(one process yielding timeouts, best of 3)"
    )
    worked, opener = load_file(ROOT / WORKED), load_file(ROOT / OPENER)

    if "replays" not in args.skip:
        replay_costs("worked example", worked, event, 1000)
        replay_costs("opener", opener, event, 500)

    print("\nwhole processes (python -m simulation …), each in bare-SimPy events measured just before it:")
    if "quick" not in args.skip:
        for path, target in ((WORKED, "< 1 s"), (OPENER, "")):
            event = simpy_event_s()
            timing = time_command(f"run {Path(path).name} --trials 2000", [*CLI, "run", path], repeats=repeats)
            print("  " + timing.line(event, target))
    if "analyses" not in args.skip:
        for command in ("advise", "sensitivity"):
            event = simpy_event_s()
            timing = time_command(f"{command} {Path(OPENER).name}", [*CLI, command, OPENER], repeats=repeats)
            print("  " + timing.line(event, "< 3 s"))
    if "full" not in args.skip:
        few = max(1, min(repeats, 3))
        event = simpy_event_s()
        start_up = time_command("start-up before the first chunk (imports, scenario)", STARTUP, repeats=few)
        print("  " + start_up.line(event))
        for trials in (args.full_trials, args.full_trials_large):
            full_run_speed_up(trials, few, event, start_up.median_s)
    if "memory" not in args.skip:
        with tempfile.TemporaryDirectory() as tmp:
            path = _at_instances(WORKED, 192, Path(tmp))
            event = simpy_event_s()
            timing = time_command("run, 192 app instances per region", [*CLI, "run", path], repeats=1)
            print("  " + timing.line(event, "peak memory < 200 MB"))
    print(f"\n{load_average()} at the end; bare SimPy now {simpy_event_s().wall_s * 1e6:.2f} µs per event")


if __name__ == "__main__":
    main()
