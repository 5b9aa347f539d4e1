"""Incident models, one module each; ``MODELS`` maps incident type → model, in registry order.

Each module is an ``IncidentModel`` (``protocol``): ``rate_per_year(scenario) -> float``
and ``simulate(scenario, rng, n, keep_replays=False) -> Batch``, whose replays run
through the one replay loop, ``protocol.replay_batch``. Which types exist, their
names and their order (which fixes their random streams) live in
``simulation.model.incident_types``.
"""

from __future__ import annotations

from importlib import import_module
from typing import cast

from simulation.incidents.protocol import IncidentModel
from simulation.model.incident_types import INCIDENT_KINDS

MODELS: dict[str, IncidentModel] = {
    kind.key: cast(IncidentModel, import_module(f"{__name__}.{kind.model}")) for kind in INCIDENT_KINDS
}
