"""A signed decision keeps the baseline its premiums were measured against, as it keeps its targets: choosing
another reference option afterwards moves the draft's premiums, not the signed version's. The report says
which baseline it used, and an approver sees the options judged as the decision judges them."""

from __future__ import annotations

import json

from django.test import Client
from django.urls import reverse

from decisions import approvals
from decisions.models import DecisionRecord
from decisions.report_inputs import decision_baseline, decision_exporter, report_decision, report_options
from decisions.services import decision_sign


def _premiums(decision) -> list[float]:
    return [o.results.costs.premium_usd_per_month for o in report_options(decision)]


def _choose_reference(client, workspace, scenario_id) -> None:
    response = client.post(reverse("workspace_reference", args=[workspace.pk]), {"reference": scenario_id})
    assert response.status_code == 302


def test_a_signed_decision_keeps_its_baseline_when_the_reference_changes(owner_client, draft, runs, owner, workspace):
    signed_before = _premiums(draft)
    decision_sign(decision=draft, user=owner)
    draft.refresh_from_db()
    assert draft.baseline["reference"] == runs[0].scenario.name

    _choose_reference(owner_client, workspace, runs[2].scenario_id)  # the active-active option
    workspace.refresh_from_db()
    signed = DecisionRecord.objects.get(pk=draft.pk)
    assert _premiums(signed) == signed_before
    assert decision_baseline(signed).reference == runs[0].scenario.name

    # an unsigned decision over the same runs follows the new reference
    draft_again = DecisionRecord.objects.create(workspace=workspace, title="again", targets=dict(workspace.targets))
    draft_again.runs.set(runs[:2])
    assert decision_baseline(draft_again).reference == runs[2].scenario.name
    assert _premiums(draft_again) != signed_before


def test_the_report_names_the_baseline(draft):
    baseline = report_decision(draft)["baseline"]
    assert baseline["text"].endswith("USD/month")
    assert "single region with backups only" in baseline["assumptions"]
    html = decision_exporter(draft, "html").render_bytes().decode()
    assert "Every premium is measured against one baseline" in html and baseline["text"] in html


def test_signing_by_link_freezes_targets_and_baseline_and_shows_the_decisions_verdicts(draft, owner, workspace):
    invite = approvals.approval_invite(decision=draft, user=owner, name="Dana", role="CFO", days=3)
    shown = approvals.signed_options(draft)
    judged = report_options(draft)
    assert [o["targets_met"] for o in shown] == [bool(o.results.targets_met) for o in judged]

    response = Client().post(reverse("approve", args=[invite.token]), {"comment": "ok"})
    assert response.status_code in (200, 302)
    signed = DecisionRecord.objects.get(pk=draft.pk)
    assert signed.is_frozen
    assert signed.targets == workspace.targets and signed.baseline is not None
    assert json.dumps(signed.baseline)  # plain JSON
