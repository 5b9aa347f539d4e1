"""Three users — an owner (editor), a member (viewer) and an outsider — and a workspace to test with."""
from __future__ import annotations

import pytest

from planner.models import Membership, Run
from planner.services.runs import run_execute
from planner.services.scenarios import scenario_create
from planner.services.workspaces import workspace_create


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hashing with PBKDF2 costs ~0.3 s a user; tests do not need it to be slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def workspace(owner, member):
    ws = workspace_create(name="Payments", user=owner)
    Membership.objects.create(workspace=ws, user=member, role=Membership.Role.VIEWER)
    return ws


@pytest.fixture
def scenario(workspace, owner):
    return scenario_create(workspace=workspace, name="Active-passive", document={"pattern": "active-passive"},
                           user=owner)


@pytest.fixture
def done_run(workspace, scenario, owner):
    """A run the real engine finished (few trials, so it is quick)."""
    run = Run.objects.create(workspace=workspace, scenario=scenario, scenario_name=scenario.name,
                             snapshot=scenario.document, seed=7, trials=40, engine_version="test", created_by=owner)
    run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == Run.Status.DONE, run.error
    return run


