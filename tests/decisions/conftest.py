"""The root conftest's users, a workspace with an RTO target of 10 min, and three finished runs to decide between."""

from __future__ import annotations

import pytest

from decisions.services import decision_create

from factories import make_finished_run, make_workspace

OPTIONS = (
    ("Single region", {"pattern": "single-region", "failover": {"mode": "manual"}}),
    ("Active-passive", {"pattern": "active-passive"}),
    ("Active-active «read»", {"pattern": "active-active-read"}),
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Report files go to a fresh folder per test."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def workspace(owner, member):
    return make_workspace(owner, members=[member], targets={"rto_s": 600.0})


def finished_run(workspace, owner, name: str, document: dict, seed: int = 11):
    """A run the real engine finished (few trials, so it is quick) of a new scenario ``name``."""
    return make_finished_run(workspace, document, owner, name=name, seed=seed)


@pytest.fixture
def make_run(db):
    """``make_run(workspace, user, name, document)``: another finished run."""
    return finished_run


@pytest.fixture
def runs(workspace, owner) -> list:
    return [finished_run(workspace, owner, name, document) for name, document in OPTIONS]


@pytest.fixture
def draft(workspace, owner, runs):
    """A draft decision between the first two runs, the second chosen."""
    return decision_create(
        workspace=workspace,
        user=owner,
        runs=runs[:2],
        chosen_run=runs[1],
        title="Checkout <resilience> for 'Q3'",
        context="Two outages of 2 h this year.",
        rationale="Meets the RTO for a third of the active-active premium.",
        follow_ups="Set max_lifetime\nDeep health checks",
    )
