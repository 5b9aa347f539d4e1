"""/api/… (the REST API, its OpenAPI schema and docs) and the token pages under /account/tokens/."""

from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from api import views
from api.api import api


def _json_405(view):
    """A method the path does not take is answered in JSON like every other API error."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith("application/json"):
            allowed = response.get("Allow", "")
            response = JsonResponse({"detail": f"Method not allowed; use {allowed}"}, status=405)
            response["Allow"] = allowed
        return response

    return wrapped


def _public(patterns):
    """The API authenticates by token itself: the site's login redirect does not apply to it."""
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            _public(pattern.url_patterns)
        else:
            pattern.callback = login_not_required(_json_405(pattern.callback))
    return patterns


@csrf_exempt
@login_not_required
def not_found(request, rest: str = ""):
    """Any other path under /api/ is a JSON 404, as a client of the API expects."""
    return JsonResponse({"detail": "Not Found"}, status=404)


_patterns, _app, _namespace = api.urls
urlpatterns = [
    path("api/", (_public(_patterns), _app, _namespace)),
    re_path(r"^api/(?P<rest>.*)$", not_found),
    path("account/tokens/", views.token_list, name="token_list"),
    path("account/tokens/<int:token_id>/revoke", views.token_revoke_view, name="token_revoke"),
]
