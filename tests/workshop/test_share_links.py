"""Read-only share links: signed, expiring, revocable; a logged-out browser can look and ask, never save."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from planner.models import Run
from workshop.models import ShareLink
from workshop.selectors import sharelink_for_token


def _csrf(client, token: str) -> str:
    """Open the shared page (which sets the CSRF cookie) and return the token a script would send."""
    client.get(reverse("shared_workshop", args=[token]))
    return client.cookies["csrftoken"].value


def _post_json(client, url: str, payload: dict, csrf: str):
    return client.post(url, json.dumps(payload), content_type="application/json", HTTP_X_CSRFTOKEN=csrf)


def _pin_base(client, workspace, scenario) -> int:
    """Pin the scenario's base as a finished run through the workshop; its run id."""
    response = client.post(
        reverse("workshop_pin", args=[workspace.pk]),
        json.dumps({"scenario_id": scenario.pk, "overrides": {}, "label": "Pinned base"}),
        content_type="application/json",
    )
    return json.loads(response.content)["run_id"]


def test_it_lets_an_editor_create_a_link(editor_client, workspace, scenario):
    response = editor_client.post(
        reverse("sharelink_new", args=[workspace.pk]), {"scenario_id": scenario.pk, "days": "3", "label": "finance"}
    )
    assert response.status_code == 302
    link = ShareLink.objects.get()
    assert link.scenario == scenario and link.label == "finance" and link.state == "active"
    assert 2.9 * 86_400 < (link.expires_at - timezone.now()).total_seconds() <= 3 * 86_400
    assert sharelink_for_token(token=link.token) == link


@pytest.mark.parametrize("days", ["0", "91", "many"])
def test_it_refuses_a_link_outside_1_to_90_days(editor_client, workspace, scenario, days):
    editor_client.post(reverse("sharelink_new", args=[workspace.pk]), {"scenario_id": scenario.pk, "days": days})
    assert not ShareLink.objects.exists()


def test_it_refuses_link_management_to_viewers_and_outsiders(
    viewer_client, outsider_client, workspace, scenario, share_link
):
    new = reverse("sharelink_new", args=[workspace.pk])
    revoke = reverse("sharelink_revoke", args=[workspace.pk, share_link.pk])
    assert viewer_client.post(new, {"scenario_id": scenario.pk, "days": "7"}).status_code == 403
    assert viewer_client.post(revoke).status_code == 403
    assert outsider_client.post(revoke).status_code == 404
    assert ShareLink.objects.count() == 1 and ShareLink.objects.get().state == "active"


def test_it_shows_the_workshop_to_a_logged_out_browser(anonymous_client, share_link, scenario):
    response = anonymous_client.get(reverse("shared_workshop", args=[share_link.token]))
    assert response.status_code == 200
    html = response.content.decode()
    assert scenario.name in html and "Read-only link" in html
    assert "Create share link" not in html and "Base scenario</label>" not in html


def test_it_evaluates_variants_for_a_logged_out_browser(anonymous_client, share_link):
    csrf = _csrf(anonymous_client, share_link.token)
    response = _post_json(
        anonymous_client,
        reverse("shared_evaluate", args=[share_link.token]),
        {"overrides": {"failover.mode": "manual"}},
        csrf,
    )
    assert response.status_code == 200 and "cards" in response.json()


@pytest.mark.parametrize("action", ["pin", "edit", "share", "delete", "run"])
def test_it_refuses_every_write_through_a_link(anonymous_client, share_link, action):
    csrf = _csrf(anonymous_client, share_link.token)
    url = reverse(
        "shared_pin" if action == "pin" else "shared_write",
        kwargs={"token": share_link.token, **({} if action == "pin" else {"action": action})},
    )
    response = _post_json(anonymous_client, url, {"overrides": {}, "label": "mine"}, csrf)
    assert response.status_code == 403
    assert not Run.objects.exists()


def test_it_does_not_open_the_workspace_to_a_link_holder(anonymous_client, share_link, workspace, scenario):
    csrf = _csrf(anonymous_client, share_link.token)
    pin = _post_json(
        anonymous_client,
        reverse("workshop_pin", args=[workspace.pk]),
        {"scenario_id": scenario.pk, "overrides": {}},
        csrf,
    )
    assert pin.status_code in (302, 403)
    assert anonymous_client.get(reverse("workshop", args=[workspace.pk])).status_code == 302
    assert anonymous_client.get(reverse("scenario_list", args=[workspace.pk])).status_code == 302
    assert not Run.objects.exists()


def test_it_answers_410_with_a_clear_page_when_the_link_expired(anonymous_client, expired_link):
    response = anonymous_client.get(reverse("shared_workshop", args=[expired_link.token]))
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    csrf = anonymous_client.cookies["csrftoken"].value if "csrftoken" in anonymous_client.cookies else ""
    evaluate = _post_json(anonymous_client, reverse("shared_evaluate", args=[expired_link.token]), {}, csrf)
    assert evaluate.status_code in (403, 410)


def test_it_answers_410_once_an_editor_revokes_the_link(editor_client, anonymous_client, workspace, share_link):
    assert anonymous_client.get(reverse("shared_workshop", args=[share_link.token])).status_code == 200
    editor_client.post(reverse("sharelink_revoke", args=[workspace.pk, share_link.pk]))
    response = anonymous_client.get(reverse("shared_workshop", args=[share_link.token]))
    assert response.status_code == 410 and "revoked" in response.content.decode()


def test_it_answers_403_to_a_forged_or_altered_token(anonymous_client, share_link):
    altered = share_link.token[:-2] + ("AA" if not share_link.token.endswith("AA") else "BB")
    for token in (altered, "not-a-token", "eyJsaW5rIjoxfQ:forged:sig"):
        response = anonymous_client.get(reverse("shared_workshop", args=[token]))
        assert response.status_code == 403
        assert "not valid" in response.content.decode()


def test_it_scopes_a_link_to_its_own_scenario(anonymous_client, share_link, workspace, editor):
    from planner.services.scenarios import scenario_create

    other = scenario_create(workspace=workspace, name="Other option", document={}, user=editor)
    csrf = _csrf(anonymous_client, share_link.token)
    response = _post_json(
        anonymous_client,
        reverse("shared_evaluate", args=[share_link.token]),
        {"scenario_id": other.pk, "overrides": {}},
        csrf,
    )
    assert response.status_code == 200
    html = anonymous_client.get(reverse("shared_workshop", args=[share_link.token])).content.decode()
    assert "Other option" not in html


def test_it_shows_saved_results_of_the_linked_scenario_only(
    editor_client, anonymous_client, workspace, scenario, share_link, editor
):
    from planner.services.scenarios import scenario_create

    pinned = _pin_base(editor_client, workspace, scenario)
    other = scenario_create(workspace=workspace, name="Other", document={}, user=editor)
    foreign = Run.objects.create(
        workspace=workspace,
        scenario=other,
        scenario_name="Other",
        snapshot=other.document,
        seed=1,
        trials=1,
        engine_version="x",
        status=Run.Status.DONE,
        results=Run.objects.get(pk=pinned).results,
    )
    page = anonymous_client.get(reverse("shared_workshop", args=[share_link.token])).content.decode()
    assert reverse("shared_results", args=[share_link.token, pinned]) in page
    response = anonymous_client.get(reverse("shared_results", args=[share_link.token, pinned]))
    assert response.status_code == 200 and "Pinned base" in response.content.decode()
    assert anonymous_client.get(reverse("shared_results", args=[share_link.token, foreign.pk])).status_code == 404


def test_it_closes_saved_results_when_the_link_expires(anonymous_client, expired_link):
    assert anonymous_client.get(reverse("shared_results", args=[expired_link.token, 1])).status_code == 410


def test_it_shows_no_workspace_navigation_through_a_share_link(
    editor_client, anonymous_client, workspace, scenario, share_link
):
    pinned = _pin_base(editor_client, workspace, scenario)
    member_page = editor_client.get(reverse("run_results", args=[workspace.pk, pinned])).content.decode()
    assert f'href="/w/{workspace.pk}/' in member_page
    for url in (
        reverse("shared_workshop", args=[share_link.token]),
        reverse("shared_results", args=[share_link.token, pinned]),
    ):
        page = anonymous_client.get(url).content.decode()
        assert "/w/" not in page, url
        assert 'aria-label="Main"' in page and "Payments" in page  # the site header, and whose targets these are
