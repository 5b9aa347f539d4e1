"""Request and response bodies of the API (documented in the OpenAPI schema at /api/schema/)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
"""A database id: a positive 64-bit integer (a larger number is a 422, not an overflow)."""


class ErrorOut(Schema):
    detail: str


class ProblemOut(Schema):
    path: str = Field(description="the field, as a dotted path in the scenario document")
    message: str


class ProblemsOut(Schema):
    detail: str
    problems: list[ProblemOut]


class TargetsIn(Schema):
    rto_s: float = Field(gt=0, le=1e9, description="recovery time objective, seconds")
    rpo_s: float = Field(ge=0, le=1e9, description="recovery point objective, seconds")
    availability: float = Field(gt=0, lt=1, description="share of the year the service must be up")
    monthly_budget_usd: float | None = Field(default=None, ge=0, le=1e12)
    confidence: float = Field(default=0.95, gt=0, lt=1, description="probability a target must be met with")


class WorkspaceOut(Schema):
    id: int
    name: str
    targets: dict[str, Any]
    role: str = Field(description="the token user's role: editor or viewer")


class ScenarioIn(Schema):
    name: str = Field(default="", max_length=200)
    notes: str | None = Field(default=None, max_length=20_000)
    document: dict[str, Any] | None = Field(default=None, description="the scenario as JSON")
    yaml: str | None = Field(default=None, max_length=200_000, description="the scenario as YAML (or JSON) text")


class ScenarioOut(Schema):
    id: int
    name: str
    notes: str
    revision: int
    updated_at: datetime
    document: dict[str, Any]


class ScenarioSummaryOut(Schema):
    id: int
    name: str
    updated_at: datetime


class TerraformIn(Schema):
    name: str = Field(default="Imported from Terraform", max_length=200)
    state: dict[str, Any] = Field(description="the JSON of `terraform show -json` (a state or a plan)")


class TerraformReportOut(Schema):
    read: list[str]
    defaulted: list[str]
    decide: list[str]
    unknown: list[str]


class TerraformOut(Schema):
    scenario: ScenarioOut
    report: TerraformReportOut


class RunIn(Schema):
    scenario_id: int | None = Field(default=None, ge=1, le=2**63 - 1, description="a scenario of the workspace")
    document: dict[str, Any] | None = Field(default=None, description="or a scenario document, run as given")
    yaml: str | None = Field(default=None, max_length=200_000, description="or a scenario as YAML text")
    trials: int = Field(default=2000, ge=1)
    seed: int = Field(default=42, ge=0, le=2**63 - 1)


class RunOut(Schema):
    id: int
    scenario_id: int | None
    scenario_name: str
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    progress: float
    chunks_done: int
    chunks_total: int
    eta_s: float | None
    error: str
    seed: int
    trials: int
    engine_version: str
    created_at: datetime
    finished_at: datetime | None


class VerdictOut(Schema):
    target: str
    incident_type: str | None
    met: bool
    text: str


class CheckOut(Schema):
    run_id: int
    targets: dict[str, Any] = Field(description="the workspace's targets the run is judged against")
    targets_met: bool
    verdicts: list[VerdictOut]


class CompareOptionOut(Schema):
    run_id: int
    label: str
    targets_met: bool
    premium_usd_per_month: float
    expected_outage_usd_per_month: float
    total_usd_per_month: float
    verdicts: list[VerdictOut]


class CompareOut(Schema):
    targets: dict[str, Any]
    options: list[CompareOptionOut]
    rows: list[dict[str, Any]] = Field(description="the compare page's table: a label and one cell per option")


class ExportOut(Schema):
    id: int
    format: str
    status: str
    filename: str
    content_sha256: str


class DecisionOut(Schema):
    id: int
    title: str
    status: str
    version: int
    context: str
    rationale: str
    consequences: str
    follow_ups: str
    targets: dict[str, Any]
    run_ids: list[int]
    chosen_run_id: int | None
    signed_by: list[str]
    exports: list[ExportOut]
    created_at: datetime


class Pages(LimitOffsetPagination):
    """``?limit=`` (1–100) and ``?offset=`` (0–1,000,000): a list's page, bounded both ways."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=100)
        offset: int = Field(0, ge=0, le=1_000_000)
