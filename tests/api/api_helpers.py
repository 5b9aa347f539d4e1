"""Helpers of the API tests: a client that sends a bearer token, and new tokens."""

from __future__ import annotations

from django.test import Client


class ApiClient:
    """A Django test client that sends a bearer token and JSON, and enforces CSRF as a browser would."""

    def __init__(self, key: str | None) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}

    def call(self, method: str, path: str, body=None, **extra):
        kwargs = {"content_type": "application/json", **self.headers, **extra}
        if body is not None:
            kwargs["data"] = body
        return getattr(self.client, method.lower())(path, **kwargs)

    def get(self, path, **extra):
        return self.call("GET", path, **extra)

    def post(self, path, body=None):
        return self.call("POST", path, body)

    def put(self, path, body=None):
        return self.call("PUT", path, body)

    def delete(self, path):
        return self.call("DELETE", path)


def new_key(user, workspaces, permission: str) -> str:
    from api.services import token_create

    return token_create(user=user, name=f"{permission} token", permission=permission, workspaces=workspaces)[1]
