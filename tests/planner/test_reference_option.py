"""One baseline for premiums: an editor chooses the workspace's reference option, the baseline (its
single-region, backups-only version) is recomputed from it, shown with its assumptions, and every
option's premium on every screen follows it, with no re-run."""

from __future__ import annotations

import json

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from planner.models import Run
from planner.selectors.baseline import workspace_baseline
from planner.selectors.compare import options_for, run_judged
from simulation import load_scenario
from simulation.analysis.costs import baseline_usd_per_month, infrastructure_breakdown
from tests.factories import make_finished_run, make_scenario, make_workspace

SMALL = {"pattern": "single-region", "regions": [{"name": "eu-west", "role": "primary", "app_instances": 2}]}
LARGE = {
    "pattern": "active-passive",
    "regions": [
        {"name": "eu-west", "role": "primary", "app_instances": 6},
        {"name": "eu-central", "role": "standby", "app_instances": 6, "warmth": "warm"},
    ],
}


@pytest.fixture
def options(workspace, owner):
    """Two options with different baselines of their own: a small single-region one (made first) and a
    larger active-passive one; one finished run each."""
    small = make_scenario(workspace, owner, name="Small single region", document=SMALL)
    large = make_scenario(workspace, owner, name="Large active-passive", document=LARGE)
    return small, large, make_finished_run(workspace, small, owner), make_finished_run(workspace, large, owner)


def _own_baseline(scenario) -> float:
    return baseline_usd_per_month(load_scenario(scenario.document))


def test_premiums_of_two_options_share_the_chosen_baseline_and_follow_a_new_reference(owner_client, workspace, options):
    small, large, small_run, large_run = options
    assert _own_baseline(small) != _own_baseline(large)

    def premiums() -> list[tuple[float, float]]:
        runs = [Run.objects.get(pk=run.pk) for run in (small_run, large_run)]  # as a request reads them
        return [
            (o.results.costs.baseline_usd_per_month, o.premium_usd_per_month)
            for o in options_for(runs=runs, targets=workspace.targets)
        ]

    # no reference chosen: the workspace's first scenario
    first = premiums()
    assert [b for b, _ in first] == [_own_baseline(small)] * 2
    assert workspace_baseline(workspace=workspace).chosen is False

    response = owner_client.post(reverse("workspace_reference", args=[workspace.pk]), {"reference": large.pk})
    assert response.status_code == 302 and response["Location"] == reverse("workspace_detail", args=[workspace.pk])
    assert "Large active-passive" in [str(m) for m in get_messages(response.wsgi_request)][0]
    workspace.refresh_from_db()
    assert workspace.reference_scenario == large

    second = premiums()
    assert [b for b, _ in second] == [_own_baseline(large)] * 2
    for run, (baseline, premium) in zip([small_run, large_run], second, strict=True):
        infrastructure = run.results["costs"]["infrastructure_usd_per_month"]
        assert premium == pytest.approx(infrastructure - baseline)
    # the premiums moved by the same amount (the change of the baseline), their order is kept
    shift = _own_baseline(small) - _own_baseline(large)
    assert [p2 - p1 for (_, p1), (_, p2) in zip(first, second, strict=True)] == pytest.approx([shift, shift])
    # the results page (and every other reader of run_judged) uses the same baseline
    judged = run_judged(run=Run.objects.get(pk=small_run.pk), targets=workspace.targets)
    assert judged.costs.baseline_usd_per_month == _own_baseline(large)


def test_every_screen_names_the_chosen_reference_and_shows_its_assumptions(owner_client, workspace, options):
    small, large, small_run, large_run = options
    owner_client.post(reverse("workspace_reference", args=[workspace.pk]), {"reference": large.pk})
    workspace.refresh_from_db()
    baseline = workspace_baseline(workspace=workspace)
    assert baseline.chosen and baseline.reference == "Large active-passive"

    page = owner_client.get(reverse("workspace_detail", args=[workspace.pk])).content.decode()
    assert 'id="baseline-assumptions"' in page and baseline.text in page
    assert "6 app instances in eu-west" in page and "one database node, no local standby" in page
    assert f'<option value="{large.pk}" selected>' in page

    compare = owner_client.get(
        reverse("compare_runs", args=[workspace.pk]) + f"?runs={small_run.pk}&runs={large_run.pk}"
    ).content.decode()
    assert "“Large active-passive” in a single region" in compare and baseline.text in compare

    results = owner_client.get(reverse("run_results", args=[workspace.pk, small_run.pk])).content.decode()
    assert 'id="results-baseline"' in results and "“Large active-passive”" in results


def test_only_editors_choose_the_reference_and_only_among_the_workspaces_scenarios(
    owner, owner_client, member_client, workspace, options
):
    small, large, *_ = options
    url = reverse("workspace_reference", args=[workspace.pk])
    assert member_client.post(url, {"reference": large.pk}).status_code == 403
    elsewhere = make_scenario(make_workspace(owner, name="Other"), owner, name="Elsewhere")
    refused = owner_client.post(url, {"reference": elsewhere.pk})
    assert refused.status_code == 400 and "Select a valid choice" in refused.content.decode()
    workspace.refresh_from_db()
    assert workspace.reference_scenario is None


def test_deleting_the_reference_falls_back_to_the_first_scenario(owner_client, workspace, options):
    small, large, *_ = options
    owner_client.post(reverse("workspace_reference", args=[workspace.pk]), {"reference": large.pk})
    owner_client.post(reverse("scenario_delete", args=[workspace.pk, large.pk]))
    workspace.refresh_from_db()
    baseline = workspace_baseline(workspace=workspace)
    assert baseline.reference == "Small single region" and baseline.chosen is False


def test_the_workshop_measures_its_premiums_against_the_same_baseline(owner_client, workspace, options, monkeypatch):
    from simulation.analysis.variants import RunSettings
    from workshop import services

    monkeypatch.setattr(services, "QUICK", RunSettings(trials=60, years=200, seed=7))
    small, large, *_ = options
    owner_client.post(reverse("workspace_reference", args=[workspace.pk]), {"reference": large.pk})
    response = owner_client.post(
        reverse("workshop_evaluate", args=[workspace.pk]),
        json.dumps({"scenario_id": small.pk, "overrides": {}}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    point = response.json()["point"]
    infrastructure = sum(infrastructure_breakdown(load_scenario(small.document)).values())
    assert point["premium_usd_per_month"] == pytest.approx(infrastructure - _own_baseline(large))


def test_a_reference_the_engine_refuses_leaves_no_baseline_and_the_page_works(owner_client, workspace, options):
    small, *_ = options
    type(small).objects.filter(pk=small.pk).update(document={"pattern": "no-such-pattern"})
    assert workspace_baseline(workspace=workspace) is None
    assert owner_client.get(reverse("workspace_detail", args=[workspace.pk])).status_code == 200
