"""Root test configuration. Simulation tests stay Django-free: they never ask for the database.

For the web apps' tests: three users — alice (the workspace's owner, an editor),
bob (a member with the viewer role) and charlie (an outsider) — clients logged
in as each, and their workspace "Payments" with an active-passive scenario and a
run of it the engine finished. A folder's conftest overrides what it needs
otherwise, with the factories of ``factories.py``.
"""

from __future__ import annotations

import sys

import pytest

from accounts import PASSWORD, logged_in_client
from factories import make_finished_run, make_scenario, make_workspace


@pytest.fixture
def make_user(db, settings):
    """Create a user with the test password (hashed cheaply: PBKDF2 costs ~0.3 s a user)."""
    from django.contrib.auth import get_user_model

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return lambda username: get_user_model().objects.create_user(username=username, password=PASSWORD)


@pytest.fixture
def owner(make_user):
    return make_user("alice")


@pytest.fixture
def member(make_user):
    return make_user("bob")


@pytest.fixture
def outsider(make_user):
    return make_user("charlie")


@pytest.fixture
def owner_client(owner):
    return logged_in_client(owner)


@pytest.fixture
def member_client(member):
    return logged_in_client(member)


@pytest.fixture
def outsider_client(outsider):
    return logged_in_client(outsider)


@pytest.fixture
def workspace(owner, member):
    """The workspace "Payments": the owner an editor, the member a viewer, the outsider nothing."""
    return make_workspace(owner, members=[member])


@pytest.fixture
def scenario(workspace, owner):
    return make_scenario(workspace, owner, name="Active-passive")


@pytest.fixture
def done_run(workspace, scenario, owner):
    """A run of ``scenario`` the real engine finished (few trials, so it is quick)."""
    return make_finished_run(workspace, scenario, owner, seed=7)


@pytest.fixture(autouse=True)
def readiness_threads_let_go():
    """/readyz keeps connections in its check threads: close them after each test (a test database can then
    be dropped) and forget the last report."""
    yield
    if "planner.health" in sys.modules:
        sys.modules["planner.health"].close_connections()
