"""Argument parsing shared by the command-line modules: bad flags become one line and exit code 2."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import NoReturn, TextIO

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
