"""Retrying a database write through a short outage, with backoff, instead of losing it.

A worker's connection is dropped before each new try (``CONN_HEALTH_CHECKS`` would find it dead anyway),
so the next try connects afresh. After ``DB_RETRY_WINDOW_S`` the last error is raised: the run's
heartbeat then stops and the watchdog (``planner.services.watchdog``) takes over.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction

log = logging.getLogger(__name__)
T = TypeVar("T")

FIRST_WAIT_S = 0.25
MAX_WAIT_S = 5.0


def db_retry(operation: Callable[[], T], *, what: str, window_s: float | None = None) -> T:
    """``operation()``, tried again after 0.25, 0.5, 1 … (at most 5) s while the database is unreachable."""
    window_s = settings.DB_RETRY_WINDOW_S if window_s is None else window_s
    deadline = time.monotonic() + window_s
    wait_s = FIRST_WAIT_S
    while True:
        try:
            return operation()
        except (OperationalError, InterfaceError) as error:
            left_s = deadline - time.monotonic()
            if connection.in_atomic_block or left_s <= 0:
                raise
            wait_s = min(wait_s, left_s)
            log.warning("database unreachable during %s (%s); retrying in %.2f s", what, error, wait_s)
            connection.close()
            time.sleep(wait_s)
            wait_s = min(wait_s * 2, MAX_WAIT_S)


@contextmanager
def unsynced_commit() -> Iterator[None]:
    """A transaction whose commit does not wait for its write-ahead log to reach the disk (PostgreSQL; inside
    a transaction already, that one's commit is left as it is). For writes that may be lost with the
    database's own crash: a later commit that does wait makes them durable too."""
    outer = connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and not outer:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield
