"""Command line for drills: ``python -m simulation drill import|show|calibrate|plan``.

- ``drill import SCENARIO DRILLS [--out FILE]``: validate a CSV or JSON drill file (docs/cli.md,
  "Drill files") against the format and list the drills; ``--out`` writes them normalized (CSV,
  durations after the injection in seconds, or JSON when FILE ends in .json).
- ``drill show SCENARIO DRILLS``: each drill's phases against the model's distribution (percentile,
  p5/p50/p95, flags) and the calibration verdict over all of them.
- ``drill calibrate SCENARIO DRILLS [--out FILE]``: the proposed revision — changes, a diff and
  the label; ``--out`` writes the calibrated document (YAML, the label as its first comment).
- ``drill plan SCENARIO [--out FILE]``: which drill to run next, as a Markdown checklist.

Exit codes: 0 done, 2 bad input (one line per problem on stderr: row and field for drills).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

import yaml

from simulation.analysis.calibration import calibrate
from simulation.analysis.drill_compare import compare_drills
from simulation.analysis.drill_plan import drill_plan
from simulation.cli.args import Parser
from simulation.model.drills import DrillError, DrillRecord, drills_to_csv, format_of, parse_drills
from simulation.model.loading import ScenarioError, dump_document, load_file
from simulation.model.scenario import Scenario
from simulation.present.format import format_duration

EXIT_OK, EXIT_BAD_INPUT = 0, 2
MAX_DRILL_FILE_BYTES = 4_000_000


def add_parsers(subparsers: argparse._SubParsersAction[Parser]) -> None:
    """Add ``drill`` (``add_parser``)."""
    add_parser(subparsers)


def add_parser(subparsers: argparse._SubParsersAction[Parser]) -> None:
    """Add ``drill`` and its actions to the ``python -m simulation`` command set."""
    drill = subparsers.add_parser("drill", help="measured drills: import, compare with the model, calibrate, plan")
    actions = drill.add_subparsers(dest="action", required=True, parser_class=Parser)
    for name, help_text in (
        ("import", "validate a drill file (CSV or JSON) and list its drills"),
        ("show", "each drill against the model's distribution, and the calibration verdict"),
        ("calibrate", "propose a calibrated scenario revision: changes, diff, label"),
        ("plan", "the drill that would reduce the uncertainty that matters most, as a checklist"),
    ):
        sub = actions.add_parser(name, help=help_text)
        sub.add_argument("scenario", help="scenario YAML or JSON file")
        if name != "plan":
            sub.add_argument("drills", help="drill file: .csv or .json")
        if name != "show":
            sub.add_argument("--out", help="write the result to this file")
        if name in ("show", "calibrate"):
            sub.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    drill.set_defaults(handler=main)


def _read_drills(path: str) -> list[DrillRecord]:
    file = Path(path)
    try:
        if file.stat().st_size > MAX_DRILL_FILE_BYTES:
            raise DrillError([])
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: cannot read ({error.__class__.__name__})") from None
    except DrillError:
        raise ValueError(f"{path}: larger than {MAX_DRILL_FILE_BYTES:,} bytes") from None
    return parse_drills(text, format_of(path))


def _write(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise ValueError(f"{path}: cannot write ({error.__class__.__name__})") from None


def _import(records: list[DrillRecord], args: argparse.Namespace, out: TextIO) -> None:
    for i, r in enumerate(records, 1):
        load = "under load" if r.under_load else "not under load"
        out.write(f"{i:>3}. {r.date} {r.drill_type} ({r.kind}, {load}): RTO {format_duration(r.restored_s)}\n")
    out.write(f"{len(records)} valid drill(s)\n")
    if args.out:
        if args.out.lower().endswith(".json"):
            _write(args.out, json.dumps([r.to_row() for r in records], indent=2) + "\n")
        else:
            _write(args.out, drills_to_csv(records))
        out.write(f"written to {args.out}\n")


def _show(scenario: Scenario, records: list[DrillRecord], args: argparse.Namespace, out: TextIO) -> None:
    result = compare_drills(scenario, records)
    if args.format == "json":
        out.write(json.dumps(result, indent=2) + "\n")
        return
    for drill in result["drills"]:
        out.write(f"{drill['date']} {drill['drill_type']}\n")
        for p in drill["phases"]:
            mark = "  ⚑" if p["flagged"] else ""
            out.write(
                f"  {p['label']:<17} measured {format_duration(p['measured_s']):>9}  percentile "
                f"{100 * p['percentile']:5.1f} %  model p5–p95 {format_duration(p['p5_s'])}–"
                f"{format_duration(p['p95_s'])}{mark}\n"
            )
        for flag in drill["flags"]:
            out.write(f"  ⚑ {flag}\n")
    verdict = result["calibration"]
    out.write(f"Calibration over {verdict['drills']} drill(s): {verdict['verdict']} — {verdict['text']}")
    out.write(f" (KS p = {verdict['p_value']:.3f})\n" if verdict["p_value"] is not None else "\n")


def _calibrate(scenario: Scenario, records: list[DrillRecord], args: argparse.Namespace, out: TextIO) -> None:
    result = calibrate(scenario, records)
    diff = result.diff(dump_document(scenario))
    if args.format == "json":
        body: dict[str, Any] = {"label": result.label, "changes": result.changes, "skipped": result.skipped}
        out.write(json.dumps({**body, "diff": diff, "document": result.document}, indent=2) + "\n")
    else:
        out.write(f"{result.label}\n")
        for c in result.changes:
            out.write(f"  {c['path']}: {c['before_text']} → {c['after_text']}  ({c['phase']}; {c['method']})\n")
        for note in result.skipped:
            out.write(f"  not changed: {note}\n")
        out.write(diff)
    if args.out:
        _write(args.out, f"# {result.label}\n" + yaml.safe_dump(result.document, sort_keys=False, allow_unicode=True))
        out.write(f"written to {args.out}\n")


def main(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Run one ``drill`` action; returns the exit code."""
    try:
        scenario = load_file(args.scenario)
        if args.action == "plan":
            plan = drill_plan(scenario)
            if args.out:
                _write(args.out, plan["checklist"])
                stdout.write(f"written to {args.out}\n")
            else:
                stdout.write(plan["checklist"])
            return EXIT_OK
        records = _read_drills(args.drills)
        if args.action == "import":
            _import(records, args, stdout)
        elif args.action == "show":
            _show(scenario, records, args, stdout)
        else:
            _calibrate(scenario, records, args, stdout)
    except DrillError as error:
        for found in error.problems:
            stderr.write(f"{args.drills}: {found}\n")
        return EXIT_BAD_INPUT
    except ScenarioError as error:
        stderr.write("".join(f"{args.scenario}: {p}\n" for p in error.problems))
        return EXIT_BAD_INPUT
    except ValueError as error:
        stderr.write(f"{error}\n")
        return EXIT_BAD_INPUT
    return EXIT_OK
