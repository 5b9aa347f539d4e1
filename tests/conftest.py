"""Root test configuration. Simulation tests stay Django-free: they never ask for the database.

For the web apps' tests: three users — alice (the workspace's owner, an editor),
bob (a member with the viewer role) and charlie (an outsider) — and clients
logged in as each. Each folder's conftest builds its workspace from them.
"""
from __future__ import annotations

import pytest

from accounts import PASSWORD, logged_in_client


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
