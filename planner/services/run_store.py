"""A distributed run's pieces in the database (``RunPart`` rows): stored once, read back, counted.

On PostgreSQL a piece's arrays travel as binary both ways (a raw psycopg cursor with server-side binding)
instead of the hex text Django's client-side binding writes and reads: half the bytes on the wire and no
hex to encode or parse on either side, which matters for a type's outcomes (about a megabyte each).
Database errors are Django's, as for any query (``db_retry`` waits them out).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import NamedTuple

import psycopg
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from planner.models import Run, RunPart
from planner.services.db_retry import unsynced_commit
from simulation.engine.plan import RunPlan

# plain strings (they key sets and travel as task arguments)
CHUNK, VARIANT, STAGE = RunPart.Kind.CHUNK.value, RunPart.Kind.VARIANT.value, RunPart.Kind.STAGE.value
FIGURES_OF, OUTCOMES_OF = "type:", "outcomes:"  # a type's stage rows' key prefixes (then the type's name)


def type_key(name: str) -> str:
    """The key of the stage row holding the figures of type ``name``."""
    return f"{FIGURES_OF}{name}"


def store(run_id: int, pieces: list[tuple[str, str, bytes]]) -> None:
    """Insert the pieces (kind, key, arrays) once: a second delivery leaves the first one's rows.

    Only while the run is not finished: the run's row is locked against a cancel or a failure until the
    commit, so one that comes later finds these rows and drops them, and one that came first leaves nothing
    to store (a run re-queued after a stall keeps its pieces). On PostgreSQL the commit does not wait for
    its write-ahead log to reach the disk: a piece can be computed again, and any later commit that does
    wait (the run's progress, its finish) makes this one durable too. A piece lost with the database's own
    crash is queued again when the run is resumed.
    """
    with unsynced_commit():
        if not _unfinished_locked(run_id):
            return
        if connection.vendor != "postgresql":
            rows = [RunPart(run_id=run_id, kind=kind, key=key, arrays=arrays) for kind, key, arrays in pieces]
            RunPart.objects.bulk_create(rows, ignore_conflicts=True)
            return
        now = timezone.now()
        sql = (
            f"INSERT INTO {RunPart._meta.db_table} (run_id, kind, key, arrays, created_at) "
            "VALUES (%s, %s, %s, %b, %s) ON CONFLICT DO NOTHING"
        )
        with _raw_cursor() as cursor:
            cursor.executemany(sql, [(run_id, kind, key, arrays, now) for kind, key, arrays in pieces])


def outcomes_write(run_id: int, outcomes: bytes) -> None:
    """Write a finished run's packed outcomes (``Run.outcomes``, about two megabytes for a full run) inside
    the transaction that saves its results."""
    if connection.vendor != "postgresql":
        Run.objects.filter(pk=run_id).update(outcomes=outcomes)
        return
    with _raw_cursor() as cursor:
        cursor.execute(f"UPDATE {Run._meta.db_table} SET outcomes = %b WHERE id = %s", [outcomes, run_id])


@contextlib.contextmanager
def _raw_cursor() -> Iterator[psycopg.Cursor]:
    """A psycopg cursor on Django's connection (PostgreSQL), made ready as Django makes one for a query: a kept
    connection that fails its health check is replaced first (``CONN_HEALTH_CHECKS``), and errors are Django's."""
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        yield cursor


def _unfinished_locked(run_id: int) -> bool:
    """Whether the run is not finished, its row share-locked until the transaction ends (PostgreSQL: pieces
    stored side by side do not wait for each other, a status change waits for them; SQLite: the transaction
    holds the database's write lock from its start)."""
    if connection.vendor != "postgresql":
        return Run.objects.filter(pk=run_id).exclude(status__in=Run.FINISHED).exists()
    finished = ", ".join(["%s"] * len(Run.FINISHED))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {Run._meta.db_table} WHERE id = %s AND status NOT IN ({finished}) FOR SHARE",
            [run_id, *Run.FINISHED],
        )
        return cursor.fetchone() is not None


def stored(run_id: int, kind: str, keys: list[str] | None = None) -> list[tuple[str, bytes]]:
    """The stored pieces of one kind (only those at ``keys`` when given) as (key, arrays), chunks in index
    order."""
    rows = RunPart.objects.filter(run_id=run_id, kind=kind, arrays__isnull=False)
    if keys is not None:
        rows = rows.filter(key__in=keys)
    if connection.vendor == "postgresql":
        sql, params = rows.values_list("key", "arrays").query.sql_with_params()
        with _raw_cursor() as cursor:
            found = cursor.execute(sql, params, binary=True).fetchall()
    else:
        found = [(key, bytes(arrays)) for key, arrays in rows.values_list("key", "arrays")]
    return sorted(found, key=lambda row: int(row[0]) if row[0].isdigit() else 0)


def done_keys(run_id: int, kinds: list[str]) -> list[tuple[str, str]]:
    return list(RunPart.objects.filter(run_id=run_id, kind__in=kinds, arrays__isnull=False).values_list("kind", "key"))


class Tally(NamedTuple):
    chunks: int  # chunks stored
    variants: int  # variant runs stored
    ready: list[str]  # types whose chunks are all stored and whose figures are not


def tally(run_id: int, plan: RunPlan | None = None, names: Iterable[str] = ()) -> Tally:
    """What the run has stored, counted in one query: its chunks, its variant runs, and which of the types
    ``names`` are ready for their own task."""
    keys = {} if plan is None else {name: [str(i) for i in plan.chunks_of(name)] for name in names}
    counts = {"chunks": Count("pk", filter=Q(kind=CHUNK)), "variants": Count("pk", filter=Q(kind=VARIANT))}
    for n, (name, type_keys) in enumerate(keys.items()):
        counts[f"chunks_{n}"] = Count("pk", filter=Q(kind=CHUNK, key__in=type_keys))
        counts[f"figures_{n}"] = Count("pk", filter=Q(kind=STAGE, key=type_key(name)))
    got = RunPart.objects.filter(run_id=run_id, arrays__isnull=False).aggregate(**counts)
    ready = [
        name
        for n, (name, type_keys) in enumerate(keys.items())
        if got[f"chunks_{n}"] == len(type_keys) and not got[f"figures_{n}"]
    ]
    return Tally(got["chunks"], got["variants"], ready)


def drop_if_finished(run_id: int) -> None:
    """A run cancelled or failed before its finish: drop what was stored (a re-queued one keeps its pieces)."""
    RunPart.objects.filter(run_id=run_id, run__status__in=Run.FINISHED).delete()
