"""The API fuzzed from its own OpenAPI document (schemathesis): no server error, every 4xx a JSON error body.

Path ids point at real objects of a workspace the token may write, so the bodies reach the handlers
and the engine's validation instead of stopping at a 404.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from api_helpers import new_key
from hypothesis import HealthCheck, settings

from config.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
pytestmark = [pytest.mark.slow]


@pytest.fixture
def real_ids(owner, workspace, scenario, done_run, settings):
    """A write token and real ids; the WSGI app keeps the test's database connection (as Django's test client)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    settings.API_RATE = "100000/m"
    key = new_key(owner, [workspace], "write")
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield key, {"workspace_id": workspace.pk, "scenario_id": scenario.pk, "run_id": done_run.pk}
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_json_errors(case, real_ids, django_capture_on_commit_callbacks):
    key, ids = real_ids
    for name in case.path_parameters or {}:
        if name in ids:
            case.path_parameters[name] = ids[name]
    with django_capture_on_commit_callbacks(execute=False):  # queued runs are not handed to a broker
        response = case.call(headers={"Authorization": f"Bearer {key}"})
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
    if 400 <= response.status_code < 500:
        body = json.loads(response.text)
        assert isinstance(body, dict) and body.get("detail"), response.text[:300]
