"""Who may use the API on what: the token's scope first, then the same rules as the pages.

A workspace outside the token's scope is 404, as for an outsider; a write needs a read-write token
and an editor's membership (403 otherwise).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja.security import HttpBearer

from api.models import ApiToken
from api.services import token_for_key
from planner.models import Run, Scenario, Workspace
from planner.selectors.access import object_for_user, workspace_for_user


class TokenAuth(HttpBearer):
    """``Authorization: Bearer rp_…``; the request then acts as the token's user."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = token_for_key(token)
        if found is not None:
            request.user = found.user
            request.api_token = found  # type: ignore[attr-defined]
        return found


def _token(request: HttpRequest) -> ApiToken:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def workspace_for_token(request: HttpRequest, workspace_id: int, *, edit: bool = False) -> Workspace:
    token = _token(request)
    if not token.workspaces.filter(pk=workspace_id).exists():
        raise Http404("No such workspace")
    if edit and not token.can_write:
        raise PermissionDenied("This token is read-only")
    return workspace_for_user(token.user, workspace_id, edit=edit)


def object_for_token(model, request: HttpRequest, workspace_id: int, object_id: int, *, edit: bool = False):
    workspace_for_token(request, workspace_id, edit=edit)
    return object_for_user(model, _token(request).user, workspace_id, object_id, edit=edit)


def scenario_for_token(request: HttpRequest, workspace_id: int, scenario_id: int, *, edit: bool = False) -> Scenario:
    return object_for_token(Scenario, request, workspace_id, scenario_id, edit=edit)  # type: ignore[no-any-return]


def run_for_token(request: HttpRequest, workspace_id: int, run_id: int, *, edit: bool = False) -> Run:
    return object_for_token(Run, request, workspace_id, run_id, edit=edit)  # type: ignore[no-any-return]


def workspaces_of_token(request: HttpRequest):
    token = _token(request)
    return token.workspaces.filter(memberships__user=token.user).order_by("name", "id")
