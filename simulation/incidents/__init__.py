"""Incident models, one module each; ``MODELS`` maps incident type → module, in registry order.

Each module offers ``rate_per_year(scenario) -> float`` and
``simulate(scenario, rng, n, keep_replays=False) -> Batch``. Which types exist,
their names and their order live in ``simulation.model.incident_types``.
"""
from __future__ import annotations

from importlib import import_module
from types import ModuleType

from simulation.model.incident_types import INCIDENT_KINDS

MODELS: dict[str, ModuleType] = {kind.key: import_module(f"{__name__}.{kind.model}") for kind in INCIDENT_KINDS}
