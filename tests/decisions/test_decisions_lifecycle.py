"""Recording, editing, signing off and versioning decisions."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from decisions.models import DecisionRecord
from decisions.services import decision_create, decision_sign, decision_update
from planner.selectors.compare import run_judged
from simulation.present.format import verdict_text


def _form(runs, chosen=None, **extra) -> dict:
    data = {
        "title": "Pick a pattern",
        "context": "",
        "runs": [r.pk for r in runs],
        "chosen_run": chosen.pk if chosen else "",
        "rationale": "",
        "consequences": "",
        "follow_ups": "",
    }
    return {**data, **extra}


def test_it_preselects_the_runs_pinned_in_the_workshop(owner_client, workspace, runs):
    url = reverse("decision_create", args=[workspace.pk]) + f"?runs={runs[0].pk}&runs={runs[2].pk}"
    page = owner_client.get(url)
    assert page.status_code == 200
    assert sorted(r.pk for r in page.context["form"].initial["runs"]) == [runs[0].pk, runs[2].pk]
    html = page.content.decode()
    for run, checked in ((runs[0], True), (runs[1], False), (runs[2], True)):
        assert bool(re.search(rf'value="{run.pk}" id="id_runs_\d" checked', html)) is checked


def test_it_records_a_decision_with_the_workspaces_targets(owner_client, workspace, runs, owner):
    response = owner_client.post(
        reverse("decision_create", args=[workspace.pk]), _form(runs, runs[1], rationale="Cheapest that meets the RTO")
    )
    decision = DecisionRecord.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "decision_detail", args=[workspace.pk, decision.pk]
    )
    assert decision.targets == workspace.targets and decision.targets["rto_s"] == 600.0
    assert sorted(r.pk for r in decision.runs.all()) == [r.pk for r in runs]
    assert decision.chosen_run == runs[1] and decision.created_by == owner
    assert decision.status == DecisionRecord.Status.DRAFT and decision.version == 1


def test_it_refuses_a_chosen_option_that_was_not_compared(owner_client, workspace, runs):
    response = owner_client.post(reverse("decision_create", args=[workspace.pk]), _form(runs[:2], runs[2]))
    assert response.status_code == 200 and "chosen_run" in response.context["form"].errors
    assert not DecisionRecord.objects.exists()


def test_it_refuses_more_than_five_options(workspace, owner, runs, make_run):
    more = runs + [make_run(workspace, owner, f"Extra {i}", {"pattern": "active-passive"}) for i in range(3)]
    with pytest.raises(ValidationError, match="1 to 5"):
        decision_create(workspace=workspace, user=owner, runs=more, title="Too many")


def test_it_refuses_runs_of_another_workspace_or_without_results(workspace, owner, runs, make_run):
    from planner.models import Run
    from planner.services.workspaces import workspace_create

    other = workspace_create(name="Other", user=owner)
    foreign = make_run(other, owner, "Foreign", {"pattern": "single-region"})
    with pytest.raises(ValidationError, match="workspace"):
        decision_create(workspace=workspace, user=owner, runs=[runs[0], foreign], title="Mixed")
    queued = Run.objects.create(
        workspace=workspace, scenario_name="Queued", snapshot={}, seed=1, trials=10, engine_version="test"
    )
    with pytest.raises(ValidationError, match="no results"):
        decision_create(workspace=workspace, user=owner, runs=[queued], title="Not run")


def test_it_edits_a_draft_in_place(owner_client, draft, runs):
    url = reverse("decision_edit", args=[draft.workspace_id, draft.pk])
    response = owner_client.post(url, _form(runs, runs[0], title="Renamed"))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.title == "Renamed" and draft.chosen_run == runs[0] and draft.runs.count() == 3
    assert DecisionRecord.objects.count() == 1


def test_it_freezes_a_signed_decision_and_edits_it_as_a_new_version(owner_client, owner, draft, runs):
    sign = owner_client.post(reverse("decision_sign", args=[draft.workspace_id, draft.pk]))
    assert sign.status_code == 302
    draft.refresh_from_db()
    assert draft.status == DecisionRecord.Status.SIGNED and draft.sign_offs.get().user == owner
    response = owner_client.post(
        reverse("decision_edit", args=[draft.workspace_id, draft.pk]),
        _form(runs, runs[2], title="Changed after sign-off"),
    )
    newer = DecisionRecord.objects.exclude(pk=draft.pk).get()
    assert response["Location"] == reverse("decision_detail", args=[draft.workspace_id, newer.pk])
    draft.refresh_from_db()
    assert draft.title == "Checkout <resilience> for 'Q3'" and draft.chosen_run == runs[1]
    assert sorted(r.pk for r in draft.runs.all()) == [runs[0].pk, runs[1].pk]
    assert newer.version == 2 and newer.previous_version == draft and newer.status == DecisionRecord.Status.DRAFT
    assert newer.title == "Changed after sign-off" and newer.chosen_run == runs[2]
    assert newer.targets == draft.targets and not newer.sign_offs.exists()


def test_it_sends_edits_of_an_old_version_to_the_newer_one(draft, owner, runs):
    decision_sign(decision=draft, user=owner)
    decision_update(decision=draft, user=owner, runs=runs[:2], chosen_run=runs[0], title="v2")
    with pytest.raises(ValidationError, match="Version 2"):
        decision_update(decision=draft, user=owner, runs=runs[:2], chosen_run=runs[0], title="another v2")


def test_it_lets_each_editor_sign_once_and_needs_a_chosen_option(draft, owner, workspace, runs):
    decision_sign(decision=draft, user=owner)
    with pytest.raises(ValidationError, match="already"):
        decision_sign(decision=draft, user=owner)
    undecided = decision_create(workspace=workspace, user=owner, runs=runs, title="Undecided")
    with pytest.raises(ValidationError, match="Choose an option"):
        decision_sign(decision=undecided, user=owner)


def test_it_shows_the_decision_with_an_embedded_report_preview(owner_client, draft):
    page = owner_client.get(reverse("decision_detail", args=[draft.workspace_id, draft.pk]))
    preview_url = reverse("decision_preview", args=[draft.workspace_id, draft.pk])
    assert page.status_code == 200 and f'src="{preview_url}"'.encode() in page.content
    assert b"Checkout &lt;resilience&gt; for &#x27;Q3&#x27;" in page.content
    preview = owner_client.get(preview_url)
    assert preview["Content-Type"].startswith("text/html") and preview["X-Frame-Options"] == "SAMEORIGIN"
    html = preview.content.decode()
    assert "Checkout &lt;resilience&gt; for &#39;Q3&#39;" in html and "Two outages of 2 h this year." in html
    for run in draft.runs.all():  # every option judged by the workspace's targets
        judged = run_judged(run=run, targets=draft.workspace.targets)
        assert verdict_text(judged.verdicts[0]) in html


def test_it_lists_decisions_of_the_workspace(owner_client, draft):
    page = owner_client.get(reverse("decision_list", args=[draft.workspace_id]))
    assert page.status_code == 200 and b"Checkout &lt;resilience&gt;" in page.content


def test_it_runs_the_preview_s_inline_scripts_only_in_a_sandbox_that_reaches_nothing(owner_client, draft):
    page = owner_client.get(reverse("decision_detail", args=[draft.workspace_id, draft.pk]))
    assert "script-src 'self';" in page["Content-Security-Policy"]
    preview = owner_client.get(reverse("decision_preview", args=[draft.workspace_id, draft.pk]))
    policy = preview["Content-Security-Policy"]
    assert "sandbox allow-scripts" in policy and "default-src 'none'" in policy and "connect-src" not in policy
