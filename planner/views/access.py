"""The outer guard of every workspace URL of every app: non-members get 404 before anything else (even 405)."""

from functools import wraps

from django.http import Http404
from django.urls import URLPattern, path

from planner.selectors.access import membership_for_user


def members_only(view):
    """404 unless the user belongs to the workspace in the URL; the view then checks edit rights."""

    @wraps(view)
    def wrapper(request, *args, workspace_id: int, **kwargs):
        if membership_for_user(request.user, workspace_id) is None:
            raise Http404("No such workspace")
        return view(request, *args, workspace_id=workspace_id, **kwargs)

    wrapper.members_only = True  # the URL tests check that every workspace URL has this gate
    return wrapper


def member_paths(prefix: str, routes: list[tuple[str, object, str]]) -> list[URLPattern]:
    """URL patterns ``prefix + route`` (the prefix names the workspace), every view behind ``members_only``."""
    return [path(prefix + route, members_only(view), name=name) for route, view, name in routes]
