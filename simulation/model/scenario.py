"""The scenario document: a versioned, validated description of one design option.

Every field carries its unit in its name (``_s`` seconds, ``_gb`` gigabytes,
``_per_year``, ``_usd``) and has a default, so a minimal scenario is a few
lines. Models are frozen; ``load_scenario`` turns a mapping into a ``Scenario``
or raises ``ScenarioError`` listing every problem by field path and rule.
"""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import ConfigDict, Field, model_validator

from simulation.model.base import Section, check_bounds
from simulation.model.business import Business, Costs, Simulation, Targets
from simulation.model.operations import (
    UNTESTED_UNDER_LOAD_FACTOR,
    App,
    Bulkheads,
    CircuitBreaker,
    Deployment,
    Detection,
    Failover,
    GlobalRouting,
    Humans,
    LoadBalancer,
    Pool,
    Timeouts,
)
from simulation.model.topology import Backups, Database, Pattern, Region, Replica, ReplicationMode
from simulation.model.workload import IncidentRate, Incidents, Traffic

__all__ = [
    "App",
    "Backups",
    "Bulkheads",
    "Business",
    "CircuitBreaker",
    "Costs",
    "Database",
    "Deployment",
    "Detection",
    "Failover",
    "GlobalRouting",
    "Humans",
    "IncidentRate",
    "Incidents",
    "LoadBalancer",
    "Pattern",
    "Pool",
    "Region",
    "Replica",
    "ReplicationMode",
    "Scenario",
    "Simulation",
    "Targets",
    "Timeouts",
    "Traffic",
    "check_bounds",
]


def _default_replica(data: Any) -> Any:
    """Multi-region patterns get an async replica in their second region unless ``database.replicas`` is given.

    A standby (or read) region with no copy of the data could not take over, yet would be paid
    for; active-active-full's replica stands for the stream between its primaries. An explicit
    ``replicas: []`` keeps the scenario without one.
    """
    if not isinstance(data, dict) or data.get("pattern", "active-passive") == "single-region":
        return data
    database = data.get("database", {})
    regions = data.get("regions")
    if not isinstance(database, dict) or "replicas" in database or not isinstance(regions, list):
        return data
    if not all(isinstance(r, dict) and isinstance(r.get("name"), str) for r in regions):
        return data
    first_primary = next((r["name"] for r in regions if r.get("role", "primary") == "primary"), None)
    others = [r["name"] for r in regions if r["name"] != first_primary]
    if first_primary is None or not others:
        return data
    return {**data, "database": {**database, "replicas": [{"region": others[0], "mode": "async"}]}}


class Scenario(Section):
    schema_: Literal[1] = Field(default=1, alias="schema")
    name: str = Field(default="Unnamed scenario", min_length=1, max_length=200)
    pattern: Pattern = "active-passive"
    regions: list[Region] = Field(default_factory=list, max_length=6)
    database: Database = Field(default_factory=Database)
    failover: Failover = Field(default_factory=Failover)
    app: App = Field(default_factory=App)
    deployment: Deployment = Field(default_factory=Deployment)
    traffic: Traffic = Field(default_factory=Traffic)
    incidents: Incidents = Field(default_factory=Incidents)
    costs: Costs = Field(default_factory=Costs)
    business: Business = Field(default_factory=Business)
    targets: Targets = Field(default_factory=Targets)
    simulation: Simulation = Field(default_factory=Simulation)
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _default_regions(cls, data: Any) -> Any:
        """Regions default by pattern: one primary, plus a standby for multi-region patterns."""
        if isinstance(data, dict) and not data.get("regions"):
            pattern = data.get("pattern", "active-passive")
            regions = [{"name": "region-a", "role": "primary"}]
            if pattern != "single-region":
                role = "standby" if pattern == "active-passive" else "read-replica"
                if pattern == "active-active-full":
                    role = "primary"
                regions.append({"name": "region-b", "role": role})
            data = {**data, "regions": regions}
        return _default_replica(data)

    @model_validator(mode="after")
    def _topology(self) -> Self:
        names = [r.name for r in self.regions]
        if len(set(names)) != len(names):
            raise ValueError("regions: names must be unique")
        primaries = [r for r in self.regions if r.role == "primary"]
        if self.pattern == "active-active-full":
            if len(primaries) < 2:
                raise ValueError("regions: active-active-full needs at least two primary regions")
        elif len(primaries) != 1:
            raise ValueError("regions: exactly one region must have role primary")
        if self.pattern == "single-region" and len(self.regions) != 1:
            raise ValueError("regions: single-region has exactly one region")
        if self.pattern != "single-region" and len(self.regions) < 2:
            raise ValueError(f"regions: {self.pattern} needs at least two regions")
        for i, replica in enumerate(self.database.replicas):
            if replica.region not in names:
                raise ValueError(f"database.replicas[{i}].region: unknown region {replica.region!r}")
        self._check_capacity()
        return self

    def _check_capacity(self) -> None:
        """Normal operation must carry the load at the recovery threshold, or no incident could ever recover."""
        capacity_rps = self.serving_instances * self.app.capacity_rps_per_instance
        needed_rps = self.traffic.request_rate_rps * self.simulation.recovery_threshold
        if capacity_rps < needed_rps:
            raise ValueError(
                f"app.capacity_rps_per_instance: {self.serving_instances} serving instances × "
                f"{self.app.capacity_rps_per_instance:g} req/s = {capacity_rps:g} req/s cannot carry "
                f"{self.traffic.request_rate_rps:g} req/s × recovery threshold "
                f"{self.simulation.recovery_threshold:g} = {needed_rps:g} req/s; add app instances or capacity"
            )

    # -- derived facts the models share -------------------------------------------------
    @property
    def primary_region(self) -> Region:
        return next(r for r in self.regions if r.role == "primary")

    @property
    def serving_instances(self) -> int:
        """App instances that serve traffic in normal operation."""
        if self.pattern in ("active-active-read", "active-active-full"):
            return sum(r.app_instances for r in self.regions)
        return self.primary_region.app_instances

    @property
    def cross_region_replica(self) -> Replica | None:
        primary = self.primary_region.name
        return next((r for r in self.database.replicas if r.region != primary), None)

    def automation_success_probability(self) -> float:
        """The configured probability, minus the decay per day since the last test, × 0.9 if not tested under load."""
        f = self.failover
        p = f.automation_success_probability - f.automation_decay_per_day * f.days_since_failover_test
        if not f.tested_under_load:
            p *= UNTESTED_UNDER_LOAD_FACTOR
        return max(0.0, min(1.0, p))
