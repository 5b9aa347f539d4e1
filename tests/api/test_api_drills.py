"""Drills through the API: import all or nothing with row and field paths, list, the model's comparison."""

from __future__ import annotations

from datetime import date

import simulation
from drills.models import Drill
from simulation.analysis.drill_compare import drills_from_model
from simulation.model.drills import drills_template, drills_to_csv


def test_import_list_compare_and_delete(editor_write, workspace, scenario):
    url = f"/api/workspaces/{workspace.pk}/scenarios/{scenario.pk}/drills"
    engine = simulation.load_scenario(scenario.document)
    slow = drills_to_csv(
        drills_from_model(engine, "database-failover", 6, seed=4, first_date=date(2026, 1, 5), slowdown=1.7)
    )
    created = editor_write.post(url, {"format": "csv", "text": slow})
    assert created.status_code == 201, created.content
    assert len(created.json()) == 6 and editor_write.get(url).json() == created.json()
    comparison = editor_write.get(f"{url}/comparison").json()
    assert comparison["comparison"]["calibration"]["verdict"] == "optimistic"
    assert "calibrated by 6 drills" in comparison["proposal"]["label"]
    assert editor_write.delete(f"{url}/{created.json()[0]['id']}").status_code == 204
    assert Drill.objects.filter(scenario=scenario).count() == 5


def test_a_bad_row_saves_nothing_and_names_row_and_field(editor_write, workspace, scenario):
    url = f"/api/workspaces/{workspace.pk}/scenarios/{scenario.pk}/drills"
    text = drills_template() + "database-failover,2026-05-01,drill,yes,0 s,40 s,,30 s,90 s,,,,\n"
    response = editor_write.post(url, {"format": "csv", "text": text})
    assert response.status_code == 422
    assert "drills[2].promoted_at" in [p["path"] for p in response.json()["problems"]]
    assert not Drill.objects.exists()
