"""Hostile imports: alias bombs, oversized pastes and requests are refused with a clear message, quickly."""

from __future__ import annotations

from django.urls import reverse

from planner.models import Scenario

from payloads import alias_bomb, measured


def test_it_refuses_a_yaml_alias_bomb_with_400_quickly_and_in_little_memory(owner_client, workspace):
    url = reverse("scenario_import", args=[workspace.pk])
    with measured() as cost:
        response = owner_client.post(url, {"text": alias_bomb()})
    assert response.status_code == 400
    assert "10,000" in response.content.decode()
    assert cost.seconds < 1 and cost.peak_bytes < 50_000_000
    assert not Scenario.objects.filter(workspace=workspace).exists()


def test_it_answers_a_paste_over_1_mb_with_the_size_message(owner_client, workspace):
    response = owner_client.post(reverse("scenario_import", args=[workspace.pk]), {"text": "x" * 1_100_000})
    assert response.status_code == 400
    assert "larger than 1 MB" in response.content.decode()


def test_it_answers_a_request_over_the_upload_limit_with_the_size_message_not_a_bare_400(owner_client, workspace):
    response = owner_client.post(reverse("scenario_import", args=[workspace.pk]), {"text": "x" * 3_000_000})
    assert response.status_code == 400
    assert "larger than the 2.5 MB the server accepts" in response.content.decode()
