"""A warm pool of engine processes for the workshop's quick runs.

Several options move at once (one control applies to all of them): their quick runs arrive as
concurrent requests, which one Python process would run one after the other. The pool runs them on
``settings.WORKSHOP_WORKERS`` processes started once (a fork server that has imported the engine) and
kept, so a move of three options costs about the slowest option, not their sum. Results are the same
bytes as in-process (same plan, same streams); either way a quick run stops after the first chunk of
each type when every verdict is already decided (``run_figures_until_decided``).
``WORKSHOP_WORKERS = 0``: run in the request's process.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from django.conf import settings

from simulation.analysis.variants import RunFigures, RunSettings, run_figures_until_decided
from simulation.engine.runner import pool_context
from simulation.model.loading import load_scenario
from simulation.model.scenario import Scenario

log = logging.getLogger(__name__)
_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
TIMEOUT_S = 60


def _figures(document: dict[str, Any], run_settings: RunSettings) -> RunFigures:
    """Worker entry point: a full document → the quick run's figures with ECDFs."""
    return run_figures_until_decided(load_scenario(document), run_settings, ecdf=True)


def _executor(workers: int) -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=workers, mp_context=pool_context())
        return _pool


def _discard() -> None:
    global _pool
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


def quick_figures(scenario: Scenario, document: dict[str, Any], run_settings: RunSettings) -> RunFigures:
    """The quick run of ``scenario`` (``document``: its full document) on the warm pool, or in-process."""
    workers = int(getattr(settings, "WORKSHOP_WORKERS", 0))
    if workers < 1:
        return run_figures_until_decided(scenario, run_settings, ecdf=True)
    try:
        return _executor(workers).submit(_figures, document, run_settings).result(timeout=TIMEOUT_S)
    except BrokenProcessPool:
        log.warning("workshop pool broken; starting a new one and running this variant in-process")
        _discard()
        return run_figures_until_decided(scenario, run_settings, ecdf=True)
