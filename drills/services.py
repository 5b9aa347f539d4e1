"""Writes about drills: add one, import a file (all or nothing), delete, accept a calibration."""

from __future__ import annotations

from django.db import transaction

import simulation
from drills.models import Calibration, Drill
from drills.selectors import document_key, drill_records
from planner.models import Scenario
from planner.services.scenarios import scenario_update
from simulation.analysis.calibration import calibrate
from simulation.model.drills import DrillRecord, parse_drills


def _row(*, scenario: Scenario, record: DrillRecord, user) -> Drill:
    fields = record.model_dump()
    return Drill(
        workspace=scenario.workspace,
        scenario=scenario,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        **fields,
    )


def drill_add(*, scenario: Scenario, record: DrillRecord, user) -> Drill:
    """Save one drill of the scenario."""
    drill = _row(scenario=scenario, record=record, user=user)
    drill.save()
    return drill


def drills_import(*, scenario: Scenario, text: str, fmt: str, user) -> list[Drill]:
    """Every drill of a CSV or JSON text; ``DrillError`` (row and field, nothing saved) when any row is wrong."""
    records = parse_drills(text, fmt)
    with transaction.atomic():
        return Drill.objects.bulk_create([_row(scenario=scenario, record=r, user=user) for r in records])


def drill_delete(*, drill: Drill) -> None:
    drill.delete()


class NothingToCalibrate(ValueError):
    """No drills, or the drills change nothing the calibration can set."""


def calibration_accept(*, scenario: Scenario, user) -> Calibration:
    """Calibrate the scenario from its drills and save the result as a new revision with its label."""
    records = drill_records(scenario=scenario)
    if not records:
        raise NothingToCalibrate("no drills to calibrate from")
    result = calibrate(simulation.load_scenario(scenario.document), records)
    if not result.changes:
        raise NothingToCalibrate("the drills change nothing: " + "; ".join(result.skipped))
    with transaction.atomic():
        scenario_update(scenario=scenario, user=user, document=result.document, note=result.label)
        revision = scenario.revisions.order_by("-number").first()
        return Calibration.objects.create(
            workspace=scenario.workspace,
            scenario=scenario,
            revision_number=revision.number if revision else 0,
            document_key=document_key(scenario.document),
            label=result.label,
            drills_count=result.drills,
            last_drill_date=result.last_date,
            changes=result.changes,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
