"""Readiness: can this process reach its database and its broker, each within a time budget?

Built to say "not ready" only for a real outage, not a busy moment (20 clients probing at once):

- each check runs in its own long-lived thread, which keeps its database connection (up to
  ``CONN_MAX_AGE``) and its broker connection between probes, instead of connecting afresh each time;
- one probe at a time checks; the probes that arrive meanwhile, and for ``READINESS_CACHE_S`` after,
  share its answer;
- the budget (``READINESS_BUDGET_S``, 1 s) is far above a healthy answer (a few ms) and below the
  time after which a load balancer should stop sending traffic.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import kombu
from django.conf import settings
from django.db import connections

_executors: dict[str, ThreadPoolExecutor] = {}
_broker: dict = {}  # the broker check thread's connection: {"url": …, "connection": kombu.Connection}
_lock = threading.Lock()
_lock_probe = threading.Lock()
_last: dict = {}  # the last report: {"key": …, "at": monotonic seconds, "report": …}


def database_check() -> None:
    """``SELECT 1`` on this thread's connection, reopened when unusable or older than ``CONN_MAX_AGE``."""
    connection = connections["default"]
    connection.close_if_unusable_or_obsolete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def broker_check() -> None:
    """Ping the Celery broker on a kept connection; for the filesystem broker, check its folders."""
    url = settings.CELERY_BROKER_URL
    options = dict(getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {})
    if url.startswith("filesystem://"):
        for key in ("data_folder_in", "data_folder_out"):
            folder = options.get(key, "")
            if not (os.path.isdir(folder) and os.access(folder, os.W_OK)):
                raise OSError(f"broker folder {folder!r} is missing or not writable")
        return
    budget = settings.READINESS_BUDGET_S
    if _broker.get("url") != url:
        _broker_close()
        options.update(socket_connect_timeout=budget, socket_timeout=budget, max_retries=1)
        _broker.update(url=url, connection=kombu.Connection(url, connect_timeout=budget, transport_options=options))
    conn = _broker["connection"]
    try:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=budget)
        client = getattr(conn.default_channel, "client", None)
        if client is not None and hasattr(client, "ping"):
            client.ping()  # redis: a round trip on the kept connection
    except Exception:
        _broker_close()
        raise


def _broker_close() -> None:
    conn = _broker.pop("connection", None)
    _broker.pop("url", None)
    if conn is not None:
        with contextlib.suppress(Exception):  # a broken connection may fail to close; it is dropped either way
            conn.release()


def broker_transport_preload() -> None:
    """Import the broker's transport now (redis: ~150 ms), not inside the first probe's budget."""
    if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
        kombu.Connection(settings.CELERY_BROKER_URL).transport  # noqa: B018 — instantiating imports it


def _executor(name: str) -> ThreadPoolExecutor:
    with _lock:
        if name not in _executors:
            _executors[name] = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"readyz-{name}")
        return _executors[name]


def close_connections() -> None:
    """Close the connections the check threads keep, and forget the last report (tests call it after each
    test, so that a test database can be dropped and no report outlives its test)."""
    _last.clear()
    for name, executor in list(_executors.items()):
        executor.submit(connections.close_all).result(timeout=5)
        if name == "broker":
            executor.submit(_broker_close).result(timeout=5)


def timed_check(check: Callable[[], None], budget_s: float, name: str | None = None) -> tuple[bool, float, str]:
    """Run ``check`` in its thread; (ok, elapsed_ms, reason). Slower than the budget counts as failed."""
    started = time.perf_counter()
    future = _executor(name or check.__name__).submit(check)
    try:
        future.result(timeout=budget_s)
    except FutureTimeout:
        elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        return False, elapsed_ms, f"no answer within {budget_s * 1000:.0f} ms"
    except Exception as error:  # any failure means "not ready"
        elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        return False, elapsed_ms, f"{error.__class__.__name__}: {error}"[:300]
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    if elapsed_ms > budget_s * 1000:
        return False, elapsed_ms, f"answered in {elapsed_ms:.0f} ms, over the {budget_s * 1000:.0f} ms budget"
    return True, elapsed_ms, ""


def readiness(*, checks: dict[str, Callable[[], None]] | None = None) -> dict:
    """``{"ready": bool, "checks": {name: {"ok", "ms", "error"?}}, "failed": [names]}``.

    Probes share one check at a time, and its report for ``READINESS_CACHE_S``."""
    checks = checks or {"database": database_check, "broker": broker_check}
    key = (tuple(checks.items()), settings.CELERY_BROKER_URL, settings.READINESS_BUDGET_S)
    with _lock_probe:
        now = time.monotonic()
        if _last.get("key") == key and now - _last["at"] < settings.READINESS_CACHE_S:
            return _last["report"]
        report = _check_all(checks)
        _last.update(key=key, at=time.monotonic(), report=report)
        return report


def _check_all(checks: dict[str, Callable[[], None]]) -> dict:
    budget = settings.READINESS_BUDGET_S
    report: dict = {"ready": True, "checks": {}, "failed": []}
    for name, check in checks.items():
        ok, ms, reason = timed_check(check, budget, name)
        report["checks"][name] = {"ok": ok, "ms": ms, **({"error": reason} if reason else {})}
        if not ok:
            report["ready"] = False
            report["failed"].append(name)
    return report
