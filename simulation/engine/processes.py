"""Where pool processes come from: forked from the command itself, or from a fork server that has imported the
engine once.

Light on purpose (the standard library only). ``python -m simulation`` with more than
one worker (``start_early``) marks itself as a process its pool may fork from: when its
run (or analysis) makes a pool, it has imported the engine and read the scenario, runs
no other thread, and forks its processes on the spot (milliseconds; nothing is
imported or pickled again). Anywhere else (Celery, Django, a script, or once a thread runs) pools
come from a fork server that has imported the engine once, or are spawned.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # multiprocessing is imported only when a pool is made (a run on one process needs none)
    from multiprocessing.context import BaseContext

PRELOAD = ["simulation.engine.preload"]  # what the fork server imports once, for every process it forks
WORKERS_FLAG = "--workers"
PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent ends
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt(3) parameters
MMAP_FROM_BYTES = 32 << 20  # blocks from this size are mapped on their own (glibc's largest threshold, 64-bit)
KEPT_FREE_BYTES = 256 << 20  # free memory at the heap's top kept for reuse, up to this
_FORK_HERE = {"allowed": False}  # set by ``start_early``: this process (the command) may fork its pools itself


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


def local_pool_context() -> BaseContext:
    """The context of a pool this process makes for its own work (a run's, ``runner.Runner``; an analysis's,
    ``screening.map_documents``): forked from this process where the command allowed it (``start_early``) and
    no other thread runs (a fork copies only the thread that forks), else ``pool_context``."""
    import multiprocessing

    if _FORK_HERE["allowed"] and threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return pool_context()


def quiet_stdout() -> None:
    """In a process forked from the command: file descriptor 1 on the null device, so that it writes nothing
    into the command's output and whoever reads that output sees its end when the command exits."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)


def keep_freed_memory() -> None:
    """glibc (Linux): blocks up to ``MMAP_FROM_BYTES`` come from the heap, and freed memory at its top is kept for
    reuse up to ``KEPT_FREE_BYTES`` (``mallopt(3)``). By default a block from 128 kB on (a batch's arrays are
    hundreds of kB to a few MB) is mapped on its own and unmapped when freed, so the kernel hands out and zeroes
    fresh pages for every such array: about a tenth of the CPU of a run in exact years. Elsewhere nothing."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        mallopt = getattr(ctypes.CDLL(None), "mallopt", None)  # None: a C library without it (musl)
    except OSError:  # no dynamic loading (a statically linked interpreter)
        return
    if mallopt is not None:
        mallopt(M_MMAP_THRESHOLD, MMAP_FROM_BYTES)
        mallopt(M_TRIM_THRESHOLD, KEPT_FREE_BYTES)


def die_with_parent() -> None:
    """In a pool process: the kernel ends it when the process that started it ends (Linux; elsewhere nothing),
    so a command stopped by a signal leaves no process computing on. The check after it covers a parent
    that ended while it was asked."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    parent = os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        os._exit(1)


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
    """When the command line asks for more than one worker: let the command's run fork its pool from this
    process (``local_pool_context``); where it cannot fork, start the fork server now, so that it imports the
    engine while the caller imports it too. True if either was done."""
    if workers_asked(argv) <= 1:
        return False
    import multiprocessing

    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        _FORK_HERE["allowed"] = True  # not on macOS: its system libraries may run threads a fork would lose
        return True
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
