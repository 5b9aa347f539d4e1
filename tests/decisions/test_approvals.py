"""Sign-off by link: a named approver's personal link shows exactly what is signed, works once, expires,
refuses tampering (403) and a version changed since the invitation; the signed version is frozen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from decisions import approvals
from decisions.models import ApprovalInvite, DecisionRecord
from decisions.services import decision_update


@pytest.fixture
def invite(draft, owner):
    return approvals.approval_invite(decision=draft, user=owner, name="Dana Finance", role="CFO", days=3)


@pytest.fixture
def approver():
    return Client(enforce_csrf_checks=False)


def _url(invite) -> str:
    return reverse("approve", args=[invite.token])


def test_an_editor_invites_a_named_approver(owner_client, draft):
    url = reverse("decision_approvers", args=[draft.workspace_id, draft.pk])
    response = owner_client.post(url, {"name": "Sam", "role": "CTO", "email": "", "days": "2"})
    assert response.status_code == 302
    invite = ApprovalInvite.objects.get()
    assert (invite.name, invite.role, invite.email) == ("Sam", "CTO", "")
    assert invite.content_sha256 == approvals.version_sha256(draft)
    page = owner_client.get(reverse("decision_detail", args=[draft.workspace_id, draft.pk])).content.decode()
    assert _url(invite) in page


def test_viewers_cannot_invite(member_client, draft):
    url = reverse("decision_approvers", args=[draft.workspace_id, draft.pk])
    assert member_client.post(url, {"name": "Sam", "days": "2"}).status_code == 403
    assert not ApprovalInvite.objects.exists()


def test_the_page_shows_what_is_signed(approver, invite, draft):
    response = approver.get(_url(invite))
    html = response.content.decode()
    assert response.status_code == 200
    assert f"version {draft.version}" in html and invite.content_sha256 in html
    assert "Active-passive" in html and "chosen" in html and "USD / month" in html
    assert "Dana Finance" in html and "CFO" in html


def test_signing_records_the_approver_and_freezes_the_version(approver, invite, draft, owner, runs):
    response = approver.post(_url(invite), {"comment": "Agreed, revisit in Q4"})
    assert response.status_code == 200 and "Signed" in response.content.decode()
    invite.refresh_from_db()
    draft.refresh_from_db()
    assert invite.signed_at is not None and invite.comment == "Agreed, revisit in Q4"
    assert draft.status == DecisionRecord.Status.SIGNED and draft.is_frozen
    newer = decision_update(decision=draft, user=owner, runs=runs[:2], chosen_run=runs[0], rationale="changed")
    draft.refresh_from_db()
    assert newer.pk != draft.pk and newer.version == draft.version + 1
    assert draft.rationale != "changed" and draft.chosen_run == runs[1]


def test_a_link_works_once(approver, invite):
    assert approver.post(_url(invite), {"comment": ""}).status_code == 200
    again = approver.post(_url(invite), {"comment": "twice"})
    assert again.status_code == 410 and "was used" in again.content.decode()
    assert approver.get(_url(invite)).status_code == 410
    invite.refresh_from_db()
    assert invite.comment == ""


def test_an_expired_link_cannot_sign(approver, invite, draft):
    ApprovalInvite.objects.filter(pk=invite.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert approver.get(_url(invite)).status_code == 410
    assert approver.post(_url(invite), {"comment": ""}).status_code == 410
    draft.refresh_from_db()
    assert not draft.is_frozen


@pytest.mark.parametrize("tamper", [lambda t: t[:-3] + "abc", lambda t: t.replace(":", ";", 1), lambda t: "x" + t])
def test_a_tampered_link_is_refused(approver, invite, draft, tamper):
    forged = tamper(invite.token)
    assert approver.get(reverse("approve", args=[forged])).status_code == 403
    assert approver.post(reverse("approve", args=[forged]), {"comment": ""}).status_code == 403
    draft.refresh_from_db()
    assert not draft.is_frozen


def test_a_token_signed_for_another_purpose_is_refused(approver, invite):
    from django.core import signing

    share_token = signing.dumps({"invite": invite.pk}, salt="workshop.share-link")
    assert approver.get(reverse("approve", args=[share_token])).status_code == 403


def test_a_version_edited_after_the_invitation_cannot_be_signed(approver, invite, draft, owner, runs):
    decision_update(decision=draft, user=owner, runs=runs[:2], chosen_run=runs[1], rationale="edited in place")
    response = approver.post(_url(invite), {"comment": ""})
    assert response.status_code == 409
    draft.refresh_from_db()
    assert not draft.is_frozen


def test_invitations_need_a_name_a_chosen_option_and_a_bounded_lifetime(draft, owner):
    with pytest.raises(ValidationError):
        approvals.approval_invite(decision=draft, user=owner, name=" ", days=3)
    with pytest.raises(ValidationError):
        approvals.approval_invite(decision=draft, user=owner, name="Sam", days=31)
    draft.chosen_run = None
    draft.save()
    with pytest.raises(ValidationError):
        approvals.approval_invite(decision=draft, user=owner, name="Sam", days=3)


def test_a_signed_approval_appears_in_the_report(approver, invite, draft):
    from decisions.report_inputs import report_decision

    approver.post(_url(invite), {"comment": ""})
    draft.refresh_from_db()
    assert report_decision(draft)["sign_offs"][0]["name"] == "Dana Finance (CFO)"
