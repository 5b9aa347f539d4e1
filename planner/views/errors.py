"""Error pages that say what went wrong, in HTML for pages and JSON for the JSON endpoints."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.shortcuts import render


def _message(exception: Exception | None) -> str:
    if isinstance(exception, RequestDataTooBig):
        limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1_000_000
        return (
            f"The request is larger than the {limit_mb:g} MB the server accepts; "
            "a scenario document may be at most 1 MB."
        )
    return "The request could not be understood."


def bad_request(request, exception=None):
    """400: a clear sentence, never a bare page."""
    message = _message(exception)
    if request.content_type == "application/json" or "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"errors": [{"field": "", "message": message}]}, status=400)
    return render(request, "400.html", {"message": message}, status=400)
