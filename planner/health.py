"""Readiness: can this process reach its database and its broker, each within a time budget?"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

import kombu
from django.conf import settings
from django.db import connections


def database_check() -> None:
    """``SELECT 1`` on a connection of the calling thread, closed afterwards."""
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connections.close_all()


def broker_check() -> None:
    """Open (and close) a connection to the Celery broker; for the filesystem broker, its folders."""
    url = settings.CELERY_BROKER_URL
    options = dict(getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {})
    if url.startswith("filesystem://"):
        for key in ("data_folder_in", "data_folder_out"):
            folder = options.get(key, "")
            if not (os.path.isdir(folder) and os.access(folder, os.W_OK)):
                raise OSError(f"broker folder {folder!r} is missing or not writable")
        return
    budget = settings.READINESS_BUDGET_S
    options.update(socket_connect_timeout=budget, socket_timeout=budget, max_retries=1)
    with kombu.Connection(url, connect_timeout=budget, transport_options=options) as conn:
        conn.ensure_connection(max_retries=1, timeout=budget)
        conn.default_channel  # noqa: B018 — opening a channel talks to the server


def broker_transport_preload() -> None:
    """Import the broker's transport now (redis: ~150 ms), not inside the first probe's budget."""
    if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
        kombu.Connection(settings.CELERY_BROKER_URL).transport  # noqa: B018 — instantiating imports it


def timed_check(check: Callable[[], None], budget_s: float) -> tuple[bool, float, str]:
    """Run ``check`` in its own thread; (ok, elapsed_ms, reason). Slower than the budget counts as failed."""
    outcome: dict = {}

    def target() -> None:
        try:
            check()
            outcome["ok"] = True
        except Exception as error:  # any failure means "not ready"
            outcome["error"] = f"{error.__class__.__name__}: {error}"[:300]

    started = time.perf_counter()
    thread = threading.Thread(target=target, daemon=True, name=f"readyz-{check.__name__}")
    thread.start()
    thread.join(budget_s)
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    if thread.is_alive():
        return False, elapsed_ms, f"no answer within {budget_s * 1000:.0f} ms"
    if "error" in outcome:
        return False, elapsed_ms, outcome["error"]
    if elapsed_ms > budget_s * 1000:
        return False, elapsed_ms, f"answered in {elapsed_ms:.0f} ms, over the {budget_s * 1000:.0f} ms budget"
    return True, elapsed_ms, ""


def readiness(*, checks: dict[str, Callable[[], None]] | None = None) -> dict:
    """``{"ready": bool, "checks": {name: {"ok", "ms", "error"?}}, "failed": [names]}``."""
    checks = checks or {"database": database_check, "broker": broker_check}
    budget = settings.READINESS_BUDGET_S
    report: dict = {"ready": True, "checks": {}, "failed": []}
    for name, check in checks.items():
        ok, ms, reason = timed_check(check, budget)
        report["checks"][name] = {"ok": ok, "ms": ms, **({"error": reason} if reason else {})}
        if not ok:
            report["ready"] = False
            report["failed"].append(name)
    return report
