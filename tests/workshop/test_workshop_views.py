"""The workshop page and its JSON endpoints for members: who may see, evaluate and pin."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from planner.models import Run, Scenario
from workshop.views import MAX_PINS


def _post(client, name: str, workspace_id: int, payload) -> object:
    body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    return client.post(reverse(name, args=[workspace_id]), body, content_type="application/json")


def test_it_shows_the_workshop_with_its_controls_to_a_viewer(viewer_client, workspace, scenario):
    response = viewer_client.get(reverse("workshop", args=[workspace.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for label in (
        "Failover",
        "Detection check interval",
        "Pool: validate on borrow",
        "Pool: max connection lifetime",
        "Cross-region replication",
        "Standby region",
        "Backup / archive interval",
        "Deployment strategy",
        "App instances (primary region)",
    ):
        assert label in html
    assert 'id="ws-config"' in html and "vendor/plotly/plotly-basic.min.js" in html
    assert "Create share link" not in html  # viewers do not manage links
    assert response.context["config"]["decision_url"] == reverse("decision_create", args=[workspace.pk])


def test_it_shows_share_link_management_to_an_editor(editor_client, workspace, scenario):
    html = editor_client.get(reverse("workshop", args=[workspace.pk])).content.decode()
    assert "Create share link" in html


def test_it_hides_the_workshop_from_outsiders_and_strangers(outsider_client, anonymous_client, workspace, scenario):
    assert outsider_client.get(reverse("workshop", args=[workspace.pk])).status_code == 404
    response = anonymous_client.get(reverse("workshop", args=[workspace.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_it_explains_a_workspace_without_scenarios(editor_client, workspace):
    response = editor_client.get(reverse("workshop", args=[workspace.pk]))
    assert response.status_code == 200 and "no scenario yet" in response.content.decode()


def test_it_evaluates_a_variant_and_shows_the_effect_of_a_fix(viewer_client, workspace, scenario):
    base = _post(viewer_client, "workshop_evaluate", workspace.pk, {"scenario_id": scenario.pk, "overrides": {}})
    assert base.status_code == 200
    payload = base.json()
    assert {"cards", "figure", "figures", "point", "targets_met", "elapsed_ms"} <= set(payload)
    rto_card = next(c for c in payload["cards"] if c["target"] == "rto")
    assert rto_card["met"] is False  # the opener's pool and health checks keep it down for a long time
    fixed = _post(
        viewer_client,
        "workshop_evaluate",
        workspace.pk,
        # validation finds stale connections once a query timeout ends the requests hung on them
        {
            "scenario_id": scenario.pk,
            "overrides": {"app.pool.validate_on_borrow": True, "app.timeouts.oltp_query_s": 10},
        },
    ).json()
    assert fixed["point"]["downtime_h_per_year"] < payload["point"]["downtime_h_per_year"]


def test_it_gives_the_same_numbers_for_the_same_variant(viewer_client, workspace, scenario):
    body = {"scenario_id": scenario.pk, "overrides": {"failover.detection.interval_s": 30}}
    first = _post(viewer_client, "workshop_evaluate", workspace.pk, body).json()
    second = _post(viewer_client, "workshop_evaluate", workspace.pk, body).json()
    assert first["point"] == second["point"] and first["figures"] == second["figures"]


def test_it_names_the_field_of_a_bad_override(viewer_client, workspace, scenario):
    response = _post(
        viewer_client,
        "workshop_evaluate",
        workspace.pk,
        {"scenario_id": scenario.pk, "overrides": {"failover.detection.interval_s": -1}},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "failover.detection.interval_s"


def test_it_refuses_paths_the_workshop_does_not_offer(viewer_client, workspace, scenario):
    response = _post(
        viewer_client,
        "workshop_evaluate",
        workspace.pk,
        {"scenario_id": scenario.pk, "overrides": {"incidents.instance_crash.rate_per_year": 1e5}},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "incidents.instance_crash.rate_per_year"


@pytest.mark.parametrize(
    "body", ["not json", "[1, 2]", '{"overrides": {}}', '{"scenario_id": "1"}', '{"scenario_id": 1, "overrides": []}']
)
def test_it_answers_400_to_a_malformed_body(viewer_client, workspace, scenario, body):
    body = body.replace('"scenario_id": 1', f'"scenario_id": {scenario.pk}')
    assert _post(viewer_client, "workshop_evaluate", workspace.pk, body).status_code == 400


def test_it_does_not_evaluate_another_workspaces_scenario(viewer_client, workspace, scenario, outsider):
    from planner.services.scenarios import scenario_create
    from planner.services.workspaces import workspace_create

    other = workspace_create(name="Other", user=outsider)
    foreign = scenario_create(workspace=other, name="Secret", document={}, user=outsider)
    response = _post(viewer_client, "workshop_evaluate", workspace.pk, {"scenario_id": foreign.pk, "overrides": {}})
    assert response.status_code == 404


def test_it_pins_a_variant_as_a_finished_run_for_an_editor(editor_client, workspace, scenario, editor):
    response = _post(
        editor_client,
        "workshop_pin",
        workspace.pk,
        {"scenario_id": scenario.pk, "label": "Validation on", "overrides": {"app.pool.validate_on_borrow": True}},
    )
    assert response.status_code == 201
    run = Run.objects.get(pk=response.json()["run_id"])
    assert run.status == Run.Status.DONE and run.workspace == workspace and run.scenario == scenario
    assert run.scenario_name == "Validation on" and run.created_by == editor
    assert run.snapshot["app"]["pool"]["validate_on_borrow"] is True
    assert run.results["scenario"] == run.snapshot and run.seed == run.results["seed"]
    assert Scenario.objects.get(pk=scenario.pk).document == scenario.document  # the base is not changed
    page = editor_client.get(response.json()["run_url"])
    assert page.status_code == 200 and "Validation on" in page.content.decode()


def test_it_pins_a_variant_with_its_checklist_like_any_run(editor_client, workspace, scenario):
    response = _post(
        editor_client,
        "workshop_pin",
        workspace.pk,
        {"scenario_id": scenario.pk, "label": "Deep checks", "overrides": {"app.health_check": "deep"}},
    )
    run = Run.objects.get(pk=response.json()["run_id"])
    assert [item["number"] for item in run.results["checklist"]] == list(range(1, 9))
    page = editor_client.get(response.json()["run_url"]).content.decode()
    assert "Can any single instance die without users noticing?" in page


def test_it_refuses_pinning_to_viewers_and_outsiders(viewer_client, outsider_client, workspace, scenario):
    body = {"scenario_id": scenario.pk, "overrides": {}}
    assert _post(viewer_client, "workshop_pin", workspace.pk, body).status_code == 403
    assert _post(outsider_client, "workshop_pin", workspace.pk, body).status_code == 404
    assert not Run.objects.exists()


def test_it_builds_a_cost_frontier_over_variants_and_fixes(viewer_client, workspace, scenario):
    response = _post(
        viewer_client,
        "workshop_frontier",
        workspace.pk,
        {
            "scenario_id": scenario.pk,
            "overrides": {},
            "variants": [
                {"label": "Base", "overrides": {}},
                {"label": "Validation", "overrides": {"app.pool.validate_on_borrow": True}},
            ],
        },
    )
    assert response.status_code == 200
    data = response.json()
    labels = [p["label"] for p in data["points"]]
    assert labels[:2] == ["Base", "Validation"]
    assert {"downtime", "data_loss", "cheapest", "fixes"} <= set(data)
    assert data["cheapest"] is None or data["cheapest"] in labels


def test_it_builds_the_frontier_over_every_variant_the_page_lets_you_pin(viewer_client, workspace, scenario):
    page = viewer_client.get(reverse("workshop", args=[workspace.pk]))
    assert page.context["config"]["max_pins"] == MAX_PINS >= 8
    pins = [
        {"label": f"Pin {i}", "overrides": {"app.pool.validate_on_borrow": i % 2 == 0}} for i in range(1, MAX_PINS + 1)
    ]
    body = {"scenario_id": scenario.pk, "overrides": {}, "variants": [{"label": "Base", "overrides": {}}] + pins}
    response = _post(viewer_client, "workshop_frontier", workspace.pk, body)
    assert response.status_code == 200
    assert [p["label"] for p in response.json()["points"]][: MAX_PINS + 1] == ["Base"] + [p["label"] for p in pins]
    body["variants"].append({"label": "One too many", "overrides": {}})
    response = _post(viewer_client, "workshop_frontier", workspace.pk, body)
    assert response.status_code == 400
    assert f"at most {MAX_PINS} pinned variants" in response.json()["errors"][0]["message"]


def test_it_explains_a_stored_document_the_engine_no_longer_accepts(viewer_client, workspace, scenario):
    Scenario.objects.filter(pk=scenario.pk).update(document={**scenario.document, "pattern": "mesh"})
    response = viewer_client.get(reverse("workshop", args=[workspace.pk]))
    assert response.status_code == 409 and "pattern" in response.content.decode()
    evaluate = _post(viewer_client, "workshop_evaluate", workspace.pk, {"scenario_id": scenario.pk, "overrides": {}})
    assert evaluate.status_code == 422
