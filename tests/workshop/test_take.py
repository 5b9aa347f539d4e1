"""What would it take, through the room's endpoints: the tornado in slices, break-even values, the cheapest
changes or nearest misses; only for the session's options, bad bodies answered 400/422."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from simulation.analysis.variants import RunSettings
from workshop import sessions, take

SMALL = RunSettings(trials=40, years=80, seed=3)


@pytest.fixture(autouse=True)
def small(monkeypatch):
    monkeypatch.setattr(take, "TORNADO_ROOM", SMALL)
    monkeypatch.setattr(take, "BREAK_EVEN_ROOM", SMALL)
    monkeypatch.setattr(take, "ADVICE_EVALUATIONS", 4)


@pytest.fixture
def session(workspace, editor, scenario):
    return sessions.session_create(workspace=workspace, user=editor, name="Review", options=[scenario.pk])


def _post(client, session, name: str, payload: dict):
    url = reverse(f"room_{name}", args=[session.workspace_id, session.pk])
    return client.post(url, json.dumps(payload), content_type="application/json")


def test_the_tornado_comes_in_slices_with_the_missed_targets(viewer_client, session, scenario):
    plan = _post(viewer_client, session, "tornado", {"scenario_id": scenario.pk})
    assert plan.status_code == 200
    data = plan.json()
    assert data["slice"] == take.SLICE and len(data["parameters"]) > take.SLICE
    assert any(p["numeric"] for p in data["parameters"]) and data["missed"]
    keys = [p["key"] for p in data["parameters"]][: take.SLICE]
    bars = _post(viewer_client, session, "tornado", {"scenario_id": scenario.pk, "parameters": keys}).json()
    assert {b["key"] for b in bars["parameters"]} == set(keys)


def test_break_even_answers_for_a_numeric_lever(viewer_client, session, scenario):
    answer = _post(
        viewer_client,
        session,
        "breakeven",
        {
            "scenario_id": scenario.pk,
            "parameter": "detection_interval_s",
            "target": "rto",
            "incident_type": "db_primary_failure",
        },
    )
    assert answer.status_code == 200
    assert answer.json()["status"] in ("found", "met across the range", "missed across the range")


def test_the_cheapest_changes_or_the_nearest_misses(viewer_client, session, scenario):
    answer = _post(viewer_client, session, "advice", {"scenario_id": scenario.pk})
    assert answer.status_code == 200
    data = answer.json()
    assert set(data) == {"already_met", "fixes", "nearest_misses", "evaluated"}
    shortfalls = [m["shortfall"] for m in data["nearest_misses"]]
    assert shortfalls == sorted(shortfalls)


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"scenario_id": 987654}, 400),
        ({"parameter": "health_check", "target": "rto", "incident_type": "db_primary_failure"}, 422),
        ({"parameter": "detection_interval_s", "target": "budget"}, 400),
    ],
)
def test_bad_questions_get_a_clear_answer(viewer_client, session, scenario, payload, status):
    answer = _post(viewer_client, session, "breakeven", {"scenario_id": scenario.pk, **payload})
    assert answer.status_code == status
    assert answer.json()["errors"]


def test_outsiders_get_nothing(outsider_client, session, scenario):
    assert _post(outsider_client, session, "tornado", {"scenario_id": scenario.pk}).status_code == 404


@pytest.mark.parametrize("workers", [0, 2])
def test_a_slice_shared_out_over_the_pool_has_the_bars_of_one_tornado(settings, scenario, workers):
    from simulation.analysis.sensitivity import tornado
    from workshop.selectors import base_document

    settings.WORKSHOP_WORKERS = workers
    document = base_document(scenario=scenario, targets=scenario.workspace.targets)
    keys = ["detection_interval_s", "promotion_s", "validate_on_borrow", "max_lifetime_s"]
    shared = take.tornado_slice(document=document, overrides={}, parameters=keys)
    whole = tornado(take.variant_scenario(document=document, overrides={}), parameters=keys, settings=SMALL)
    assert shared == whole
