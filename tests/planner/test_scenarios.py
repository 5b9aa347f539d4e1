"""Scenarios through their pages: create, edit by section, revisions, duplicate, delete, import, export."""

from __future__ import annotations

import pytest
import yaml
from django.urls import reverse

from planner.models import Run, Scenario
from planner.services.scenarios import scenario_create

from planner_helpers import section_post_data


def _edit(client, scenario, section, **changes):
    data = {**section_post_data(section, scenario.document), **changes}
    return client.post(reverse("scenario_edit", args=[scenario.workspace_id, scenario.pk, section]), data)


def test_it_creates_a_blank_scenario_with_every_default(owner_client, workspace):
    response = owner_client.post(reverse("scenario_new", args=[workspace.pk]), {"name": "Baseline", "preset": ""})
    scenario = Scenario.objects.get(name="Baseline")
    assert response.status_code == 302
    assert scenario.document["name"] == "Baseline"
    assert scenario.document["failover"]["detection"]["interval_s"] == 10
    assert [r.number for r in scenario.revisions.all()] == [1]


def test_it_creates_a_scenario_from_a_preset(owner_client, workspace, settings, tmp_path):
    (tmp_path / "tier-4h.yaml").write_text("name: Four hours\npattern: single-region\nfailover: {mode: manual}\n")
    (tmp_path / "broken.yaml").write_text("pattern: [nope\n")
    settings.EXAMPLES_DIR = tmp_path
    page = owner_client.get(reverse("scenario_new", args=[workspace.pk])).content.decode()
    assert "Four hours" in page and "broken" not in page
    owner_client.post(reverse("scenario_new", args=[workspace.pk]), {"name": "Mine", "preset": "tier-4h"})
    scenario = Scenario.objects.get(name="Mine")
    assert scenario.document["pattern"] == "single-region"
    assert scenario.document["failover"]["mode"] == "manual"


def test_it_saves_a_section_and_records_a_revision(owner_client, scenario, owner):
    response = _edit(
        owner_client,
        scenario,
        "failover",
        failover__detection__interval_s="30",
        failover__promotion_s="lognormal median=20 p95=60",
    )
    assert response.status_code == 302
    scenario.refresh_from_db()
    assert scenario.document["failover"]["detection"]["interval_s"] == 30
    assert scenario.document["failover"]["promotion_s"] == {"kind": "lognormal", "median": 20, "p95": 60, "p99": None}
    revision = scenario.revisions.first()
    assert (revision.number, revision.author, revision.document) == (2, owner, scenario.document)


def test_it_shows_the_engines_error_next_to_the_field_and_saves_nothing(owner_client, scenario):
    before = scenario.document
    response = _edit(owner_client, scenario, "database", database__local_standby_lag_s="lognormal median=5 p95=1")
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["database__local_standby_lag_s"] == ["must be >= median"]
    scenario.refresh_from_db()
    assert scenario.document == before and scenario.revisions.count() == 1


def test_it_shows_a_readable_error_for_distribution_text_it_cannot_read(owner_client, scenario):
    response = _edit(owner_client, scenario, "failover", failover__promotion_s="uniform low=10 top=30")
    assert response.status_code == 400
    assert "uniform takes low=…, high=…" in response.context["form"].errors["failover__promotion_s"][0]


def test_it_shows_a_rule_across_fields_inline(owner_client, scenario):
    response = _edit(owner_client, scenario, "deployment", deployment__canary_steps_pct="5, 50, 25, 100")
    assert response.context["form"].errors["deployment__canary_steps_pct"] == ["must rise strictly and end at 100"]


def test_it_turns_a_blank_optional_value_into_none(owner_client, scenario):
    _edit(owner_client, scenario, "app", app__pool__max_lifetime_s="")
    scenario.refresh_from_db()
    assert scenario.document["app"]["pool"]["max_lifetime_s"] is None


def test_it_adds_and_removes_regions_through_table_rows(owner_client, scenario):
    assert len(scenario.document["regions"]) == 2
    response = _edit(owner_client, scenario, "topology", regions__2__name="region-c", regions__2__role="read-replica")
    assert response.status_code == 302
    scenario.refresh_from_db()
    assert [r["name"] for r in scenario.document["regions"]] == ["region-a", "region-b", "region-c"]
    assert scenario.document["regions"][2]["app_instances"] == 4  # blank: the default
    _edit(owner_client, scenario, "topology", regions__1__name="")
    scenario.refresh_from_db()
    assert [r["name"] for r in scenario.document["regions"]] == ["region-a", "region-c"]
    assert {r["region"] for r in scenario.document["database"]["replicas"]} <= {"region-a", "region-c"}


def test_it_reports_a_topology_rule_without_saving(owner_client, scenario):
    response = _edit(owner_client, scenario, "topology", regions__1__role="primary")
    assert response.status_code == 400
    assert "exactly one region must have role primary" in str(response.context["form"].errors)


def test_it_renames_a_scenario_and_its_document(owner_client, scenario):
    url = reverse("scenario_about", args=[scenario.workspace_id, scenario.pk])
    owner_client.post(url, {"name": "Renamed", "notes": "for the workshop"})
    scenario.refresh_from_db()
    assert (scenario.name, scenario.document["name"], scenario.notes) == ("Renamed", "Renamed", "for the workshop")


def test_it_lists_revisions_and_shows_an_old_one(owner_client, scenario):
    _edit(owner_client, scenario, "traffic", traffic__request_rate_rps="900")
    detail = owner_client.get(reverse("scenario_detail", args=[scenario.workspace_id, scenario.pk])).content.decode()
    assert "Revision 2" in detail and "Revision 1" in detail
    old = owner_client.get(reverse("scenario_revision", args=[scenario.workspace_id, scenario.pk, 1]))
    assert "request_rate_rps: 500" in old.content.decode()


def test_it_duplicates_a_scenario(owner_client, scenario):
    owner_client.post(reverse("scenario_duplicate", args=[scenario.workspace_id, scenario.pk]))
    copy = Scenario.objects.get(name="Copy of Active-passive")
    assert copy.pk != scenario.pk
    assert {k: v for k, v in copy.document.items() if k != "name"} == {
        k: v for k, v in scenario.document.items() if k != "name"
    }


def test_it_asks_before_deleting_and_keeps_the_runs(owner_client, scenario, done_run):
    url = reverse("scenario_delete", args=[scenario.workspace_id, scenario.pk])
    assert "Delete “Active-passive”?" in owner_client.get(url).content.decode()
    assert Scenario.objects.filter(pk=scenario.pk).exists()
    owner_client.post(url)
    assert not Scenario.objects.filter(pk=scenario.pk).exists()
    done_run.refresh_from_db()
    assert done_run.scenario is None and done_run.snapshot["name"] == "Active-passive"


def test_it_lists_every_import_problem_by_field_path_and_saves_nothing(owner_client, workspace):
    text = "name: Bad\ndatabase:\n  size_gb: -1\nfailover:\n  mode: robot\n"
    response = owner_client.post(reverse("scenario_import", args=[workspace.pk]), {"text": text})
    assert response.status_code == 400
    paths = [p.path for p in response.context["problems"]]
    assert "database.size_gb" in paths and "failover.mode" in paths
    assert "<code>database.size_gb</code>" in response.content.decode()
    assert not Scenario.objects.filter(workspace=workspace).exists()


def test_it_reports_unparseable_yaml_with_its_line(owner_client, workspace):
    response = owner_client.post(reverse("scenario_import", args=[workspace.pk]), {"text": "a: [1,\nb: 2\n"})
    assert response.status_code == 400
    assert "cannot parse the document at line" in response.context["problems"][0].message


def test_it_imports_an_uploaded_file(owner_client, workspace):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("x.yaml", b"name: From file\npattern: single-region\n")
    owner_client.post(reverse("scenario_import", args=[workspace.pk]), {"file": upload})
    assert Scenario.objects.get(workspace=workspace).document["pattern"] == "single-region"


def test_it_exports_yaml_that_imports_to_the_same_document(owner_client, scenario):
    _edit(owner_client, scenario, "failover", failover__promotion_s="empirical 12, 30, 45")
    scenario.refresh_from_db()
    response = owner_client.get(reverse("scenario_export", args=[scenario.workspace_id, scenario.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="active-passive.yaml"'
    text = response.content.decode()
    assert yaml.safe_load(text) == scenario.document
    owner_client.post(reverse("scenario_import", args=[scenario.workspace_id]), {"text": text, "name": "Again"})
    again = Scenario.objects.get(name="Again")
    assert {**again.document, "name": scenario.name} == scenario.document


def test_it_lets_the_viewer_export_but_not_import(member_client, scenario):
    assert member_client.get(reverse("scenario_export", args=[scenario.workspace_id, scenario.pk])).status_code == 200
    response = member_client.post(reverse("scenario_import", args=[scenario.workspace_id]), {"text": "name: x"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "section", ["topology", "database", "failover", "app", "deployment", "traffic", "incidents", "costs", "targets"]
)
def test_it_saves_every_section_unchanged_without_changing_the_document(owner_client, workspace, owner, section):
    scenario = scenario_create(
        workspace=workspace,
        name="Full",
        user=owner,
        document={"pattern": "active-passive", "database": {"replicas": [{"region": "region-b", "mode": "async"}]}},
    )
    before = scenario.document
    assert _edit(owner_client, scenario, section).status_code == 302
    scenario.refresh_from_db()
    assert scenario.document == before
    assert Run.objects.count() == 0


def test_every_preset_states_what_it_assumes(owner_client, workspace):
    from planner.selectors.scenarios import preset_list

    presets = preset_list()
    assert presets
    for preset in presets:
        text = preset.assumptions
        assert all(word in text for word in ("failover", "people paged", "detection every", "DNS TTL", "RTO"))
    page = owner_client.get(reverse("scenario_new", args=[workspace.pk])).content.decode()
    assert "What each preset assumes" in page and "DNS TTL" in page
