"""Reads about drills: records, the facts the checklist takes from them, calibration labels, the drill page."""

from __future__ import annotations

import copy
from datetime import date

import numpy as np
from django.core.cache import cache
from django.utils import timezone

import simulation
from drills.models import Calibration, Drill
from planner.models import Scenario
from simulation.analysis.calibration import calibrate
from simulation.analysis.checklist import TESTED_RECENTLY_DAYS
from simulation.analysis.checklist import answer as checklist_answer
from simulation.analysis.drill_compare import PREDICTION_TRIALS, Predicted, compare_drills, predicted_phases
from simulation.model.drills import DrillRecord
from simulation.model.loading import canonical_sha256

FAILOVER_TESTS = ("database-failover", "zone-loss", "region-evacuation")
DRILL_FACT_FIELDS = ("days_since_failover_test", "tested_under_load")
PREDICTION_CACHE_S = 86_400


def drill_list(*, scenario: Scenario):
    return Drill.objects.filter(scenario=scenario).order_by("date", "id")


def drill_records(*, scenario: Scenario) -> list[DrillRecord]:
    return [d.record() for d in drill_list(scenario=scenario)]


def drill_facts(*, scenario: Scenario, today: date | None = None) -> dict:
    """What the failover drills say about the checklist's questions 7 and 8 and the automation decay:
    ``{"days_since_failover_test": days since the last one, "tested_under_load": one of the failover
    tests of the 90 days up to the last one ran under load}``; ``{}`` when there are none."""
    tests = list(drill_list(scenario=scenario).filter(drill_type__in=FAILOVER_TESTS).values("date", "under_load"))
    if not tests:
        return {}
    today = today or timezone.now().date()
    last = max(t["date"] for t in tests)
    recent = [t for t in tests if (last - t["date"]).days <= TESTED_RECENTLY_DAYS]
    return {
        "days_since_failover_test": float(max(0, (today - last).days)),
        "tested_under_load": any(t["under_load"] for t in recent),
    }


def document_with_drill_facts(*, scenario: Scenario, document: dict, today: date | None = None) -> dict:
    """The document with the failover-test fields answered from the drill records (unchanged without drills)."""
    facts = drill_facts(scenario=scenario, today=today)
    if not facts:
        return document
    out = copy.deepcopy(document)
    out.setdefault("failover", {}).update(facts)
    return out


def document_key(document: dict) -> str:
    """The sha256 a calibration label is matched by: the document without the drill-derived fields."""
    stripped = copy.deepcopy(document)
    for key in DRILL_FACT_FIELDS:
        (stripped.get("failover") or {}).pop(key, None)
    return canonical_sha256(stripped)


def calibration_label(*, document: dict | None) -> str | None:
    """ "calibrated by N drills, last on DATE" when the document is a calibrated revision, else None."""
    if not document:
        return None
    found = Calibration.objects.filter(document_key=document_key(document)).first()
    return found.label if found else None


def calibration_labels(*, runs) -> dict[int, str]:
    """Run id → calibration label, for the runs whose snapshot is a calibrated revision."""
    out = {}
    for run in runs:
        label = calibration_label(document=run.snapshot)
        if label:
            out[run.pk] = label
    return out


def _predictions(*, scenario: Scenario, engine_scenario, records: list[DrillRecord]) -> Predicted:
    """The model's phase distributions for the drills' incident types, cached per document and engine version
    (a second or so per type, and the same for every page view until the scenario changes)."""
    out: Predicted = {}
    document = canonical_sha256(scenario.document)
    for kind in sorted({r.incident_type for r in records}):
        key = f"drills:predicted:{simulation.ENGINE_VERSION}:{PREDICTION_TRIALS}:{document}:{kind}"
        stored = cache.get(key)
        if stored is None:
            stored = {k: v.tolist() for k, v in predicted_phases(engine_scenario, kind).items()}
            cache.set(key, stored, PREDICTION_CACHE_S)
        out[kind] = {k: np.asarray(v, dtype=float) for k, v in stored.items()}
    return out


def drill_page(*, scenario: Scenario) -> dict:
    """Everything the drill page shows: drills with their percentiles, the verdict, the calibration proposal."""
    drills = list(drill_list(scenario=scenario))
    records = [d.record() for d in drills]
    engine_scenario = simulation.load_scenario(scenario.document)
    predicted = _predictions(scenario=scenario, engine_scenario=engine_scenario, records=records)
    comparison = compare_drills(engine_scenario, records, predicted=predicted) if records else None
    proposal = calibrate(engine_scenario, records, predicted=predicted) if records else None
    facts = drill_facts(scenario=scenario)
    decay = None
    if facts:
        answered = simulation.load_scenario(document_with_drill_facts(scenario=scenario, document=scenario.document))
        yes, why = checklist_answer(answered, 8)
        decay = {
            "configured": answered.failover.automation_success_probability,
            "now": answered.automation_success_probability(),
            "question_8": yes,
            "question_8_reason": why,
        }
    rows = []
    for i, drill in enumerate(drills):
        rows.append({"drill": drill, "comparison": comparison["drills"][i] if comparison else None})
    return {
        "rows": rows,
        "comparison": comparison,
        "proposal": proposal,
        "diff": proposal.diff(simulation.dump_document(engine_scenario)) if proposal else "",
        "facts": facts,
        "decay": decay,
        "label": calibration_label(document=scenario.document),
    }
