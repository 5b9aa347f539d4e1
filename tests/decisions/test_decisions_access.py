"""Who may do what with a decision: outsiders see nothing (404), viewers read and download, editors change."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from decisions.models import DecisionRecord


def _urls(draft) -> dict[str, str]:
    ws, d = draft.workspace_id, draft.pk
    return {
        "list": reverse("decision_list", args=[ws]),
        "new": reverse("decision_create", args=[ws]),
        "detail": reverse("decision_detail", args=[ws, d]),
        "edit": reverse("decision_edit", args=[ws, d]),
        "preview": reverse("decision_preview", args=[ws, d]),
    }


@pytest.mark.parametrize("name", ["list", "new", "detail", "edit", "preview"])
def test_it_hides_every_decision_page_from_outsiders(outsider_client, draft, name):
    assert outsider_client.get(_urls(draft)[name]).status_code == 404


def test_it_hides_exports_and_sign_off_from_outsiders(outsider_client, draft):
    ws, d = draft.workspace_id, draft.pk
    assert outsider_client.post(reverse("decision_export", args=[ws, d, "json"])).status_code == 404
    assert outsider_client.post(reverse("decision_sign", args=[ws, d])).status_code == 404
    assert not draft.sign_offs.exists()


def test_it_redirects_anonymous_visitors_to_log_in(client, draft):
    response = client.get(_urls(draft)["detail"])
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_lets_a_viewer_read_and_download(member_client, draft):
    urls = _urls(draft)
    assert member_client.get(urls["list"]).status_code == 200
    page = member_client.get(urls["detail"])
    assert page.status_code == 200
    assert b"Sign off" not in page.content and urls["edit"].encode() not in page.content
    assert member_client.get(urls["preview"]).status_code == 200
    response = member_client.post(reverse("decision_export", args=[draft.workspace_id, draft.pk, "json"]))
    assert response.status_code == 200
    assert json.loads(response.content)["decision"]["title"] == "Checkout <resilience> for 'Q3'"


@pytest.mark.parametrize("name", ["new", "edit"])
def test_it_forbids_a_viewer_to_record_or_edit(member_client, draft, name):
    assert member_client.get(_urls(draft)[name]).status_code == 403
    assert member_client.post(_urls(draft)[name], {"title": "Changed"}).status_code == 403
    draft.refresh_from_db()
    assert draft.title == "Checkout <resilience> for 'Q3'"


def test_it_forbids_a_viewer_to_sign_off(member_client, draft):
    response = member_client.post(reverse("decision_sign", args=[draft.workspace_id, draft.pk]))
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == DecisionRecord.Status.DRAFT and not draft.sign_offs.exists()


def test_it_does_not_show_a_decision_under_another_workspace(owner_client, owner, draft):
    from planner.services.workspaces import workspace_create

    other = workspace_create(name="Other", user=owner)
    url = reverse("decision_detail", args=[other.pk, draft.pk])
    assert owner_client.get(url).status_code == 404
