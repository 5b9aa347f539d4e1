"""Workshop sessions: kept on the server, checked field by field, listed in the workspace, shared by one link
that shows the whole session read-only and lets followers read its state."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from workshop import sessions
from workshop.models import ShareLink, WorkshopSession


@pytest.fixture
def session(two_option_session):
    return two_option_session


def _state_url(session) -> str:
    return reverse("room_state", args=[session.workspace_id, session.pk])


def test_it_starts_a_session_from_the_workshop_page(editor_client, workspace, scenario, second):
    response = editor_client.post(
        reverse("session_new", args=[workspace.pk]), {"name": "Steering", "options": [scenario.pk, second.pk]}
    )
    created = WorkshopSession.objects.get()
    assert response.status_code == 302 and response.url == reverse("room", args=[workspace.pk, created.pk])
    assert created.options == [scenario.pk, second.pk] and created.name == "Steering"
    page = editor_client.get(reverse("workshop", args=[workspace.pk])).content.decode()
    assert "Steering" in page and reverse("room", args=[workspace.pk, created.pk]) in page


def test_it_saves_every_part_of_the_state_and_bumps_the_revision(editor_client, session, scenario):
    state = {
        "controls": {"health_check": "deep", "detection_interval": 5},
        "pins": [{"label": "Deep checks", "controls": {"health_check": "deep"}}],
        "notes": "CFO asks about cost",
        "draft_decision": {"chosen": scenario.pk, "rationale": "cheapest that meets", "agreed_by": "CTO"},
    }
    response = editor_client.post(_state_url(session), json.dumps(state), content_type="application/json")
    assert response.status_code == 200, response.content
    session.refresh_from_db()
    assert session.revision == 2 and session.controls == state["controls"] and session.pins == state["pins"]
    assert session.notes == state["notes"] and session.draft_decision["chosen"] == scenario.pk
    assert editor_client.get(_state_url(session)).json()["controls"] == state["controls"]


def test_it_saves_what_the_page_sends_while_unloading(editor_client, session):
    response = editor_client.post(_state_url(session), {"state": json.dumps({"notes": "left the page"})})
    assert response.status_code == 200
    session.refresh_from_db()
    assert session.notes == "left the page"


@pytest.mark.parametrize(
    ("state", "field"),
    [
        ({"controls": {"incident_rate": 0}}, "controls.incident_rate"),
        ({"controls": {"health_check": {"nested": 1}}}, "controls.health_check"),
        ({"options": []}, "options"),
        ({"options": [1, 1]}, "options"),
        ({"options": [987654]}, "options"),
        ({"pins": [{"label": "x", "controls": {"nope": 1}}]}, "pins[0].controls.nope"),
        ({"pins": [{}] * 13}, "pins"),
        ({"notes": "x" * 10_001}, "notes"),
        ({"draft_decision": {"chosen": 987654}}, "draft_decision.chosen"),
    ],
)
def test_it_refuses_a_state_it_cannot_hold_naming_the_field(editor_client, session, state, field):
    response = editor_client.post(_state_url(session), json.dumps(state), content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    session.refresh_from_db()
    assert session.revision == 1


def test_switching_options_keeps_controls_and_drops_a_chosen_option_no_longer_shown(session, scenario, second):
    sessions.session_save(session=session, data={"controls": {"health_check": "deep"}})
    sessions.session_save(session=session, data={"draft_decision": {"chosen": second.pk}})
    sessions.session_save(session=session, data={"options": [scenario.pk]})
    assert session.controls == {"health_check": "deep"} and session.draft_decision["chosen"] is None


def test_viewers_read_but_do_not_save_and_outsiders_see_nothing(viewer_client, outsider_client, session):
    assert viewer_client.get(reverse("room", args=[session.workspace_id, session.pk])).status_code == 200
    refused = viewer_client.post(_state_url(session), json.dumps({"notes": "x"}), content_type="application/json")
    assert refused.status_code == 403
    assert outsider_client.get(_state_url(session)).status_code == 404


def test_one_link_shows_the_whole_session_read_only_and_its_state(editor_client, anonymous_client, session, second):
    editor_client.post(reverse("room_share", args=[session.workspace_id, session.pk]), {"days": "1", "label": "room"})
    link = ShareLink.objects.get()
    assert link.session == session
    page = anonymous_client.get(reverse("shared_workshop", args=[link.token]))
    html = page.content.decode()
    assert page.status_code == 200 and "Follow the facilitator" in html and "Single region" in html
    assert "room-share-form" not in html
    state = anonymous_client.get(reverse("shared_state", args=[link.token]))
    assert state.status_code == 200 and state.json()["revision"] == session.revision
    csrf = anonymous_client.cookies["csrftoken"].value
    evaluate = anonymous_client.post(
        reverse("shared_evaluate", args=[link.token]),
        json.dumps({"scenario_id": second.pk, "overrides": {"app.health_check": "deep"}}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert evaluate.status_code == 200 and "key" in evaluate.json()
    room_state = reverse("room_state", args=[session.workspace_id, session.pk])
    assert anonymous_client.post(room_state, "{}", content_type="application/json").status_code in (302, 403)
    tampered = anonymous_client.get(reverse("shared_state", args=[link.token[:-2] + "xx"]))
    assert tampered.status_code == 403


def test_the_editor_sees_a_qr_code_of_the_session_link(editor_client, session):
    sessions.session_link_create(session=session, user=None, days=1)
    html = editor_client.get(reverse("room", args=[session.workspace_id, session.pk])).content.decode()
    assert "<svg" in html and "QR code of the link" in html


def test_a_revoked_or_expired_session_link_shows_nothing_and_nothing_writes(anonymous_client, session):
    from django.utils import timezone

    from workshop.services import sharelink_revoke

    link = sessions.session_link_create(session=session, user=None, days=1)
    state_url = reverse("shared_state", args=[link.token])
    assert anonymous_client.post(state_url, "{}", content_type="application/json").status_code in (403, 405)
    for action in ("pin", "save", "share"):
        assert anonymous_client.post(reverse("shared_write", args=[link.token, action])).status_code == 403
    sharelink_revoke(link=link)
    assert anonymous_client.get(state_url).status_code == 410
    assert anonymous_client.get(reverse("shared_workshop", args=[link.token])).status_code == 410
    other = sessions.session_link_create(session=session, user=None, days=1)
    ShareLink.objects.filter(pk=other.pk).update(expires_at=timezone.now())
    assert anonymous_client.get(reverse("shared_state", args=[other.token])).status_code == 410
