"""Scenarios through the API: a YAML round trip, problems as 422 with field paths, Terraform imports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from planner.models import Run, Scenario
from planner.services.runs import run_execute

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_yaml_round_trip(editor_write, workspace):
    text = (EXAMPLES / "worked-active-passive.yaml").read_text()
    created = editor_write.post(f"/api/workspaces/{workspace.pk}/scenarios", {"yaml": text})
    assert created.status_code == 201, created.content
    scenario_id = created.json()["id"]
    exported = editor_write.get(f"/api/workspaces/{workspace.pk}/scenarios/{scenario_id}/yaml")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("application/yaml")
    again = editor_write.post(f"/api/workspaces/{workspace.pk}/scenarios", {"yaml": exported.content.decode()})
    assert again.json()["document"] == created.json()["document"]  # nothing lost or changed on the way
    assert yaml.safe_load(exported.content)["name"] == yaml.safe_load(text)["name"]

    replaced = editor_write.put(
        f"/api/workspaces/{workspace.pk}/scenarios/{scenario_id}",
        {"document": {**created.json()["document"], "pattern": "single-region", "regions": [], "database": {}}},
    )
    assert replaced.status_code == 200, replaced.content
    assert replaced.json()["revision"] == 2 and replaced.json()["document"]["pattern"] == "single-region"


def test_problems_are_422_with_field_paths_and_nothing_is_saved(editor_write, workspace):
    before = Scenario.objects.count()
    response = editor_write.post(
        f"/api/workspaces/{workspace.pk}/scenarios",
        {"document": {"pattern": "active-passive", "failover": {"detection": {"interval_s": -1}}, "typo": 1}},
    )
    assert response.status_code == 422
    paths = {p["path"] for p in response.json()["problems"]}
    assert {"failover.detection.interval_s", "typo"} <= paths
    assert Scenario.objects.count() == before


@pytest.mark.parametrize(
    "body, path",
    [({}, "document"), ({"document": {}, "yaml": "schema: 1"}, "document"), ({"yaml": "a: [unclosed"}, "")],
)
def test_a_body_gives_exactly_one_document(editor_write, workspace, body, path):
    response = editor_write.post(f"/api/workspaces/{workspace.pk}/scenarios", body)
    assert response.status_code == 422, response.content
    assert response.json()["problems"][0]["path"] == path


def test_bad_json_and_deep_nesting_are_400_not_500(editor_write, workspace):
    url = f"/api/workspaces/{workspace.pk}/scenarios"
    deep = '{"document": ' + '{"a": ' * 200 + "1" + "}" * 201
    for raw in ("{not json", deep):
        response = editor_write.client.post(url, raw, content_type="application/json", **editor_write.headers)
        assert response.status_code in (400, 422), response.content[:200]
        assert response.json()["detail"]


@pytest.mark.parametrize("name", ["single-region.json", "multi-az-rds-alb.json", "aurora-global.json"])
def test_terraform_import_gives_a_scenario_that_runs(editor_write, workspace, owner, name):
    state = json.loads((EXAMPLES / "terraform" / name).read_text())
    response = editor_write.post(f"/api/workspaces/{workspace.pk}/scenarios/terraform", {"name": name, "state": state})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["report"]["read"] and body["report"]["decide"]
    assert "To decide" in Scenario.objects.get(pk=body["scenario"]["id"]).notes
    started = editor_write.post(
        f"/api/workspaces/{workspace.pk}/runs", {"scenario_id": body["scenario"]["id"], "trials": 30, "seed": 3}
    )
    assert started.status_code == 202, started.content
    assert run_execute(run_id=started.json()["id"]).status == Run.Status.DONE


def test_a_state_that_is_not_terraform_is_422(editor_write, workspace):
    response = editor_write.post(f"/api/workspaces/{workspace.pk}/scenarios/terraform", {"state": {"x": 1}})
    assert response.status_code == 422
    assert response.json()["problems"][0]["path"] == "values.root_module"
