"""The access matrix over every API endpoint: tokens of each scope, viewers, outsiders, no token.

The list of endpoints is read from the API's own OpenAPI document, so a new endpoint without a row
here fails the test.
"""

from __future__ import annotations

import pytest

from decisions.services import decision_create
from drills.services import drills_import
from simulation.model.drills import drills_template

READ, WRITE = "read", "write"
# (method, path template, kind); ids are filled from the fixtures
ENDPOINTS = [
    ("GET", "/api/workspaces", READ),
    ("GET", "/api/workspaces/{workspace_id}", READ),
    ("GET", "/api/workspaces/{workspace_id}/targets", READ),
    ("PUT", "/api/workspaces/{workspace_id}/targets", WRITE),
    ("GET", "/api/workspaces/{workspace_id}/compare", READ),
    ("GET", "/api/workspaces/{workspace_id}/scenarios", READ),
    ("POST", "/api/workspaces/{workspace_id}/scenarios", WRITE),
    ("GET", "/api/workspaces/{workspace_id}/scenarios/{scenario_id}", READ),
    ("GET", "/api/workspaces/{workspace_id}/scenarios/{scenario_id}/yaml", READ),
    ("PUT", "/api/workspaces/{workspace_id}/scenarios/{scenario_id}", WRITE),
    ("DELETE", "/api/workspaces/{workspace_id}/scenarios/{scenario_id}", WRITE),
    ("POST", "/api/workspaces/{workspace_id}/scenarios/terraform", WRITE),
    ("GET", "/api/workspaces/{workspace_id}/runs", READ),
    ("POST", "/api/workspaces/{workspace_id}/runs", WRITE),
    ("GET", "/api/workspaces/{workspace_id}/runs/{run_id}", READ),
    ("GET", "/api/workspaces/{workspace_id}/runs/{run_id}/results", READ),
    ("GET", "/api/workspaces/{workspace_id}/runs/{run_id}/check", READ),
    ("POST", "/api/workspaces/{workspace_id}/runs/{run_id}/cancel", WRITE),
    ("GET", "/api/workspaces/{workspace_id}/decisions", READ),
    ("GET", "/api/workspaces/{workspace_id}/decisions/{decision_id}", READ),
    ("GET", "/api/workspaces/{workspace_id}/decisions/{decision_id}/exports/{export_id}", READ),
    ("GET", "/api/workspaces/{workspace_id}/scenarios/{scenario_id}/drills", READ),
    ("POST", "/api/workspaces/{workspace_id}/scenarios/{scenario_id}/drills", WRITE),
    ("GET", "/api/workspaces/{workspace_id}/scenarios/{scenario_id}/drills/comparison", READ),
    ("DELETE", "/api/workspaces/{workspace_id}/scenarios/{scenario_id}/drills/{drill_id}", WRITE),
]


def test_the_matrix_covers_every_endpoint(client):
    paths = client.get("/api/schema/").json()["paths"]
    documented = {(method.upper(), path) for path, operations in paths.items() for method in operations}
    assert documented == {(method, path) for method, path, _ in ENDPOINTS}


@pytest.fixture
def ids(workspace, scenario, done_run, second_run, owner, settings, tmp_path):
    from django.core.files.base import ContentFile

    from decisions.models import ReportExport

    settings.MEDIA_ROOT = tmp_path
    decision = decision_create(
        workspace=workspace, user=owner, title="Pick one", runs=[done_run, second_run], chosen_run=done_run
    )
    drill = drills_import(scenario=scenario, text=drills_template(), fmt="csv", user=owner)[0]
    export = ReportExport.objects.create(
        decision=decision,
        format="json",
        content_sha256="0" * 64,
        status=ReportExport.Status.DONE,
        file=ContentFile(b"{}", name="decision.json"),
        filename="decision.json",
        content_type="application/json",
    )
    return {
        "workspace_id": workspace.pk,
        "scenario_id": scenario.pk,
        "run_id": done_run.pk,
        "decision_id": decision.pk,
        "export_id": export.pk,
        "drill_id": drill.pk,
        "runs": [done_run.pk, second_run.pk],
    }


def _body(method: str, path: str):
    if path.endswith("/drills") and method == "POST":
        return {"format": "csv", "text": drills_template()}
    if path.endswith("/targets") and method == "PUT":
        return {"rto_s": 600, "rpo_s": 60, "availability": 0.999, "confidence": 0.95}
    if path.endswith("/terraform"):
        return {"state": {"values": {"root_module": {"resources": []}}}}
    if path.endswith("/runs") and method == "POST":
        return {"document": {"pattern": "single-region"}, "trials": 20, "seed": 1}
    if method in ("POST", "PUT"):
        return {"document": {"pattern": "single-region"}, "name": "From the API"}
    return None


def _request(client, method: str, template: str, ids: dict):
    path = template.format(**ids)
    if template.endswith("/compare"):
        path += "?" + "&".join(f"runs={r}" for r in ids["runs"])
    return client.call(method, path, _body(method, template))


def _allowed(status: int) -> bool:
    return status < 400 or status == 422  # 422: the request got past access control (e.g. an unfinished export)


@pytest.mark.parametrize("method, template, kind", ENDPOINTS)
def test_tokens_of_each_scope(
    method,
    template,
    kind,
    ids,
    editor_write,
    editor_read,
    viewer_write,
    other_scope,
    outsider_token,
    anonymous,
    django_capture_on_commit_callbacks,
):
    listing = template == "/api/workspaces"
    with django_capture_on_commit_callbacks(execute=False):  # runs queued here are not handed to a broker
        assert _request(anonymous, method, template, ids).status_code == 401
        for outsider in (other_scope, outsider_token):
            response = _request(outsider, method, template, ids)
            if listing:  # the list is of the token's own workspaces: this one is not in it
                assert ids["workspace_id"] not in [w["id"] for w in response.json()["items"]]
            else:
                assert response.status_code == 404, (response.status_code, response.content[:200])
        expected_for_readers = 200 if kind == READ else 403
        for reader in (editor_read, viewer_write):
            response = _request(reader, method, template, ids)
            if kind == READ:
                assert _allowed(response.status_code), (response.status_code, response.content[:300])
            else:
                assert response.status_code == expected_for_readers, (response.status_code, response.content[:300])
        response = _request(editor_write, method, template, ids)
        assert _allowed(response.status_code), (response.status_code, response.content[:300])
        assert response["Content-Type"].split(";")[0] in ("application/json", "application/yaml")


def test_a_revoked_token_and_a_removed_member_are_refused(owner, member, workspace, api_as):
    from api.services import token_create, token_revoke
    from planner.models import Membership

    token, key = token_create(user=owner, name="ci", permission="read", workspaces=[workspace])
    path = f"/api/workspaces/{workspace.pk}"
    assert api_as(key).get(path).status_code == 200
    token_revoke(token=token)
    assert api_as(key).get(path).status_code == 401

    _, member_key = token_create(user=member, name="ci", permission="read", workspaces=[workspace])
    assert api_as(member_key).get(path).status_code == 200
    Membership.objects.filter(user=member, workspace=workspace).delete()
    assert api_as(member_key).get(path).status_code == 404  # the token gives no more than the membership


def test_tokens_only_cover_workspaces_the_user_belongs_to(outsider, workspace):
    from django.core.exceptions import ValidationError

    from api.services import token_create

    with pytest.raises(ValidationError):
        token_create(user=outsider, name="x", permission="read", workspaces=[workspace])


def test_rate_limit_answers_429(settings, editor_read, workspace):
    settings.API_RATE = "3/m"
    from django.core.cache import cache

    cache.clear()
    codes = [editor_read.get(f"/api/workspaces/{workspace.pk}").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
