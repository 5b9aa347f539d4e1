"""/api/… (the REST API, its OpenAPI schema and docs) and the token pages under /account/tokens/."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from api import views
from api.api import api


def _public(patterns):
    """The API authenticates by token itself: the site's login redirect does not apply to it."""
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            _public(pattern.url_patterns)
        else:
            pattern.callback = login_not_required(pattern.callback)
    return patterns


_patterns, _app, _namespace = api.urls
urlpatterns = [
    path("api/", (_public(_patterns), _app, _namespace)),
    path("account/tokens/", views.token_list, name="token_list"),
    path("account/tokens/<int:token_id>/revoke", views.token_revoke_view, name="token_revoke"),
]
