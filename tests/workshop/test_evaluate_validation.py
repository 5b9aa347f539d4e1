"""Whatever a browser posts to the evaluate endpoint, it gets 200, 400 or 422 naming the field — never 500."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workshop.controls import ALLOWED_PATHS

PATHS = sorted(ALLOWED_PATHS) + ["app.pool", "nope", "regions[9].warmth", "a..b", "", "failover.mode.x"]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["automated", "manual", "sync", "async", "hot", "cold", "deep", "canary", "pitr"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
overrides = st.dictionaries(st.sampled_from(PATHS), values, max_size=4)
bodies = st.one_of(
    st.fixed_dictionaries({"scenario_id": st.just("SCENARIO"), "overrides": overrides}),
    st.fixed_dictionaries({"scenario_id": st.one_of(st.just("SCENARIO"), values), "overrides": values}),
    values,
)


def _encode(body, scenario_id: int) -> str:
    text = json.dumps(body, allow_nan=True)
    return text.replace('"SCENARIO"', str(scenario_id))


@pytest.mark.slow
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(body=bodies)
def test_it_never_answers_500_to_any_body(viewer_client, workspace, scenario, body):
    response = viewer_client.post(
        reverse("workshop_evaluate", args=[workspace.pk]), _encode(body, scenario.pk), content_type="application/json"
    )
    assert response.status_code in (200, 400, 404, 422), response.content[:300]
    if response.status_code in (400, 422):
        errors = response.json()["errors"]
        assert errors and all("message" in e and "field" in e for e in errors)
    if response.status_code == 422:
        sent = body["overrides"] if isinstance(body, dict) and isinstance(body.get("overrides"), dict) else {}
        assert all(
            e["field"].split(".")[0] in {p.split(".")[0].split("[")[0] for p in sent} | {"overrides", ""}
            or any(e["field"].startswith(p) for p in sent)
            for e in errors
        )


@pytest.mark.parametrize("depth", [40, 100_000])
@pytest.mark.parametrize("name", ["workshop_evaluate", "workshop_frontier", "workshop_pin"])
def test_it_answers_400_to_deeply_nested_json(editor_client, workspace, scenario, name, depth):
    from payloads import deeply_nested_json

    response = editor_client.post(
        reverse(name, args=[workspace.pk]), deeply_nested_json(depth), content_type="application/json"
    )
    assert response.status_code == 400
    assert "32 levels" in response.json()["errors"][0]["message"]


def test_it_answers_400_to_deeply_nested_json_through_a_share_link(client, share_link):
    from payloads import deeply_nested_json

    response = client.post(
        reverse("shared_evaluate", args=[share_link.token]), deeply_nested_json(), content_type="application/json"
    )
    assert response.status_code == 400
