"""Where pool processes come from: a fork server that has imported the engine once, started as early as possible.

Light on purpose (the standard library only): ``python -m simulation`` starts the
server before it imports the engine itself (``start_early``), so that the server's
imports run on another core while this process does its own, and the first pool
process forks from a ready server instead of waiting for one.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # multiprocessing is imported only when a pool is made (a run on one process needs none)
    from multiprocessing.context import BaseContext

PRELOAD = ["simulation.engine.preload"]  # what the fork server imports once, for every process it forks
WORKERS_FLAG = "--workers"


def pool_context() -> BaseContext:
    """A fork server that has imported the engine once (workers start in milliseconds), else spawn.

    Both start clean processes (no state inherited from the caller's threads), so
    the pool behaves the same under Celery, Django or a plain script.
    """
    import multiprocessing

    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


def workers_asked(argv: Sequence[str]) -> int:
    """The ``--workers N`` (or ``--workers=N``) of a command line; 1 when absent or not a number
    (the command's own parser reports bad values)."""
    for i, word in enumerate(argv):
        value = None
        if word == WORKERS_FLAG and i + 1 < len(argv):
            value = argv[i + 1]
        elif word.startswith(WORKERS_FLAG + "="):
            value = word.partition("=")[2]
        if value is not None:
            try:
                return int(value)
            except ValueError:
                return 1
    return 1


def start_early(argv: Sequence[str]) -> bool:
    """Start the fork server now when the command line asks for more than one worker; True if started.

    The server then imports the engine while the caller imports it too; the pool the
    command makes later forks its processes from it at once.
    """
    if workers_asked(argv) <= 1:
        return False
    from multiprocessing import forkserver

    context = pool_context()
    if context.get_start_method() != "forkserver":
        return False
    with _stdout_to_devnull():
        forkserver.ensure_running()
    return True


@contextlib.contextmanager
def _stdout_to_devnull() -> Iterator[None]:
    """File descriptor 1 on the null device meanwhile: the server (and every process it forks) writes nothing
    into the command's output, and whoever reads that output sees its end when the command exits, not when
    the server does (it exits after the command). Standard error stays as it is."""
    sys.stdout.flush()
    saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
