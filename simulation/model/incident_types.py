"""The registry of incident types: one entry per type, in the order that fixes the random streams.

Each entry names its key, how people call it (label, plural noun), whether RTO and
RPO targets judge it by default, and the module in ``simulation.incidents`` that
models it. The order is part of reproducibility: the Monte Carlo gives each type
the random streams of its position, so new types are only ever appended.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class IncidentKind:
    key: str
    label: str  # "Zone outage"
    plural: str  # "zone outages", for "… of zone outages"
    judged_by_default: bool  # RTO / RPO targets apply to it unless the scenario's targets say otherwise
    model: str  # module name in simulation.incidents


INCIDENT_KINDS: tuple[IncidentKind, ...] = (
    IncidentKind(
        "db_primary_failure", "Primary database failure", "primary database failures", True, "db_primary_failure"
    ),
    IncidentKind("instance_crash", "App instance crash", "instance crashes", True, "instance_crash"),
    IncidentKind("zone_outage", "Zone outage", "zone outages", True, "zone_outage"),
    IncidentKind("region_outage", "Region outage", "region outages", True, "region_outage"),
    IncidentKind("dependency_slowdown", "Dependency slowdown", "dependency slowdowns", False, "dependency_slowdown"),
    IncidentKind("bad_deploy", "Bad deploy", "bad deploys", False, "bad_deploy"),
    IncidentKind("data_corruption", "Data corruption", "data corruptions", False, "data_corruption"),
    IncidentKind("network_partition", "Network partition", "network partitions", True, "network_partition"),
)
KINDS_BY_KEY = {kind.key: kind for kind in INCIDENT_KINDS}
INCIDENT_TYPES: tuple[str, ...] = tuple(KINDS_BY_KEY)
# Recovery objectives are written for infrastructure failures; slowdowns, bad deploys and
# corruption are judged through availability and outage cost unless a scenario lists them.
RECOVERY_TARGET_TYPES: tuple[str, ...] = tuple(k.key for k in INCIDENT_KINDS if k.judged_by_default)
IncidentType = Literal[INCIDENT_TYPES]  # type: ignore[valid-type]  # built from the registry


def incident_label(incident_type: str) -> str:
    kind = KINDS_BY_KEY.get(incident_type)
    return kind.label if kind else incident_type.replace("_", " ").capitalize()


def incident_noun(incident_type: str) -> str:
    kind = KINDS_BY_KEY.get(incident_type)
    return kind.plural if kind else incident_type.replace("_", " ") + " incidents"
