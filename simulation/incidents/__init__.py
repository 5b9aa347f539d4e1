"""Incident models, one module each. ``MODELS`` maps incident type → module.

Each module is an ``IncidentModel`` (``protocol``): ``rate_per_year(scenario) -> float``
and ``simulate(scenario, rng, n, keep_replays=False) -> Batch``, whose replays run
through the one replay loop, ``protocol.replay_batch``. The order of
``MODELS`` is part of reproducibility: the Monte Carlo gives each type the
random streams of its position, so new types are only ever appended.
"""
from simulation.incidents import (bad_deploy, data_corruption, db_primary_failure, dependency_slowdown, instance_crash, region_outage, zone_outage)
from simulation.incidents.protocol import IncidentModel

MODELS: dict[str, IncidentModel] = {
    "db_primary_failure": db_primary_failure,
    "instance_crash": instance_crash,
    "zone_outage": zone_outage,
    "region_outage": region_outage,
    "dependency_slowdown": dependency_slowdown,
    "bad_deploy": bad_deploy,
    "data_corruption": data_corruption,
}
