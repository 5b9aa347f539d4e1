"""Every workspace URL of every app goes through one gate: an outsider gets 404 for GET and POST alike."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from decisions.services import decision_create
from drills.services import drill_add
from planner.models import Membership
from simulation.model.drills import drills_template, parse_drills
from workshop.services import sharelink_create
from workshop.sessions import session_create


def _patterns(resolver: URLResolver):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace == "api":
            continue  # the REST API authenticates by token: its own matrix is tests/api/test_api_access.py
        if isinstance(entry, URLResolver):
            yield from _patterns(entry)
        else:
            yield entry


def workspace_patterns() -> list[URLPattern]:
    """Every URL pattern of every app whose path carries a workspace id (read from the URLconf)."""
    return [p for p in _patterns(get_resolver()) if "workspace_id" in p.pattern.regex.groupindex]


@pytest.fixture
def ids(owner, workspace, scenario, done_run):
    """Real ids of everything a workspace URL can name, so that only the gate can answer 404."""
    decision = decision_create(workspace=workspace, user=owner, runs=[done_run], title="Which option")
    link = sharelink_create(workspace=workspace, scenario=scenario, user=owner, days=1)
    drill = drill_add(scenario=scenario, record=parse_drills(drills_template())[0], user=owner)
    session = session_create(workspace=workspace, user=owner, name="Room", options=[scenario.pk])
    return {
        "workspace_id": workspace.pk,
        "scenario_id": scenario.pk,
        "run_id": done_run.pk,
        "decision_id": decision.pk,
        "export_id": 1,
        "job_id": 1,
        "link_id": link.pk,
        "drill_id": drill.pk,
        "session_id": session.pk,
        "section": "failover",
        "number": 1,
        "fmt": "html",
        "membership_id": Membership.objects.filter(workspace=workspace).first().pk,
    }


def test_it_finds_the_workspace_urls_of_every_app():
    modules = {p.callback.__module__.split(".")[0] for p in workspace_patterns()}
    assert modules == {"planner", "workshop", "decisions", "drills"}


def test_it_puts_every_workspace_url_behind_the_members_only_gate():
    ungated = [p.name for p in workspace_patterns() if not getattr(p.callback, "members_only", False)]
    assert ungated == []


def test_it_gives_the_outsider_404_on_every_workspace_url_of_every_app(outsider_client, ids):
    for pattern in workspace_patterns():
        url = reverse(pattern.name, kwargs={name: ids[name] for name in pattern.pattern.regex.groupindex})
        assert outsider_client.get(url).status_code == 404, f"GET {pattern.name}"
        assert outsider_client.post(url).status_code == 404, f"POST {pattern.name}"
        assert outsider_client.post(url, "{}", content_type="application/json").status_code == 404, pattern.name
