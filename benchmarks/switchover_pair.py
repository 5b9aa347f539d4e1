"""The switchover pair over 10,000 simulated years, one replay per failure: our engine, plain SimPy, AvailSim4.

A database pair (``benchmarks/switchover-pair.yaml``): each node fails after an
exponential time of mean M = 2,000 h and is back after R = 20 h (fixed); when
the primary fails and the other node is up, service stops for the switchover d;
when the other node is down too (a double failure) it stops until a node is back.
Closed form: unavailability U ≈ u² + λ(1 − u)d with u = R / (M + R), λ = 1 / M,
and double failures at λ · 2u per unit of time.

Each tool simulates 10,000 years and is timed as a whole process, start to exit
(``_timing.time_command``: min / median / max over repeats, CPU of the whole
process tree), next to a bare-SimPy loop measured in the same run:

- (a) ``python -m simulation run benchmarks/switchover-pair.yaml --years-mode exact --trials 1``: our
  engine, one replay per simulated failure (exact compound Poisson), the whole run (checklist included);
- (a′) this file with ``--engine-only``: the same exact years through the engine's API without the
  checklist (whose variant runs replay the pair again), the work the other tools do; with the two
  environment settings the CLI makes for itself (OpenBLAS on one thread, no pydantic plugin lookup), its
  memory set-up (freed memory kept for reuse), its garbage collector set-up (off during the imports, which
  are then frozen out of it) and its end (the output flushed, then ``os._exit`` without tearing the
  interpreter down);
- (b) this file with ``--plain-simpy``: the yardstick, two nodes failing and being repaired in a plain
  SimPy script, the switchover as a fixed outage;
- (c) AvailSim4 2.2.1 (PyPI ``availsim4``), installed at run time into its own virtualenv under /tmp
  (``--availsim4-venv``), modelling the pair as ROOT = AND(PAIR = 1OO2(A, B), SWITCH): the switchover
  as a component failing at rate λ and repaired in d (an outage of d per primary failure; its
  λd instead of λ(1 − u)d is 1 % of that term, far inside the intervals).

Each prints its unavailability and double-failure rate with 95 % intervals against the closed form.
Targets: ours at least as fast as plain SimPy and ≥ 100× faster than AvailSim4, at equal accuracy.
"""

from __future__ import annotations

import argparse
import glob
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import simpy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import Timing, load_average, simpy_event_s, time_command, user_environment, warm_up

SCENARIO = ROOT / "benchmarks" / "switchover-pair.yaml"
HOUR_S = 3600.0
YEAR_H = 8766.0  # 365.25 days
MTBF_H, REPAIR_H = 2000.0, 20.0
SWITCHOVER_S = 31.5  # the switchover our engine replays for this pair (detection 1 s, promotion 30 s, reconnect)
DOUBLE_RTO_S = 120.0  # a failure whose recovery takes longer than this (4 × the switchover) waited for a repair
YEARS = 10_000
AVAILSIM4 = "availsim4==2.2.1"
AVAILSIM4_ITERATIONS = 100  # Monte Carlo iterations of YEARS / 100 years each (their spread gives the interval)
Z95 = 1.96
CLI_ENVIRONMENT = {"OPENBLAS_NUM_THREADS": "1", "PYDANTIC_DISABLE_PLUGINS": "__all__"}  # as simulation/__main__.py


def closed_form(switchover_s: float) -> tuple[float, float]:
    """(unavailability, double failures per year) of the pair."""
    u = REPAIR_H / (MTBF_H + REPAIR_H)
    lam_per_s = 1 / (MTBF_H * HOUR_S)
    return u**2 + lam_per_s * (1 - u) * switchover_s, YEAR_H / MTBF_H * 2 * u


# -- (b) the plain SimPy pair -------------------------------------------------------------------------
def plain_simpy_pair(years: int, seed: int, switchover_s: float = SWITCHOVER_S) -> dict[str, float]:
    """Two nodes alternating exponential up times and fixed repairs; downtime per year; the figures."""
    rng = random.Random(seed)
    year_s, mtbf_s, repair_s = YEAR_H * HOUR_S, MTBF_H * HOUR_S, REPAIR_H * HOUR_S
    downtime = [0.0] * years
    state = {"primary": 0, "down_since": -1.0, "doubles": 0}
    up = [True, True]
    env = simpy.Environment()

    def node(i: int):
        while True:
            yield env.timeout(rng.expovariate(1 / mtbf_s))
            up[i] = False
            if i == state["primary"]:
                if up[1 - i]:
                    downtime[min(years - 1, int(env.now // year_s))] += switchover_s
                    state["primary"] = 1 - i
                else:
                    state["down_since"] = env.now
                    state["doubles"] += 1
            yield env.timeout(repair_s)
            up[i] = True
            if state["down_since"] >= 0:  # the first node back serves again
                downtime[min(years - 1, int(state["down_since"] // year_s))] += env.now - state["down_since"]
                state["down_since"], state["primary"] = -1.0, i

    env.process(node(0))
    env.process(node(1))
    env.run(until=years * year_s)
    per_year = [d / year_s for d in downtime]
    half = Z95 * statistics.stdev(per_year) / math.sqrt(years)
    return _figures(statistics.fmean(per_year), half, state["doubles"], years)


def _figures(u: float, u_half: float, doubles: int, years: int) -> dict[str, float]:
    """Unavailability ± its half-width, and double failures per year ± a Poisson half-width."""
    return {"u": u, "u_half": u_half, "double": doubles / years, "double_half": Z95 * math.sqrt(doubles) / years}


def engine_only(years: int, seed: int) -> str:
    """(a′) The pair's exact years through the engine's API, without the checklist: the results JSON."""
    import gc

    sys.path.insert(0, str(ROOT))
    from simulation.engine.processes import keep_freed_memory

    keep_freed_memory()  # as python -m simulation does, with the garbage collector off during the imports
    gc.disable()
    from simulation.analysis.run import finish_run
    from simulation.engine.plan import plan_exact_run
    from simulation.engine.runner import execute
    from simulation.model.loading import load_file

    gc.freeze()
    gc.enable()

    scenario = load_file(SCENARIO)
    plan = plan_exact_run(scenario, trials=1, seed=seed, years=years)
    return json.dumps(finish_run(scenario, plan, execute(scenario, plan), checklist=False).to_json())


# -- (a) our engine's output ----------------------------------------------------------------------
def engine_figures(stdout: bytes) -> tuple[dict[str, float], float]:
    """The figures of ``run --format json`` on the pair, and the switchover it replayed (median impact)."""
    results = json.loads(stdout)
    availability = results["annual"]["availability"]
    draws = results["annual"]["sample_size"]["incident_types"]["db_primary_failure"]["draws"]
    rto = next(v for v in results["verdicts"] if v["target"] == "rto")
    if rto["threshold"] != DOUBLE_RTO_S:
        raise SystemExit(f"{SCENARIO.name}: targets.rto_s must be {DOUBLE_RTO_S:g} (it tells double failures)")
    doubles = round((1 - rto["probability"]) * draws)  # the first ``draws`` replays are the years' incidents
    low, high = availability["mean_ci"]
    figures = _figures(1 - availability["mean"], (high - low) / 2, doubles, results["years"])
    return figures, results["incident_types"]["db_primary_failure"]["impact_s"]["p50"]


# -- (c) AvailSim4 ---------------------------------------------------------------------------------
AVAILSIM4_INPUT = r"""
import sys, pandas as pd
folder, mtbf, repair, switchover, duration, iterations, seed = sys.argv[1], *map(float, sys.argv[2:7]), sys.argv[7]
def sheet(rows):
    return pd.DataFrame(rows[1:], columns=rows[0])
mode_columns = ["FAILURE_MODE_NAME", "FAILURE_LAW", "FAILURE_PARAMETERS", "REPAIR_LAW", "REPAIR_PARAMETERS",
    "TYPE_OF_FAILURE", "HELD_BEFORE_REPAIR", "INSPECTION_NAME", "PHASE_NAME", "NEXT_PHASE_IF_FAILURE",
    "PHASE_CHANGE_TRIGGER", "HELD_AFTER_REPAIR"]
tail = ["detectable", "NEVER_HELD", "none", "none", "none", "after_repair", "never_held"]
system = {
    "ARCHITECTURE": sheet([
        ["COMPONENT_NAME", "COMPONENT_TYPE", "COMPONENT_NUMBER", "CHILDREN_NAME", "CHILDREN_LOGIC", "IN_MRU",
         "TRIGGER_MRU"],
        ["ROOT", "compound", 1, "PAIR,SWITCH", "AND", "none", "none"],
        ["PAIR", "compound", 1, "A,B", "1OO2", "none", "none"],
        ["A", "basic", 1, "none", "none", "none", "none"],
        ["B", "basic", 1, "none", "none", "none", "none"],
        ["SWITCH", "basic", 1, "none", "none", "none", "none"]]),
    "FAILURE_MODE_ASSIGNMENTS": sheet([["COMPONENT_NAME", "FAILURE_MODE_NAME"], ["A", "node"], ["B", "node"],
                                       ["SWITCH", "switchover"]]),
    "FAILURE_MODES": sheet([mode_columns, ["node", "exp", mtbf, "fix", repair, *tail],
                            ["switchover", "exp", mtbf, "fix", switchover, *tail]]),
    "PHASES": sheet([["PHASE_NAME", "PHASE_LAW", "PHASE_PARAMETERS", "NEXT_DEFAULT_PHASE", "FIRST_PHASE",
                      "NEXT_DEFAULT_PHASE_IF_FAILURE"]]),
    "MRU": sheet([["MRU_NAME", "MRU_LAW", "MRU_PARAMETERS", "MRU_SCHEDULE", "LOWEST_COMMON_ANCESTOR_SCOPE",
                   "TRIGGERING_STATUS"]]),
    "INSPECTIONS": sheet([["INSPECTION_NAME", "INSPECTION_PERIOD", "INSPECTION_DURATION"]]),
    "ROOT_CAUSE_ANALYSIS": sheet([["TRIGGERING_COMPONENT_NAME", "TRIGGERED_BY_COMPONENT_STATUS",
                                   "TRIGGERED_IN_PHASE"]]),
    "PHASE_JUMP": sheet([["TRIGGERING_COMPONENT_NAME", "TRIGGERED_BY_COMPONENT_STATUS", "FROM_PHASE", "TO_PHASE"]]),
}
with pd.ExcelWriter(folder + "/system.xlsx") as out:
    for name, frame in system.items():
        frame.to_excel(out, sheet_name=name, index=False)
simulation = sheet([["SIMULATION_TYPE", "MIN_NUMBER_OF_SIMULATION", "MAX_NUMBER_OF_SIMULATION",
    "CONVERGENCE_MARGIN", "MAX_EXECUTION_TIME", "SEED", "DIAGNOSTICS", "SIMULATION_DURATION"],
    ["MONTE_CARLO", int(iterations), int(iterations), 2, 36000, int(seed), '["SUMMARY"]', duration]])
with pd.ExcelWriter(folder + "/simulation.xlsx") as out:
    simulation.to_excel(out, sheet_name="SIMULATION", index=False)
"""

AVAILSIM4_OUTPUT = r"""
import glob, json, sys, pandas as pd
(path,) = glob.glob(sys.argv[1] + "/simulation_result_*.xlsx")
rows = pd.read_excel(path, sheet_name="RESULTS")
summary = pd.read_excel(path, sheet_name="RESULTS_ROOT_SUMMARY").iloc[0]
down = ~rows["status"].isin(["RUNNING", "DEGRADED", "_"])
root = rows[rows["component"].str.startswith("ROOT") & down]
pair = rows[rows["component"].str.startswith("PAIR") & rows["status"].isin(["UNDER_REPAIR", "FAILED"])]
print(json.dumps({
    "downtime_mean": float(summary["downtime_duration"]), "total": float(summary["total"]),
    "downtime_sd": float((root["_STD_DURATION"] ** 2).sum() ** 0.5),
    "doubles_mean": float(pair["_MEAN_OCCURRENCES"].sum()),
}))
"""


def availsim4_ready(venv: Path) -> str | None:
    """Install AvailSim4 into its own virtualenv (once); None when ready, else why it cannot run."""
    binary = venv / "bin" / "availsim4"
    if binary.exists():
        return None
    try:
        subprocess.run(["python3.11", "-m", "venv", str(venv)], check=True, capture_output=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", AVAILSIM4], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as error:
        stderr = getattr(error, "stderr", b"") or b""
        return f"installing {AVAILSIM4} into {venv} failed: {error} {stderr.decode(errors='replace')[-400:]}"
    return None if binary.exists() else f"{binary} missing after installing {AVAILSIM4}"


def availsim4_timing(venv: Path, years: int, repeats: int, seed: int) -> tuple[Timing, dict[str, float]]:
    """Time AvailSim4 on the pair (hours as its unit); its figures from the last run's RESULTS sheet."""
    python = str(venv / "bin" / "python")
    folder = Path(tempfile.mkdtemp(prefix="availsim4-pair-"))
    duration_h = years * YEAR_H / AVAILSIM4_ITERATIONS
    inputs = [MTBF_H, REPAIR_H, SWITCHOVER_S / HOUR_S, duration_h, AVAILSIM4_ITERATIONS, seed]
    subprocess.run([python, "-c", AVAILSIM4_INPUT, str(folder), *map(str, inputs)], check=True)
    argv = [str(venv / "bin" / "availsim4"), "--simulation", str(folder / "simulation.xlsx")]
    argv += ["--system", str(folder / "system.xlsx"), "--output_folder", str(folder / "out")]
    timing = Timing("(c) AvailSim4 2.2.1")
    for _ in range(repeats):  # a fresh output folder per run: the figures are read from the only result file
        for old in glob.glob(str(folder / "out" / "*")):
            Path(old).unlink()
        run = time_command(timing.label, argv, repeats=1)
        timing.wall_s += run.wall_s
        timing.cpu_s += run.cpu_s
        timing.peak_mb += run.peak_mb
    out = subprocess.run([python, "-c", AVAILSIM4_OUTPUT, str(folder / "out")], check=True, capture_output=True)
    raw = json.loads(out.stdout)
    u = raw["downtime_mean"] / raw["total"]
    u_half = Z95 * raw["downtime_sd"] / math.sqrt(AVAILSIM4_ITERATIONS) / raw["total"]
    return timing, _figures(u, u_half, round(raw["doubles_mean"] * AVAILSIM4_ITERATIONS), years)


# -- the report ------------------------------------------------------------------------------------
def accuracy_line(label: str, figures: dict[str, float], switchover_s: float) -> str:
    u_closed, double_closed = closed_form(switchover_s)

    def judged(value: float, half: float, expected: float) -> str:
        return "within" if abs(value - expected) <= half else "OUTSIDE"

    return (
        f"{label}: U = {figures['u']:.4e} ± {figures['u_half']:.1e} (closed form {u_closed:.4e}: "
        f"{judged(figures['u'], figures['u_half'], u_closed)} the 95 % interval); double failures "
        f"{figures['double']:.4f} ± {figures['double_half']:.4f} per year (closed form {double_closed:.4f}: "
        f"{judged(figures['double'], figures['double_half'], double_closed)})"
    )


def cpu_ratio(slow: Timing, fast: Timing) -> float:
    return statistics.median(slow.cpu_s) / statistics.median(fast.cpu_s)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per tool (default 3)")
    parser.add_argument("--availsim4-repeats", type=int, default=1, help="runs of AvailSim4 (default 1: ~1 min)")
    parser.add_argument("--years", type=int, default=YEARS)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--availsim4-venv", type=Path, default=Path("/tmp/availsim4-venv"))
    parser.add_argument("--skip-availsim4", action="store_true")
    parser.add_argument("--plain-simpy", action="store_true", help="(b) only: print its figures as JSON")
    parser.add_argument("--engine-only", action="store_true", help="(a′) only: print the results JSON")
    args = parser.parse_args(argv)
    if args.plain_simpy:
        print(json.dumps(plain_simpy_pair(args.years, args.seed)))
        return
    if args.engine_only:  # ends as ``python -m simulation`` does: output flushed, no interpreter teardown
        print(engine_only(args.years, args.seed), flush=True)
        os._exit(0)

    warm_up(sys.executable)
    print(f"{load_average()} at the start; {args.years:,} simulated years, one replay per failure")
    event = simpy_event_s()
    print(f"bare SimPy: {event.wall_s * 1e6:.2f} µs per event wall, {event.cpu_s * 1e6:.2f} µs CPU")
    repeats = max(1, args.repeats)
    ours_argv = [sys.executable, "-m", "simulation", "run", str(SCENARIO), "--years-mode", "exact", "--trials", "1"]
    ours_argv += ["--years", str(args.years), "--seed", str(args.seed), "--format", "json"]
    ours = time_command("(a) our engine, exact years", ours_argv, repeats=repeats)
    ours_figures, replayed_switchover_s = engine_figures(ours.stdout[-1])
    this = [sys.executable, str(Path(__file__).resolve()), "--years", str(args.years), "--seed", str(args.seed)]
    lean_env = {**user_environment(), **CLI_ENVIRONMENT}  # the settings ``python -m simulation`` makes for itself
    lean = time_command(
        "(a′) our engine, exact years, no checklist", this + ["--engine-only"], repeats=repeats, env=lean_env
    )
    if engine_figures(lean.stdout[-1])[0] != ours_figures:
        raise SystemExit("(a′) and (a) differ: the same seed must give the same years")
    plain = time_command("(b) plain SimPy pair", this + ["--plain-simpy"], repeats=repeats)
    plain_figures = json.loads(plain.stdout[-1])

    print(f"switchover as replayed by our engine: {replayed_switchover_s:.2f} s (the others use {SWITCHOVER_S} s)")
    print(accuracy_line("(a) ours ", ours_figures, replayed_switchover_s))
    print(accuracy_line("(b) SimPy", plain_figures, SWITCHOVER_S))
    timings = [ours, lean, plain]
    availsim4 = None
    if args.skip_availsim4:
        print("(c) AvailSim4: skipped (--skip-availsim4)")
    elif (why := availsim4_ready(args.availsim4_venv)) is not None:
        print(f"(c) AvailSim4: NOT RUN — {why}")
    else:
        availsim4, availsim4_figures = availsim4_timing(
            args.availsim4_venv, args.years, max(1, args.availsim4_repeats), args.seed
        )
        print(accuracy_line("(c) AvailSim4", availsim4_figures, SWITCHOVER_S))
        timings.append(availsim4)
    print()
    for timing in timings:
        print(timing.line(event))
    print(
        f"ours / plain SimPy, median CPU: {cpu_ratio(ours, plain):.2f}× ({cpu_ratio(lean, plain):.2f}× without "
        f"the checklist; target ≤ 1); plain SimPy {statistics.median(plain.cpu_s) / event.cpu_s / 1e6:.2f} M "
        "bare-SimPy events"
    )
    if availsim4 is not None:
        print(
            f"AvailSim4 / ours, median CPU: ours {cpu_ratio(availsim4, ours):.0f}× faster "
            f"({cpu_ratio(availsim4, lean):.0f}× without the checklist; target ≥ 100×)"
        )
    print(load_average() + " at the end")


if __name__ == "__main__":
    main()
