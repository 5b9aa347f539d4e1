"""An owner (editor), a member (viewer), an outsider, and three finished runs to decide between."""
from __future__ import annotations

import pytest

from decisions.services import decision_create
from planner.models import Membership, Run
from planner.services.runs import run_execute
from planner.services.scenarios import scenario_create
from planner.services.workspaces import workspace_create

OPTIONS = (("Single region", {"pattern": "single-region", "failover": {"mode": "manual"}}),
           ("Active-passive", {"pattern": "active-passive"}),
           ("Active-active «read»", {"pattern": "active-active-read"}))


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Report files go to a fresh folder per test."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def workspace(owner, member):
    ws = workspace_create(name="Payments", user=owner, targets={"rto_s": 600.0})
    Membership.objects.create(workspace=ws, user=member, role=Membership.Role.VIEWER)
    return ws


def finished_run(workspace, owner, name: str, document: dict, seed: int = 11) -> Run:
    """A run the real engine finished (few trials, so it is quick)."""
    scenario = scenario_create(workspace=workspace, name=name, document={"name": name, **document}, user=owner)
    run = Run.objects.create(workspace=workspace, scenario=scenario, scenario_name=scenario.name,
                             snapshot=scenario.document, seed=seed, trials=40, engine_version="test",
                             created_by=owner)
    run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == Run.Status.DONE, run.error
    return run


@pytest.fixture
def make_run(db):
    """``make_run(workspace, user, name, document)``: another finished run."""
    return finished_run


@pytest.fixture
def runs(workspace, owner) -> list[Run]:
    return [finished_run(workspace, owner, name, document) for name, document in OPTIONS]


@pytest.fixture
def draft(workspace, owner, runs):
    """A draft decision between the first two runs, the second chosen."""
    return decision_create(workspace=workspace, user=owner, runs=runs[:2], chosen_run=runs[1],
                           title="Checkout <resilience> for 'Q3'", context="Two outages of 2 h this year.",
                           rationale="Meets the RTO for a third of the active-active premium.",
                           follow_ups="Set max_lifetime\nDeep health checks")


