"""The planner's tests use the root conftest's users, workspace, scenario and finished run."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hashing with PBKDF2 costs ~0.3 s a user; users made outside ``make_user`` (load_demo) need it too."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
