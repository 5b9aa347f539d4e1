"""Argument parsing shared by the command-line modules: bad flags become one line and exit code 2."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import NoReturn, TextIO

from simulation.limits import MAX_TRIALS, MAX_YEARS

DEFAULT_TRIALS = 2000
DEFAULT_SEED = 1
DEFAULT_YEARS = 10_000
MAX_SEED = 2**63 - 1

Handler = Callable[[argparse.Namespace, TextIO, TextIO], int]
"""What a command's parser carries as ``handler``: (arguments, stdout, stderr) → exit code."""


class UsageError(Exception):
    """Bad command-line flags (argparse reports through this instead of exiting)."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse would print usage and exit; we report one line and exit 2
        raise UsageError(message)


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not between {low} and {high}")
        return value

    return parse


def add_run_size(sub: argparse.ArgumentParser, *, seed_note: str = "") -> None:
    """``--trials``, ``--seed`` and ``--years``: how much a command simulates, the same for every command."""
    sub.add_argument(
        "--trials",
        type=bounded_int(1, MAX_TRIALS),
        default=DEFAULT_TRIALS,
        help=f"incidents replayed per type (default {DEFAULT_TRIALS})",
    )
    sub.add_argument(
        "--seed",
        type=bounded_int(0, MAX_SEED),
        default=DEFAULT_SEED,
        help=f"random seed{seed_note} (default {DEFAULT_SEED})",
    )
    sub.add_argument(
        "--years",
        type=bounded_int(1, MAX_YEARS),
        default=DEFAULT_YEARS,
        help=f"simulated years for the annual figures (default {DEFAULT_YEARS})",
    )


def add_years_mode(sub: argparse.ArgumentParser) -> None:
    """``--years-mode``: how the simulated years use the replays (``run`` and ``check``)."""
    sub.add_argument(
        "--years-mode",
        choices=("resample", "exact"),
        default="resample",
        help="resample: years resample the replayed incidents (default); "
        "exact: one replay per simulated incident (at least --trials per type; no --precision)",
    )
