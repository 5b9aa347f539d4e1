"""Request id, one structured log line per request, and the Content-Security-Policy header."""
from __future__ import annotations

import logging
import re
import time
import uuid

from django.conf import settings

from .logs import request_id_var, user_id_var

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
    """Log method, path, status and duration of each request (after authentication ran)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        user = getattr(request, "user", None)
        token = user_id_var.set(user.pk if user is not None and user.is_authenticated else None)
        try:
            response = self.get_response(request)
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            log.info("%s %s %s", request.method, request.path, response.status_code,
                     extra={"operation": "http_request", "method": request.method, "path": request.path,
                            "status": response.status_code, "duration_ms": duration_ms})
            return response
        finally:
            user_id_var.reset(token)


class ContentSecurityPolicyMiddleware:
    """Send ``settings.CONTENT_SECURITY_POLICY`` (no inline scripts) unless the view set its own policy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response
