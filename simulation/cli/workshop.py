"""Command line for the workshop's analyses: ``advise`` (cheapest fix) and ``sensitivity`` (tornado).

``add_parsers(subparsers)`` adds both commands to ``python -m simulation``;
each parser carries its handler (``args.handler(args, stdout, stderr)``),
which returns the exit code: 0 done, 2 bad input (one line per problem on
stderr, never a traceback). ``main`` runs them on their own.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import yaml

from simulation.analysis.advise import TARGET_KINDS, cheapest_fixes
from simulation.analysis.levers import CATALOGUE_BY_KEY
from simulation.analysis.sensitivity import DEFAULT_RANK_BY, PARAMETERS_BY_KEY, TORNADO, tornado
from simulation.analysis.variants import QUICK, RunSettings
from simulation.cli.args import Handler, Parser, UsageError, bounded_int
from simulation.limits import MAX_YEARS
from simulation.model.loading import ScenarioError, load_file
from simulation.present.format import format_duration, format_money

EXIT_OK, EXIT_BAD_INPUT = 0, 2
MAX_TRIALS = 100_000
MAX_WORKERS = 64


def _range(text: str) -> tuple[str, tuple[Any, Any]]:
    """``KEY=LOW,HIGH`` with YAML scalars (``none`` / ``null``, ``true``, numbers, words)."""
    key, sep, values = text.partition("=")
    low, comma, high = values.partition(",")
    if not sep or not comma or not key:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=LOW,HIGH")
    try:
        parsed = [None if v.strip().lower() == "none" else yaml.safe_load(v.strip()) for v in (low, high)]
    except yaml.YAMLError:
        raise argparse.ArgumentTypeError(f"{text!r}: LOW and HIGH must be plain values") from None
    return key.strip(), (parsed[0], parsed[1])


def _common(sub: argparse.ArgumentParser, defaults: RunSettings) -> None:
    sub.add_argument("file", help="scenario YAML or JSON file")
    sub.add_argument(
        "--trials",
        type=bounded_int(1, MAX_TRIALS),
        default=defaults.trials,
        help=f"incidents replayed per type and variant (default {defaults.trials})",
    )
    sub.add_argument(
        "--years",
        type=bounded_int(1, MAX_YEARS),
        default=defaults.years,
        help=f"simulated years per variant (default {defaults.years})",
    )
    sub.add_argument(
        "--seed",
        type=bounded_int(0, 2**63 - 1),
        default=defaults.seed,
        help=f"random seed shared by every variant (default {defaults.seed})",
    )
    sub.add_argument("--workers", type=bounded_int(1, MAX_WORKERS), default=1, help="processes (default 1)")
    sub.add_argument("--format", choices=("table", "json"), default="table", help="output format")


def add_parsers(subparsers: argparse._SubParsersAction[Parser]) -> None:
    """Add ``advise`` and ``sensitivity`` to the ``python -m simulation`` command set."""
    advise = subparsers.add_parser("advise", help="cheapest catalogue changes that meet the targets")
    _common(advise, QUICK)
    advise.add_argument(
        "--incident",
        action="append",
        dest="incident_types",
        metavar="TYPE",
        help="only these incident types' verdicts count (repeatable)",
    )
    advise.add_argument(
        "--target", action="append", dest="targets", choices=TARGET_KINDS, help="only these targets count (repeatable)"
    )
    advise.add_argument(
        "--change",
        action="append",
        dest="changes",
        metavar="KEY",
        help=f"search only these changes (repeatable): {', '.join(CATALOGUE_BY_KEY)}",
    )
    advise.add_argument(
        "--max-evaluations", type=bounded_int(2, 2000), default=60, help="simulations at most (default 60)"
    )
    advise.set_defaults(handler=handle_advise)
    sens = subparsers.add_parser("sensitivity", help="one factor at a time: tornado of the key figures")
    _common(sens, TORNADO)
    sens.add_argument(
        "--parameter",
        action="append",
        dest="parameters",
        metavar="KEY",
        help=f"vary only these (repeatable): {', '.join(PARAMETERS_BY_KEY)}",
    )
    sens.add_argument(
        "--range",
        action="append",
        dest="ranges",
        type=_range,
        metavar="KEY=LOW,HIGH",
        help="replace a parameter's default range (repeatable)",
    )
    sens.add_argument(
        "--rank-by",
        default=DEFAULT_RANK_BY,
        metavar="METRIC",
        help=f"metric the bars are sorted by (default {DEFAULT_RANK_BY}; e.g. rto_p95_s.region_outage)",
    )
    sens.set_defaults(handler=handle_sensitivity)


def _settings(args: argparse.Namespace) -> RunSettings:
    return RunSettings(trials=args.trials, years=args.years, seed=args.seed)


def _bad(file: str, error: ScenarioError, stderr: TextIO) -> int:
    for problem in error.problems:
        stderr.write(f"{file}: {problem}\n")
    return EXIT_BAD_INPUT


# -- advise --------------------------------------------------------------------------------------
def _signed_money(amount: float) -> str:
    return ("−" if amount < 0 else "+") + f"{abs(amount):,.0f}"


def format_advice(report: dict[str, Any], currency: str) -> str:
    base = report["base"]
    lines = [
        f"Cheapest fixes ({report['settings']['trials']} incidents per type, "
        f"{report['settings']['years']} years, seed {report['settings']['seed']}, "
        f"{report['evaluated']} variants simulated)",
        "",
    ]
    if report["already_met"]:
        return "\n".join(lines + ["The scenario already meets its targets: nothing to change."]) + "\n"
    lines += ["Missed now:"] + [f"  {text}" for text in base["missed"]] + [""]
    if not report["fixes"]:
        lines.append("No combination searched meets the targets. Closest:")
        for miss in report["closest"]:
            lines.append("  " + " + ".join(c["label"] for c in miss["changes"]))
            lines += [f"      still missed: {text}" for text in miss["missed"]]
        return "\n".join(lines) + "\n"
    for i, fix in enumerate(report["fixes"], start=1):
        where = " (multi-region)" if fix["multi_region"] else ""
        lines.append(
            f"{i}. +{format_money(fix['added_usd_per_month'], currency)}/month{where}: "
            + " + ".join(c["label"] for c in fix["changes"])
        )
        lines.append("     " + _fix_effect(fix, currency))
        for change in fix["changes"]:
            lines.append(f"     - {change['label']}: {change['why']}")
    return "\n".join(lines) + "\n"


def _fix_effect(fix: dict[str, Any], currency: str) -> str:
    """Downtime and total cost change of a fix, and on how many incidents they stand when only screened."""
    delta = fix["delta"]
    basis = "" if fix["confirmed"] else f" (screened on {fix['incidents_per_type']} incidents per type)"
    if "annual_downtime_s" not in delta or fix["total_change_usd_per_month"] is None:
        return "meets the targets counted" + basis
    return (
        f"downtime {format_duration(fix['metrics']['annual_downtime_s'])}/year "
        f"({'−' if delta['annual_downtime_s'] < 0 else '+'}"
        f"{format_duration(abs(delta['annual_downtime_s']))}), total cost change "
        f"{_signed_money(fix['total_change_usd_per_month'])} {currency}/month{basis}"
    )


def handle_advise(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    try:
        scenario = load_file(args.file)
        report = cheapest_fixes(
            scenario,
            settings=_settings(args),
            incident_types=args.incident_types,
            targets=args.targets,
            changes=args.changes,
            max_evaluations=args.max_evaluations,
            workers=args.workers,
        )
    except ScenarioError as error:
        return _bad(args.file, error, stderr)
    if args.format == "json":
        stdout.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    else:
        stdout.write(format_advice(report, scenario.costs.currency))
    return EXIT_OK


# -- sensitivity ---------------------------------------------------------------------------------
def _value_text(metric: str, value: float) -> str:
    if metric.endswith("_usd_per_month"):
        return f"{value:,.0f}"
    if metric.endswith("_s") or "_s." in metric:
        return format_duration(value)
    return f"{value:,.1f}"


def _metric_text(metric: str, delta: float) -> str:
    """A change with its sign: '+3.5 min', '−120 USD', '0'."""
    if delta == 0:
        return "0"
    return ("−" if delta < 0 else "+") + _value_text(metric, abs(delta))


def format_tornado(result: dict[str, Any]) -> str:
    metric = result["rank_by"]
    base = result["base"][metric]
    lines = [
        f"Sensitivity of {metric} (base {_value_text(metric, base)})",
        f"{result['settings']['trials']} incidents per type, {result['settings']['years']} years, "
        f"seed {result['settings']['seed']} — every variant on the same random numbers",
        *_screening_note(result),
        "",
        f"{'parameter':<54}{'low':>20}{'effect':>12}{'high':>20}{'effect':>12}",
    ]
    for bar in result["parameters"]:
        lines.append(
            f"{bar['label'][:53]:<54}{bar['low']['label'][:19]:>20}"
            f"{_metric_text(metric, bar['low']['delta'][metric]):>12}"
            f"{bar['high']['label'][:19]:>20}{_metric_text(metric, bar['high']['delta'][metric]):>12}"
        )
    return "\n".join(lines) + "\n"


def _screening_note(result: dict[str, Any]) -> list[str]:
    """How many incidents the screened bars stand on (the confirmed bar has every one)."""
    used = [
        side["incidents_per_type"]
        for bar in result["parameters"]
        for side in (bar["low"], bar["high"])
        if side["incidents_per_type"] is not None
    ]
    if not used:
        return []
    return [
        f"bars screened on {min(used)}–{max(used)} incidents per type until each change is settled; "
        "the widest bar confirmed on all of them"
    ]


def handle_sensitivity(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    try:
        scenario = load_file(args.file)
        result = tornado(
            scenario,
            parameters=args.parameters,
            ranges=dict(args.ranges or []),
            settings=_settings(args),
            workers=args.workers,
            rank_by=args.rank_by,
        )
    except ScenarioError as error:
        return _bad(args.file, error, stderr)
    if args.format == "json":
        stdout.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    else:
        stdout.write(format_tornado(result))
    return EXIT_OK


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """``advise`` or ``sensitivity`` on their own; returns the exit code."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    parser = Parser(prog="python -m simulation")
    add_parsers(parser.add_subparsers(dest="command", required=True, parser_class=Parser))
    try:
        args = parser.parse_args(argv)
    except UsageError as error:
        stderr.write(f"error: {error} (see python -m simulation --help)\n")
        return EXIT_BAD_INPUT
    handler: Handler = args.handler
    return handler(args, stdout, stderr)


if __name__ == "__main__":
    sys.exit(main())
