"""Every named URL of planner, decisions and workshop is served by a view function of the same name."""

from __future__ import annotations

import inspect

from django.urls import URLPattern, URLResolver, get_resolver

APPS = ("planner", "decisions", "workshop")


def _named_patterns(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _named_patterns(pattern.url_patterns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield pattern.name, inspect.unwrap(pattern.callback)


def test_it_names_each_view_after_its_url():
    views = [
        (name, view)
        for name, view in _named_patterns(get_resolver().url_patterns)
        if view.__module__.split(".")[0] in APPS
    ]
    assert {view.__module__.split(".")[0] for _, view in views} == set(APPS)
    assert [(name, view.__name__) for name, view in views if view.__name__ != name] == []
