"""A new option from a pattern or preset starts from a chosen base scenario, changes only what the pattern
or preset needs, and shows every field that differs from the base, with a reason."""

from __future__ import annotations

import pytest
from django.urls import reverse

from planner.derivation import PATTERNS
from planner.models import Scenario
from planner.selectors.scenarios import preset_get, preset_list
from simulation.present.report.tables import only_differences
from tests.factories import make_scenario

PATTERN_PATHS = ("pattern", "regions", "database.replicas")
FALLBACK = "follows from the changes above"
# a base that is not the schema's defaults, so that a derived option visibly keeps what it does not change
BASE = {
    "pattern": "single-region",
    "regions": [{"name": "eu-west", "role": "primary", "app_instances": 5, "zones": 2}],
    "traffic": {"request_rate_rps": 900},
    "failover": {"mode": "manual", "dns_ttl_s": 120},
    "app": {"discovery": "dns", "health_check": "deep"},
    "targets": {"rto_s": 1800},
}


@pytest.fixture
def base(workspace, owner):
    return make_scenario(workspace, owner, name="Our single region", document=BASE)


def _create(client, workspace, **data):
    return client.post(reverse("scenario_new", args=[workspace.pk]), {"name": "Derived", **data})


def _within(path: str, prefixes) -> bool:
    return any(path == p or path.startswith(p + ".") or path.startswith(p + "[") for p in prefixes)


def _changed_paths(base_document: dict, created: dict) -> list[str]:
    return [row["path"] for row in only_differences([base_document, created])]


@pytest.mark.parametrize("pattern", [p for p in PATTERNS if p != "single-region"])
def test_a_pattern_changes_only_the_pattern_its_regions_and_replicas(owner_client, workspace, base, pattern):
    response = _create(owner_client, workspace, base=base.pk, pattern=pattern)
    created = Scenario.objects.get(name="Derived")
    assert response["Location"] == reverse("scenario_origin", args=[workspace.pk, created.pk])
    document = created.document
    assert document["pattern"] == pattern and len(document["regions"]) == 2
    assert document["regions"][0] == base.document["regions"][0]  # the primary region stays as it was
    assert document["database"]["replicas"], "a second region needs a copy of the data"

    changed = _changed_paths(base.document, document)
    assert changed and all(_within(path, PATTERN_PATHS) for path in changed)
    kept = {k: v for k, v in document.items() if k not in ("name", "pattern", "regions", "database")}
    assert kept == {k: v for k, v in base.document.items() if k not in ("name", "pattern", "regions", "database")}
    database = {k: v for k, v in document["database"].items() if k != "replicas"}
    assert database == {k: v for k, v in base.document["database"].items() if k != "replicas"}

    # the diff page lists each field that differs, each with its reason
    listed = [c["path"] for c in created.origin["changes"]]
    assert set(listed) <= set(changed)
    for path in set(changed) - set(listed):  # an empty list whose items the other side lists, one row each
        assert any(p.startswith(path + "[") for p in listed), path
    page = owner_client.get(response["Location"]).content.decode()
    for change in created.origin["changes"]:
        assert change["reason"] and FALLBACK not in change["reason"]
        assert f"<code>{change['path']}</code>" in page and change["reason"] in page.replace("&#x27;", "'")
    assert "“Our single region”" in page and f"pattern {pattern}" in page


def test_back_to_a_single_region_keeps_the_primary_and_drops_the_rest(owner_client, workspace, scenario):
    _create(owner_client, workspace, base=scenario.pk, pattern="single-region")
    created = Scenario.objects.get(name="Derived")
    assert [r["name"] for r in created.document["regions"]] == [scenario.document["regions"][0]["name"]]
    assert created.document["database"]["replicas"] == []
    changed = _changed_paths(scenario.document, created.document)
    assert all(_within(path, PATTERN_PATHS) for path in changed)
    reasons = {c["path"]: c["reason"] for c in created.origin["changes"]}
    assert "keeps only its primary region" in reasons["regions[1].name"]
    assert "no cross-region replica" in reasons["database.replicas[0].region"]


def test_a_preset_sets_only_the_fields_it_writes_on_the_base(owner_client, workspace, base):
    preset = preset_get(slug="tier-rto-5min")
    response = _create(owner_client, workspace, base=base.pk, preset=preset.slug)
    created = Scenario.objects.get(name="Derived")
    assert response["Location"] == reverse("scenario_origin", args=[workspace.pk, created.pk])
    document = created.document
    assert document["pattern"] == "active-passive" and document["failover"]["dns_ttl_s"] == 60
    assert document["traffic"] == base.document["traffic"]  # the preset does not write traffic: the base's
    assert document["targets"] == base.document["targets"]  # the workspace's targets judge; the preset's propose
    written = {k for k in preset.document if k not in ("name", "schema", "targets")}
    for path in _changed_paths(base.document, document):
        assert _within(path, written), path
    reasons = {c["path"]: c["reason"] for c in created.origin["changes"]}
    assert reasons["failover.dns_ttl_s"] == f"the preset “{preset.name}” sets it"
    assert all(reason and FALLBACK not in reason for reason in reasons.values())


def test_without_a_base_a_preset_is_taken_whole_and_there_is_no_diff(owner_client, workspace):
    response = _create(owner_client, workspace, preset="tier-rto-5min")
    created = Scenario.objects.get(name="Derived")
    assert created.origin is None and response["Location"] == reverse(
        "scenario_detail", args=[workspace.pk, created.pk]
    )
    assert created.document["targets"]["rto_s"] == 300


def test_a_copy_of_the_base_differs_in_nothing(owner_client, workspace, base):
    _create(owner_client, workspace, base=base.pk)
    created = Scenario.objects.get(name="Derived")
    assert created.origin["changes"] == []
    assert {**created.document, "name": base.name} == base.document


def test_it_refuses_a_pattern_and_a_preset_together_and_a_base_of_another_workspace(
    owner, owner_client, workspace, base
):
    both = _create(owner_client, workspace, base=base.pk, pattern="active-passive", preset="tier-rto-5min")
    assert both.status_code == 400 and "not both" in both.content.decode()
    from tests.factories import make_workspace

    elsewhere = make_scenario(make_workspace(owner, name="Other"), owner, name="Elsewhere")
    foreign = _create(owner_client, workspace, base=elsewhere.pk, pattern="active-passive")
    assert foreign.status_code == 400
    assert not Scenario.objects.filter(name="Derived").exists()


def test_the_form_starts_from_the_reference_option(owner_client, workspace, base, scenario):
    workspace.reference_scenario = base
    workspace.save()
    page = owner_client.get(reverse("scenario_new", args=[workspace.pk])).content.decode()
    assert f'<option value="{base.pk}" selected>' in page
    assert 'name="pattern"' in page and 'name="preset"' in page


def test_every_preset_says_what_it_assumes_staffing_detection_ttl_and_targets():
    for preset in preset_list():
        text = preset.assumptions
        for words in ("platform team", "people paged", "detection every", "DNS TTL", "proposed targets RTO"):
            assert words in text, (preset.slug, words)


def test_a_result_the_engine_refuses_is_not_saved_and_its_problems_are_named(owner_client, workspace, owner):
    two_regions = make_scenario(
        workspace,
        owner,
        name="Read everywhere",
        document={
            "pattern": "active-active-read",
            "app": {"capacity_rps_per_instance": 100},
            "traffic": {"request_rate_rps": 300},
            "regions": [
                {"name": "a", "role": "primary", "app_instances": 2},
                {"name": "b", "role": "read-replica", "app_instances": 2},
            ],
        },
    )
    response = _create(owner_client, workspace, base=two_regions.pk, pattern="single-region")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was saved. The result has" in page and "app.capacity_rps_per_instance" in page
    assert not Scenario.objects.filter(name="Derived").exists()
