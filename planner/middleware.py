"""Request id, one structured log line per request, and the Content-Security-Policy header."""

from __future__ import annotations

import logging
import re
import time
import uuid

from django.conf import settings
from django.db import DatabaseError

from planner.logs import redacted, request_id_var, user_id_var

log = logging.getLogger("planner.requests")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Take a sane ``X-Request-ID`` from the client or make one; echo it in the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request.request_id = given if _VALID_ID.match(given) else uuid.uuid4().hex
        token = request_id_var.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request.request_id
        return response


class RequestLogMiddleware:
    """Log method, path (share tokens redacted), status and duration of each request — whatever happens.

    Runs after authentication; when the user cannot be looked up (the database is down) the line is
    written without a user id, and a request that fails with an exception is logged as 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        token = user_id_var.set(_user_id(request))
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            path = redacted(request.path)
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            log.info(
                "%s %s %s",
                request.method,
                path,
                status,
                extra={
                    "operation": "http_request",
                    "method": request.method,
                    "path": path,
                    "status": status,
                    "duration_ms": duration_ms,
                },
            )
            user_id_var.reset(token)


def _user_id(request) -> int | None:
    """The logged-in user's id; None when logged out or when the session or user cannot be read."""
    user = getattr(request, "user", None)
    try:
        return user.pk if user is not None and user.is_authenticated else None
    except DatabaseError:
        return None


class ContentSecurityPolicyMiddleware:
    """Send ``settings.CONTENT_SECURITY_POLICY`` (no inline scripts) unless the view set its own policy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response
