"""The root conftest's users (owner: the editor, member: the viewer) and workspace; the opener scenario; share links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from simulation.analysis.variants import RunSettings
from workshop import services

from factories import make_scenario

# The brief's opening incident: hanging connections nobody validates, liveness-only health checks.
OPENER = {
    "pattern": "active-passive",
    "database": {"replicas": [{"region": "region-b", "mode": "async"}]},
    "app": {
        "pool": {"validate_on_borrow": False, "max_lifetime_s": None},
        "health_check": "liveness",
        "auto_restart": False,
        "timeouts": {"oltp_query_s": None},
    },
}


@pytest.fixture(autouse=True)
def small_runs(monkeypatch):
    """Quick runs with fewer replays: the endpoints' behaviour, not their precision, is under test."""
    monkeypatch.setattr(services, "QUICK", RunSettings(trials=60, years=200, seed=7))
    monkeypatch.setattr(services, "ADVICE", RunSettings(trials=40, years=100, seed=7))
    monkeypatch.setattr(services, "ADVICE_MAX_EVALUATIONS", 8)


@pytest.fixture(autouse=True)
def generous_workshop_limits(settings):
    """Tests post many bodies a minute; the limits themselves are under test in test_workshop_budget.py."""
    from django.core.cache import cache

    settings.WORKSHOP_RATE_PER_MINUTE = 100_000
    cache.clear()


@pytest.fixture
def editor(owner):
    return owner


@pytest.fixture
def viewer(member):
    return member


@pytest.fixture
def scenario(workspace, editor):
    return make_scenario(workspace, editor, name="Opener", document=OPENER)


@pytest.fixture
def editor_client(owner_client):
    return owner_client


@pytest.fixture
def viewer_client(member_client):
    return member_client


@pytest.fixture
def anonymous_client():
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def share_link(workspace, scenario, editor):
    return services.sharelink_create(workspace=workspace, scenario=scenario, user=editor, days=7, label="finance")


@pytest.fixture
def expired_link(share_link):
    share_link.expires_at = timezone.now() - timedelta(seconds=1)
    share_link.save(update_fields=["expires_at"])
    return share_link


@pytest.fixture
def second(workspace, editor):
    return make_scenario(workspace, editor, name="Single region", document={"pattern": "single-region"})


@pytest.fixture
def two_option_session(workspace, editor, scenario, second):
    """A session over the opener and a single-region scenario."""
    from workshop import sessions

    return sessions.session_create(workspace=workspace, user=editor, name="Review", options=[scenario.pk, second.pk])
