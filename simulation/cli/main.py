"""Command line: ``python -m simulation run|check|validate FILE``, plus ``report``, ``advise``, ``sensitivity``,
``drill``, ``terraform`` and ``remote check``.

Exit codes: 0 success (``check``: every target met), 1 ``check`` with a
target missed, 2 bad input (missing or unreadable file, invalid document, bad
flags) with one line per problem on stderr — never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from importlib import import_module
from typing import TYPE_CHECKING, TextIO

from simulation.cli.args import Handler, Parser, UsageError, add_run_size, add_years_mode, bounded_int
from simulation.model.loading import ScenarioError, load_file
from simulation.present.format import (
    format_availability,
    format_count,
    format_duration,
    format_monthly,
    format_percent,
    format_sample_size,
    verdict_text,
)
from simulation.units import SECONDS_PER_YEAR

if TYPE_CHECKING:
    from simulation.engine.results import RunResults, Verdict
    from simulation.model.scenario import Scenario

EXIT_OK, EXIT_MISSED, EXIT_BAD_INPUT = 0, 1, 2
MAX_WORKERS = 64
CORE_COMMANDS = ("run", "check", "validate")  # need neither the report nor the workshop analyses
# the other commands, by the module that adds their parsers (``add_parsers(subparsers)``): a command
# imports only its own; help and unknown commands import them all
EXTRA_COMMANDS = {
    "report": ("simulation.cli.report",),
    "advise": ("simulation.cli.workshop",),
    "sensitivity": ("simulation.cli.workshop",),
    "terraform": ("simulation.cli.integrations",),
    "remote": ("simulation.cli.integrations",),
    "drill": ("simulation.cli.drills",),
}
ALL_EXTRA = ("simulation.cli.report", "simulation.cli.workshop", "simulation.cli.integrations", "simulation.cli.drills")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Every command's parser; for ``command`` in ``CORE_COMMANDS`` only those (the others' options
    come from the analysis modules, which such a command need not import)."""
    parser = Parser(
        prog="python -m simulation",
        description="Simulate failures of a scenario and report RTO, RPO, availability and cost.",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for name, help_text in (
        ("run", "simulate and print the results"),
        ("check", "simulate; exit 1 when a target is missed"),
    ):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("file", help="scenario YAML or JSON file")
        add_run_size(sub)
        add_years_mode(sub)
        sub.add_argument("--workers", type=bounded_int(1, MAX_WORKERS), default=1, help="processes (default 1)")
        sub.add_argument(
            "--precision",
            type=_positive_float,
            default=None,
            metavar="SECONDS",
            help="stop replaying a type once its RTO p95 is known within ± SECONDS (95 %% interval)",
        )
        sub.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    sub = commands.add_parser("validate", help="check the document; list every problem by field path")
    sub.add_argument("file", help="scenario YAML or JSON file")
    if command not in CORE_COMMANDS:
        for module in EXTRA_COMMANDS.get(command or "", ALL_EXTRA):
            import_module(module).add_parsers(commands)
    return parser


# -- table output -------------------------------------------------------------------------------
def _money(value: float, currency: str) -> str:
    return format_monthly(value, currency)


def format_table(results: RunResults) -> str:
    """A readable report with a unit on every number."""
    costs = results.costs
    cur = costs.currency
    used = sorted({entry.trials for entry in results.incident_types.values()})
    if used and used != [results.trials_per_type]:  # stopped early: say what each type used
        incidents_text = f"{used[0]}–{used[-1]} of up to {results.trials_per_type} incidents per type"
        if len(used) == 1:
            incidents_text = f"{used[0]} of up to {results.trials_per_type} incidents per type"
    else:
        incidents_text = f"{results.trials_per_type} incidents per type"
    lines = [
        f"Scenario: {results.scenario_name}",
        f"Engine {results.engine_version}, seed {results.seed}, {incidents_text}, {results.years} simulated years",
        "",
    ]
    header = (
        f"{'incident type':<22}{'rate':>12}{'RTO p50':>12}{'RTO p95':>12}{'RTO p99':>12}"
        f"{'loss p50':>12}{'loss p95':>12}{'humans':>9}"
    )
    lines += ["Per incident", header, "-" * len(header)]
    for name, entry in results.incident_types.items():
        rto, loss = entry.rto_s, entry.data_loss_s
        lines.append(
            f"{name:<22}{entry.rate_per_year:>9.2f} /y{format_duration(rto.p50):>12}"
            f"{format_duration(rto.p95):>12}{format_duration(rto.p99):>12}{format_duration(loss.p50):>12}"
            f"{format_duration(loss.p95):>12}{format_percent(entry.humans_needed_share):>9}"
        )
    annual = results.annual
    down, avail = annual.downtime_s, annual.availability
    lines += [
        "",
        "Per year",
        f"  downtime          mean {format_duration(down.mean)}, p95 {format_duration(down.p95)}, "
        f"p99 {format_duration(down.p99)}",
        f"  availability      mean {format_availability(avail.mean)}, below "
        f"{format_availability(1 - down.p95 / SECONDS_PER_YEAR)} in 5 % of years",
        f"  lost transactions mean {format_count(annual.lost_tx.mean)} tx, p95 {format_count(annual.lost_tx.p95)} tx",
        f"  conflicting tx    mean {format_count(annual.conflicting_tx.mean)} tx, "
        f"p95 {format_count(annual.conflicting_tx.p95)} tx (split brain: to reconcile)",
        f"  incidents         mean {annual.incidents.mean:.1f} per year",
    ]
    if annual.sample_size is not None:
        lines.append(f"  sample size       {format_sample_size(annual.sample_size, results.years)}")
    lines += ["", "Monthly cost"]
    for line_item, value in costs.breakdown_usd_per_month.items():
        lines.append(f"  {line_item:<28}{_money(value, cur):>24}")
    for label, value in (
        ("infrastructure", costs.infrastructure_usd_per_month),
        ("baseline (single region)", costs.baseline_usd_per_month),
        ("premium over baseline", costs.premium_usd_per_month),
        ("expected outage cost", costs.expected_outage_usd_per_month),
        ("total", costs.total_usd_per_month),
    ):
        lines.append(f"  {label:<28}{_money(value, cur):>24}")
    lines += [
        "",
        f"Targets (met when the probability reaches {results.verdicts[0].confidence * 100:g} %)"
        if results.verdicts
        else "Targets",
    ]
    for verdict in results.verdicts:
        lines.append(f"  [{'met' if verdict.met else 'MISSED':>6}] {_verdict_text(verdict, results)}")
    if results.checklist:
        lines += ["", "Checklist"]
        for item in results.checklist:
            cost = (
                "" if item.cost_usd_per_month is None else f" — saves {_money(item.cost_usd_per_month, cur)} when fixed"
            )
            lines.append(f"  {item.number}. [{'yes' if item.answer else 'no':>3}] {item.question}")
            lines.append(f"         {item.reason}{cost}")
    lines += ["", "All targets met." if results.targets_met else "Some targets are missed."]
    return "\n".join(lines) + "\n"


def _verdict_text(verdict: Verdict, results: RunResults) -> str:
    return verdict_text(verdict, results.costs.currency, results.costs.infrastructure_usd_per_month)


def format_verdicts(results: RunResults) -> str:
    lines = [f"[{'met' if v.met else 'MISSED':>6}] {_verdict_text(v, results)}" for v in results.verdicts]
    lines.append("All targets met." if results.targets_met else "Some targets are missed.")
    return "\n".join(lines) + "\n"


# -- commands -----------------------------------------------------------------------------------
def _simulate(scenario: Scenario, args: argparse.Namespace) -> RunResults:
    from simulation.analysis.run import run

    if args.years_mode == "exact":
        return _simulate_exact(scenario, args)
    return run(
        scenario, trials=args.trials, seed=args.seed, years=args.years, workers=args.workers, precision_s=args.precision
    )


def _simulate_exact(scenario: Scenario, args: argparse.Namespace) -> RunResults:
    """A run with one replay per simulated incident (``plan_exact_run``); bad combinations are usage errors."""
    from simulation.analysis.run import run_plan
    from simulation.engine.plan import plan_exact_run

    if args.precision is not None:
        raise UsageError("--precision: not with --years-mode exact (every simulated incident is replayed)")
    try:
        plan = plan_exact_run(scenario, trials=args.trials, seed=args.seed, years=args.years)
    except ValueError as error:
        raise UsageError(str(error).replace("years:", "--years:", 1)) from None
    return run_plan(scenario, plan, workers=args.workers)


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run one command; returns the exit code."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(next((w for w in words if not w.startswith("-")), None))
    try:
        args = parser.parse_args(argv)
    except UsageError as error:
        stderr.write(f"error: {error} (see python -m simulation --help)\n")
        return EXIT_BAD_INPUT
    if hasattr(args, "handler"):
        handler: Handler = args.handler
        return handler(args, stdout, stderr)
    try:
        scenario = load_file(args.file)
    except ScenarioError as error:
        for problem in error.problems:
            stderr.write(f"{args.file}: {problem}\n")
        return EXIT_BAD_INPUT
    if args.command == "validate":
        stdout.write(f"{args.file}: valid scenario {scenario.name!r} ({scenario.pattern})\n")
        return EXIT_OK
    try:
        results = _simulate(scenario, args)
    except UsageError as error:
        stderr.write(f"error: {error} (see python -m simulation --help)\n")
        return EXIT_BAD_INPUT
    except ScenarioError as error:  # a variant the run derives (e.g. a checklist fix) is not valid
        for problem in error.problems:
            stderr.write(f"{args.file}: {problem}\n")
        return EXIT_BAD_INPUT
    if args.format == "json":
        stdout.write(json.dumps(results.to_json(), indent=2, ensure_ascii=False) + "\n")
    elif args.command == "check":
        stdout.write(format_verdicts(results))
    else:
        stdout.write(format_table(results))
    if args.command == "check":
        return EXIT_OK if results.targets_met else EXIT_MISSED
    return EXIT_OK


def entry_point(*, fast_exit: bool = False) -> None:
    """``python -m simulation``: exit with ``main``'s code; interrupts end quietly.

    ``fast_exit``: once the output is flushed, end the process without tearing down the interpreter's
    modules and objects one by one (about 0.1 s after a run, a tenth of the quick run); the command
    has nothing left to write or close by then. Not after a pool of processes ran: multiprocessing
    releases its named semaphores at exit, and a profiler or tracer reports at exit.
    """
    try:
        code = main()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        code = 130
    except BrokenPipeError:
        code = 0
    watched = sys.getprofile() is not None or sys.gettrace() is not None  # a profiler reports at exit
    if fast_exit and not watched and "multiprocessing" not in sys.modules:  # a pool frees its locks at exit
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(BrokenPipeError, ValueError):  # the reader went away, or it is closed
                stream.flush()
        os._exit(code)
    sys.exit(code)
