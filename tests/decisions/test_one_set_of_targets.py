"""One set of targets: the workspace's judge every screen and export; change them and all follow, no re-run."""

from __future__ import annotations

import csv
import io
import json

from django.urls import reverse

from decisions.report_inputs import decision_exporter
from decisions.services import decision_sign
from planner.selectors.compare import options_for, run_judged
from planner.services.workspaces import workspace_adopt_targets, workspace_update
from simulation.analysis.run import run_with_outcomes
from simulation.model.loading import load_scenario
from simulation.present.format import verdict_text

from factories import make_scenario


def _json_verdicts(decision) -> list[list[tuple]]:
    _, _, body = decision_exporter(decision, "json").render()
    return [
        [(v["target"], v["incident_type"], v["threshold"], v["probability"]) for v in o["results"]["verdicts"]]
        for o in json.loads(body)["options"]
    ]


def _csv_probabilities(decision) -> list[dict]:
    _, _, body = decision_exporter(decision, "csv").render()
    return list(csv.DictReader(io.StringIO(body.decode())))


def test_every_export_judges_every_option_by_the_workspace_targets(draft, runs, workspace):
    for option in _json_verdicts(draft):
        assert {threshold for target, _, threshold, _ in option if target == "rto"} == {600.0}
    compare = options_for(runs=runs[:2], targets=workspace.targets)
    exported = _json_verdicts(draft)
    for option, verdicts in zip(compare, exported, strict=True):
        assert [(v.target, v.incident_type, v.threshold, v.probability) for v in option.results.verdicts] == verdicts


def test_changing_the_workspace_targets_rejudges_exactly_without_a_rerun(draft, runs, workspace, owner):
    before = _json_verdicts(draft)
    workspace_update(workspace=workspace, name=workspace.name, targets={**workspace.targets, "rto_s": 1800.0})
    draft.refresh_from_db()
    after = _json_verdicts(draft)
    assert after != before
    assert {t for o in after for target, _, t, _ in o if target == "rto"} == {1800.0}
    # exactly what a run with those targets judges (same seed, same trials)
    run = runs[0]
    document = {**run.snapshot, "targets": {**run.snapshot["targets"], **workspace.targets}}
    fresh, _ = run_with_outcomes(load_scenario(document), trials=run.trials, seed=run.seed, years=10_000)
    assert [(v.target, v.incident_type, v.threshold, v.probability) for v in fresh.verdicts] == after[0]
    rows = _csv_probabilities(draft)
    assert float(rows[0]["verdict.rto.db_primary_failure.probability [ratio]"]) == next(
        p for target, kind, _, p in after[0] if (target, kind) == ("rto", "db_primary_failure")
    )


def test_a_signed_decision_keeps_the_targets_it_was_signed_against(draft, workspace, owner):
    decision_sign(decision=draft, user=owner)
    signed = _json_verdicts(draft)
    workspace_update(workspace=workspace, name=workspace.name, targets={**workspace.targets, "rto_s": 30.0})
    draft.refresh_from_db()
    assert _json_verdicts(draft) == signed


def test_the_results_page_shows_the_same_probability_as_the_exports(owner_client, draft, runs, workspace):
    run = runs[1]
    results = run_judged(run=run, targets=workspace.targets)
    page = owner_client.get(reverse("run_results", args=[workspace.pk, run.pk])).content.decode()
    for verdict in results.verdicts:
        assert verdict_text(verdict) in page or verdict.target == "budget"


def test_the_workspace_page_flags_proposed_targets_and_an_editor_adopts_them(
    owner_client, member_client, workspace, owner
):
    proposing = make_scenario(workspace, owner, name="Strict", document={"targets": {"rto_s": 45.0}})
    url = reverse("workspace_detail", args=[workspace.pk])
    page = owner_client.get(url).content.decode()
    assert "proposes" in page and "Strict" in page and "Adopt these targets" in page
    assert "Adopt these targets" not in member_client.get(url).content.decode()
    adopt = reverse("workspace_adopt_targets", args=[workspace.pk, proposing.pk])
    assert member_client.post(adopt).status_code == 403
    assert owner_client.post(adopt).status_code == 302
    workspace.refresh_from_db()
    assert workspace.targets["rto_s"] == 45.0
    assert "Adopt these targets" not in owner_client.get(url).content.decode()


def test_adopting_refuses_a_scenario_of_another_workspace(workspace, owner):
    import pytest
    from django.core.exceptions import ValidationError

    from factories import make_workspace

    other = make_scenario(make_workspace(owner, name="Other"), owner, name="X", document={"targets": {"rto_s": 9.0}})
    with pytest.raises(ValidationError):
        workspace_adopt_targets(workspace=workspace, scenario=other)


def test_every_premium_shares_the_workspace_baseline_on_every_screen(owner_client, draft, runs, workspace):
    from planner.selectors.compare import workspace_baseline

    baseline = workspace_baseline(workspace=workspace)
    assert baseline is not None and baseline.reference == "Single region"
    options = options_for(runs=runs, targets=workspace.targets)
    assert {o.results.costs.baseline_usd_per_month for o in options} == {baseline.usd_per_month}
    for option in options:
        costs = option.results.costs
        assert option.premium_usd_per_month == costs.infrastructure_usd_per_month - baseline.usd_per_month
    exported = json.loads(decision_exporter(draft, "json").render()[2])["options"]
    assert {o["results"]["costs"]["baseline_usd_per_month"] for o in exported} == {baseline.usd_per_month}
    ids = "&".join(f"runs={run.pk}" for run in runs)
    page = owner_client.get(reverse("compare_runs", args=[workspace.pk]) + "?" + ids).content.decode()
    assert 'id="compare-baseline"' in page and "backups only" in page
    assert 'id="compare-differences"' in page and "pattern" in page  # the scenarios, only what differs
    # the same premiums, so the same order, on the compare page and in the report
    compared = {
        o.run.scenario_name: o.premium_usd_per_month for o in options_for(runs=runs[:2], targets=workspace.targets)
    }
    assert compared == {o["label"]: o["results"]["costs"]["premium_usd_per_month"] for o in exported}


def test_the_decision_exports_follow_the_chosen_reference_option(owner_client, draft, runs, workspace):
    from planner.selectors.baseline import workspace_baseline

    before = json.loads(decision_exporter(draft, "json").render()[2])["options"]
    reference = runs[2].scenario  # the active-active option, not the first scenario
    response = owner_client.post(reverse("workspace_reference", args=[workspace.pk]), {"reference": reference.pk})
    assert response.status_code == 302
    workspace.refresh_from_db()
    draft.refresh_from_db()
    baseline = workspace_baseline(workspace=workspace)
    assert baseline.reference == reference.name and baseline.chosen
    after = json.loads(decision_exporter(draft, "json").render()[2])["options"]
    assert {o["results"]["costs"]["baseline_usd_per_month"] for o in after} == {baseline.usd_per_month}
    for old, new in zip(before, after, strict=True):
        infrastructure = new["results"]["costs"]["infrastructure_usd_per_month"]
        assert new["results"]["costs"]["premium_usd_per_month"] == infrastructure - baseline.usd_per_month
        assert old["results"]["costs"]["premium_usd_per_month"] != new["results"]["costs"]["premium_usd_per_month"]
