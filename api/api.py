"""The REST API: token auth, JSON errors, rate limits, and the OpenAPI document at /api/schema/."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.parser import Parser
from ninja.throttling import AuthRateThrottle

import simulation
from api.access import TokenAuth
from api.endpoints import decisions, drills, runs, scenarios, workspaces

MAX_JSON_DEPTH = 32
MAX_PROBLEMS = 50


class BoundedJsonParser(Parser):
    """JSON bodies at most ``MAX_JSON_DEPTH`` levels deep (deeper ones are a 400, not a crash)."""

    def parse_body(self, request: HttpRequest):
        depth = 0
        in_string = escaped = False
        for char in request.body.decode("utf-8", errors="replace"):
            if in_string:
                escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
            elif char == '"':
                in_string = True
            elif char in "[{":
                depth += 1
                if depth > MAX_JSON_DEPTH:
                    raise json.JSONDecodeError(f"nested deeper than {MAX_JSON_DEPTH} levels", "", 0)
            elif char in "]}":
                depth -= 1
        return super().parse_body(request)


class TokenRateThrottle(AuthRateThrottle):
    """Requests per token and minute, from ``settings.API_RATE`` as it is when the request comes."""

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = settings.API_RATE
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)


api = NinjaAPI(
    title="Resilience Planner API",
    version="1",
    description="Workspaces, targets, scenarios, runs, comparisons and decisions. "
    "Authenticate with a personal token: `Authorization: Bearer rp_…` (create one under API tokens, top right of "
    "every page).",
    auth=TokenAuth(),
    urls_namespace="api",
    openapi_url="/schema/",
    docs_url="/docs/",
    parser=BoundedJsonParser(),
    throttle=[TokenRateThrottle(settings.API_RATE)],
)
for module in (workspaces, scenarios, runs, decisions, drills):
    api.add_router("", module.router)


@api.exception_handler(simulation.ScenarioError)
def scenario_problems(request: HttpRequest, error: simulation.ScenarioError):
    problems = [{"path": p.path[:200], "message": str(p.message)[:300]} for p in error.problems[:MAX_PROBLEMS]]
    if len(error.problems) > MAX_PROBLEMS:
        problems.append({"path": "", "message": f"{len(error.problems) - MAX_PROBLEMS} more problems"})
    detail = "; ".join(f"{p['path'] or 'document'}: {p['message']}" for p in problems[:3])
    return api.create_response(request, {"detail": detail[:300], "problems": problems}, status=422)


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, error: PermissionDenied):
    return api.create_response(request, {"detail": str(error) or "Forbidden"}, status=403)


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, error: AuthenticationError):
    response = api.create_response(
        request, {"detail": "Give a valid API token: Authorization: Bearer rp_…"}, status=401
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(ValueError)
def bad_value(request: HttpRequest, error: ValueError):
    return api.create_response(request, {"detail": str(error)[:300]}, status=400)
