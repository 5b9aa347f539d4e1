"""Liveness and readiness probes (no login required)."""

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from planner.health import broker_transport_preload, readiness

broker_transport_preload()


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """The process is alive and serving requests."""
    return JsonResponse({"status": "ok"})


@login_not_required
@never_cache
@require_GET
def readyz(request):
    """Database and broker each answer within the budget, else 503 naming what failed."""
    report = readiness()
    status = "ready" if report["ready"] else "not ready: " + ", ".join(report["failed"])
    return JsonResponse({"status": status, **report}, status=200 if report["ready"] else 503)
