"""``python -m simulation report A.yaml B.yaml --format pdf|html|json|csv -o FILE``.

Simulates each scenario (same seed and trials for every option) and writes one
decision report comparing them. Bad input — a missing or invalid scenario,
more than five files, an unwritable output — exits 2 with one line per
problem, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from simulation.cli.args import Parser, add_run_size
from simulation.limits import MAX_OPTIONS
from simulation.model.loading import ScenarioError, dump_document, load_file
from simulation.present.report.exporters import EXPORTERS, exporter_for
from simulation.present.report.option import Option

EXIT_OK, EXIT_BAD_INPUT = 0, 2


def add_parser(subparsers: argparse._SubParsersAction[Parser]) -> argparse.ArgumentParser:
    """Add the ``report`` command to the ``python -m simulation`` parser."""
    sub = subparsers.add_parser("report", help="simulate 1–5 scenarios and write a decision report")
    sub.add_argument("files", nargs="+", metavar="FILE", help="scenario YAML or JSON files, one per option")
    sub.add_argument("--format", choices=tuple(EXPORTERS), default="pdf", help="report format (default pdf)")
    sub.add_argument("-o", "--output", required=True, help="file to write")
    add_run_size(sub, seed_note=", the same for every option")
    sub.add_argument("--title", default=None, help="report title (default: the options' names)")
    sub.add_argument("--chosen", default=None, help="name of the chosen option, if decided")
    return sub


def add_parsers(subparsers: argparse._SubParsersAction[Parser]) -> None:
    """Add ``report`` with its handler (``main``)."""
    add_parser(subparsers).set_defaults(handler=main)


def unique_labels(names: list[str]) -> list[str]:
    """Scenario names as option labels; repeated names get ' (2)', ' (3)', …"""
    labels: list[str] = []
    for name in names:
        label, n = name, 1
        while label in labels:
            n += 1
            label = f"{name} ({n})"
        labels.append(label)
    return labels


def main(args: argparse.Namespace, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run ``report``; returns the exit code."""
    from simulation.analysis.run import run

    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    if len(args.files) > MAX_OPTIONS:
        stderr.write(f"error: a report compares at most {MAX_OPTIONS} scenarios, got {len(args.files)}\n")
        return EXIT_BAD_INPUT
    scenarios, failed = [], False
    for path in args.files:
        try:
            scenarios.append(load_file(path))
        except ScenarioError as error:
            failed = True
            for problem in error.problems:
                stderr.write(f"{path}: {problem}\n")
    if failed:
        return EXIT_BAD_INPUT
    labels = unique_labels([s.name for s in scenarios])
    if args.chosen is not None and args.chosen not in labels:
        stderr.write(f"error: --chosen {args.chosen!r} is not one of the options: {', '.join(labels)}\n")
        return EXIT_BAD_INPUT
    options = [
        Option(label, dump_document(scenario), run(scenario, trials=args.trials, seed=args.seed, years=args.years))
        for label, scenario in zip(labels, scenarios)
    ]
    decision = {"title": args.title or " vs ".join(labels), "chosen": args.chosen}
    _, _, content = exporter_for(args.format)(options, decision).render()
    try:
        Path(args.output).write_bytes(content)
    except OSError as error:
        stderr.write(f"error: cannot write {args.output}: {error.strerror or error}\n")
        return EXIT_BAD_INPUT
    stdout.write(f"wrote {args.output} ({args.format}, {len(content):,} bytes, {len(options)} options)\n")
    return EXIT_OK
