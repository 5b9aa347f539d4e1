"""Positions computed ahead: while the room looks at a chart, the positions a control is likely to move to next.

After each move the room's page names the positions it expects next (the moved control one and two steps on
in the same direction, then every other slider one step either way), each a group of variants — one per
option. A thread of the web process computes the groups not cached yet, in that order, on the pool's
low-priority workers (``workshop.pool``: the operating system runs them only on cores the foreground leaves
idle), into the same per-scenario-hash cache the evaluate endpoints read (``services.variants_run``). So a
move to a position computed ahead answers from the cache, without simulating.

It yields to the foreground: while any request of this process computes (``foreground``), it does not
start a group (its own work in this process — building variants, hashing — would hold the interpreter), and a
group under way hands out no further chunk (``workshop.schedule``). What it computed is not lost when the room
moves before a position is done: its chunks are kept in the web process (``schedule.STORE``), and a live move
to that position, or to one sharing some of its chunks, takes them over.
A newer list replaces the groups not yet started (the latest move knows best where the room goes next);
at most ``MAX_GROUPS`` groups of ``MAX_VARIANTS`` variants in all. Only with the warm pool
(``WORKSHOP_WORKERS`` ≥ 1; ``WORKSHOP_PREFETCH = False`` turns it off): without it, the background work
would share the interpreter with the requests.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

import simulation
from workshop import budget, schedule, services

log = logging.getLogger(__name__)
MAX_GROUPS = 6  # positions asked for at once
MAX_VARIANTS = 24  # variants in all (a position of four options is four)
Group = list[tuple[dict, dict]]  # one position: (document, overrides) of each option

_lock = threading.Lock()
_wanted = threading.Condition(_lock)
_queue: list[Group] = []
_thread: threading.Thread | None = None
_computing = 0  # requests of this process computing now
_current: Group | None = None  # the position being computed ahead


def enabled() -> bool:
    workers = int(getattr(settings, "WORKSHOP_WORKERS", 0))
    return workers >= 1 and bool(getattr(settings, "WORKSHOP_PREFETCH", True))


def bounded(groups: list[Group]) -> list[Group]:
    """The first groups, at most ``MAX_GROUPS`` of them and ``MAX_VARIANTS`` variants in all."""
    out: list[Group] = []
    total = 0
    for group in groups[:MAX_GROUPS]:
        if total + len(group) > MAX_VARIANTS:
            break
        out.append(group)
        total += len(group)
    return out


def compute_ahead(group: Group) -> bool:
    """Compute one position now unless it is cached; whether it had to be computed (``OverBudget`` when a
    variant costs more than the workshop computes on request: never ahead either)."""
    if services.variants_cached(variants=group, ecdf=False):
        return False
    services.variants_run(variants=group, background=True, check=budget.evaluate_check, ecdf=False)
    return True


def prefetch_later(groups: list[Group]) -> int:
    """Queue positions to compute ahead, replacing those not yet started; how many were queued."""
    if not enabled():
        return 0
    global _thread
    with _wanted:
        _queue[:] = bounded(groups)
        if _current is not None and _current not in _queue:
            schedule.abandon_ahead()  # the room has moved on: what is under way hands out no more work
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_work, name="workshop-prefetch", daemon=True)
            _thread.start()
        _wanted.notify_all()
        return len(_queue)


@contextmanager
def foreground() -> Iterator[None]:
    """Mark a request computing: no position is started ahead meanwhile, and a position under way hands out
    no further chunk until the request is done (``schedule.live``)."""
    global _computing
    with _wanted:
        _computing += 1
    try:
        with schedule.live():
            yield
    finally:
        with _wanted:
            _computing -= 1
            _wanted.notify_all()


def _work() -> None:
    global _current
    while True:
        with _wanted:
            _current = None
            while not _queue or _computing:
                _wanted.wait()
            group = _current = _queue.pop(0)
        try:
            compute_ahead(group)
        except (simulation.ScenarioError, budget.OverBudget, schedule.Abandoned):
            continue  # a position the scenario does not allow, too costly, or no longer wanted
        except Exception:  # the thread outlives any one failure; the foreground computes what is asked
            log.exception("computing a position ahead failed", extra={"operation": "workshop_prefetch"})
