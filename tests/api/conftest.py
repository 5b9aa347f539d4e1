"""API tests: tokens of each scope over the root conftest's workspace, and clients that send them."""

from __future__ import annotations

import pytest
from api_helpers import ApiClient, new_key

from factories import make_finished_run, make_workspace


@pytest.fixture(autouse=True)
def generous_rate(settings):
    settings.API_RATE = "10000/m"


@pytest.fixture
def api_as():
    return ApiClient


@pytest.fixture
def editor_write(owner, workspace):
    return ApiClient(new_key(owner, [workspace], "write"))


@pytest.fixture
def editor_read(owner, workspace):
    return ApiClient(new_key(owner, [workspace], "read"))


@pytest.fixture
def viewer_write(member, workspace):
    """A viewer's read-write token: the token cannot give more than the membership."""
    return ApiClient(new_key(member, [workspace], "write"))


@pytest.fixture
def other_scope(owner, workspace):
    """The owner's token for another workspace of theirs: ``workspace`` is out of its scope."""
    return ApiClient(new_key(owner, [make_workspace(owner, name="Other")], "write"))


@pytest.fixture
def outsider_token(outsider):
    return ApiClient(new_key(outsider, [make_workspace(outsider, name="Charlie's")], "write"))


@pytest.fixture
def anonymous():
    return ApiClient(None)


@pytest.fixture
def second_run(workspace, owner):
    return make_finished_run(workspace, {"pattern": "single-region"}, owner, name="Single region", seed=8)
