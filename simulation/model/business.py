"""Business sections: prices, what an outage costs, the targets, and simulation settings."""

from __future__ import annotations

from pydantic import Field

from simulation.model.base import Section
from simulation.model.incident_types import RECOVERY_TARGET_TYPES, IncidentType


class Costs(Section):
    currency: str = Field(default="USD", min_length=3, max_length=3)
    app_instance_usd_per_month: float = Field(default=150, ge=0)
    db_node_usd_per_month: float = Field(default=700, ge=0)
    storage_usd_per_gb_month: float = Field(default=0.12, ge=0)
    backup_usd_per_gb_month: float = Field(default=0.05, ge=0)
    cross_region_usd_per_gb: float = Field(default=0.02, ge=0)
    dns_health_checks_usd_per_month: float = Field(default=50, ge=0)
    engineer_fte_usd_per_month: float = Field(default=15_000, ge=0)
    platform_fte: float | None = Field(
        default=None, ge=0, description="engineering effort for the pattern; default by pattern"
    )
    chaos_testing_hours_per_month: float = Field(default=0, ge=0)
    chaos_testing_usd_per_hour: float = Field(default=120, ge=0)
    warm_standby_share: float = Field(
        default=0.3, ge=0, le=1, description="share of its app instances' price a warm standby region pays"
    )
    cold_standby_share: float = Field(
        default=0.0, ge=0, le=1, description="share of its app instances' price a cold standby region pays"
    )
    backup_retention_days: float = Field(default=7, gt=0, le=3650)
    replicated_bytes_per_write: float = Field(
        default=2000, ge=0, description="bytes of replication / WAL stream per written transaction"
    )


class Business(Section):
    outage_cost_usd_per_hour: float = Field(default=10_000, ge=0)
    lost_transaction_usd: float = Field(default=5, ge=0)
    conflicting_transaction_usd: float = Field(
        default=5,
        ge=0,
        description="cost of one transaction written on both sides of a split brain (support, refunds, "
        "a customer's trust); the people reconciling it count through the degraded service",
    )


class Targets(Section):
    rto_s: float = Field(default=300, gt=0)
    rpo_s: float = Field(default=60, ge=0)
    availability: float = Field(default=0.999, gt=0, lt=1)
    monthly_budget_usd: float | None = Field(default=None, ge=0)
    confidence: float = Field(default=0.95, gt=0, lt=1)
    agreed_with_business: bool = True
    applies_to: list[IncidentType] | None = Field(
        default_factory=lambda: list(RECOVERY_TARGET_TYPES),
        description="incident types the RTO and RPO targets are judged on (null: every type); "
        "the others still count in availability and outage cost",
    )


class Simulation(Section):
    recovery_threshold: float = Field(default=0.99, gt=0, le=1)
