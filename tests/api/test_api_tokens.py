"""The token pages: a new key is shown once, stored only as a digest, and can be revoked."""

from __future__ import annotations

import hashlib

from api.models import ApiToken


def test_create_show_once_and_revoke(owner_client, owner, workspace, api_as):
    page = owner_client.post(
        "/account/tokens/", {"name": "CI gate", "permission": "read", "workspaces": [workspace.pk]}, follow=True
    )
    assert page.status_code == 200
    key = page.context["new_key"]
    token = ApiToken.objects.get(user=owner)
    assert token.key_sha256 == hashlib.sha256(key.encode()).hexdigest() and key not in token.key_sha256
    assert key in page.content.decode()
    again = owner_client.get("/account/tokens/").content.decode()
    assert key not in again and token.prefix in again  # shown once, then only its first characters
    assert api_as(key).get(f"/api/workspaces/{workspace.pk}").status_code == 200
    owner_client.post(f"/account/tokens/{token.pk}/revoke")
    assert api_as(key).get(f"/api/workspaces/{workspace.pk}").status_code == 401


def test_others_cannot_revoke_or_scope_to_foreign_workspaces(outsider_client, owner, workspace):
    from api.services import token_create

    token, _ = token_create(user=owner, name="mine", permission="read", workspaces=[workspace])
    assert outsider_client.post(f"/account/tokens/{token.pk}/revoke").status_code == 404
    page = outsider_client.post("/account/tokens/", {"name": "x", "permission": "write", "workspaces": [workspace.pk]})
    assert page.status_code == 200 and not ApiToken.objects.filter(name="x").exists()


def test_the_docs_and_schema_are_served(client):
    assert client.get("/api/schema/").json()["openapi"].startswith("3.")
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()
