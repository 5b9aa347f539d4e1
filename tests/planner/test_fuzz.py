"""Whatever is typed into a section form or pasted as YAML, the answer is a page, never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simulation
from planner.models import Scenario
from planner.schema_fields import SECTION_KEYS

from planner_helpers import section_post_data

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

texts = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            "-1",
            "0",
            "1e308",
            "nan",
            "inf",
            "-inf",
            "1e-320",
            "99999999999999999999",
            "lognormal",
            "lognormal median=0 p95=1",
            "uniform low=5 high=1",
            "empirical",
            "empirical -1",
            "fixed value=3",
            "true",
            "primary",
            "5, 25",
            "100, 50",
            "1,,2",
            "☃",
        ]
    ),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@FUZZ
@given(section=st.sampled_from(SECTION_KEYS), data=st.data())
def test_it_never_answers_500_to_a_section_form(owner_client, scenario, section, data):
    base = simulation.dump_document(simulation.load_scenario({"name": scenario.name, "pattern": "active-passive"}))
    Scenario.objects.filter(pk=scenario.pk).update(document=base)  # each example starts from the same document
    scenario.document = base
    fields = section_post_data(section, base)
    names = data.draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=4, unique=True))
    post = {**fields, **{name: data.draw(texts) for name in names}}
    response = owner_client.post(reverse("scenario_edit", args=[scenario.workspace_id, scenario.pk, section]), post)
    assert response.status_code in (302, 400)
    stored = Scenario.objects.get(pk=scenario.pk)
    if response.status_code == 400:
        assert stored.document == base  # nothing saved on error


yaml_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.floats(), st.text(max_size=12))
yaml_values = st.recursive(
    yaml_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=12,
)
section_names = st.sampled_from([info.alias or name for name, info in simulation.Scenario.model_fields.items()])


@FUZZ
@given(document=st.dictionaries(section_names, yaml_values, max_size=5))
def test_it_never_answers_500_to_an_imported_document(owner_client, workspace, document):
    import yaml

    text = yaml.safe_dump(document)
    response = owner_client.post(reverse("scenario_import", args=[workspace.pk]), {"text": text})
    assert response.status_code in (302, 400)


@FUZZ
@given(text=st.text(max_size=200))
def test_it_never_answers_500_to_pasted_text(owner_client, workspace, text):
    response = owner_client.post(reverse("scenario_import", args=[workspace.pk]), {"text": text})
    assert response.status_code in (302, 400)


def test_it_never_answers_500_to_a_yaml_bomb_or_a_huge_document(owner_client, workspace):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)
    )
    url = reverse("scenario_import", args=[workspace.pk])
    assert owner_client.post(url, {"text": bomb}).status_code == 400
    assert owner_client.post(url, {"text": "name: x\n" + "#" * 1_100_000}).status_code == 400
