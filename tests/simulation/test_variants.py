"""Variants: overrides by dotted path, with list selectors, validated, and errors that name the override."""

from __future__ import annotations

import pytest

from simulation import ScenarioError, dump_document, load_scenario
from simulation.model.overrides import apply_overrides, current_value, overridden_document, parse_path

BASE = {
    "name": "Base",
    "pattern": "active-passive",
    "database": {"replicas": [{"region": "region-b", "mode": "async"}]},
    "app": {"pool": {"validate_on_borrow": False}},
}


def _problems(overrides: dict, document: dict = BASE) -> list[tuple[str, str]]:
    with pytest.raises(ScenarioError) as caught:
        apply_overrides(document, overrides)
    return [(p.path, p.message) for p in caught.value.problems]


def test_it_sets_fields_by_dotted_path():
    scenario = apply_overrides(
        BASE, {"app.pool.validate_on_borrow": True, "failover.mode": "manual", "failover.detection.interval_s": 30}
    )
    assert scenario.app.pool.validate_on_borrow is True
    assert scenario.failover.mode == "manual"
    assert scenario.failover.detection.interval_s == 30


def test_it_leaves_the_base_document_untouched():
    before = dump_document(load_scenario(BASE))
    apply_overrides(BASE, {"app.pool.validate_on_borrow": True})
    assert dump_document(load_scenario(BASE)) == before


def test_it_selects_list_items_by_index_wildcard_and_field_value():
    scenario = apply_overrides(
        BASE,
        {
            "regions[1].app_instances": 7,
            "database.replicas[*].mode": "sync",
            "regions[role=standby].warmth": "cold",
            "regions[role=primary].app_instances": 9,
        },
    )
    assert [r.app_instances for r in scenario.regions] == [9, 7]
    assert scenario.regions[1].warmth == "cold" and scenario.regions[0].warmth == "hot"
    assert [r.mode for r in scenario.database.replicas] == ["sync"]


def test_it_accepts_a_bare_number_for_a_distribution_and_null_for_optional_fields():
    scenario = apply_overrides(BASE, {"failover.promotion_s": 12, "app.pool.max_lifetime_s": None})
    assert scenario.failover.promotion_s.mean == 12
    assert scenario.app.pool.max_lifetime_s is None


def test_it_applies_overrides_in_order_so_a_later_one_refines_an_earlier_one():
    scenario = apply_overrides(BASE, {"database.backups": {"kind": "daily"}, "database.backups.kind": "pitr"})
    assert scenario.database.backups.kind == "pitr"


def test_it_names_an_unknown_field_and_suggests_the_close_one():
    [(path, message)] = _problems({"app.pool.validate_on_borow": True})
    assert path == "app.pool.validate_on_borow"
    assert "validate_on_borrow" in message


def test_it_names_the_override_when_the_schema_refuses_the_value():
    assert _problems({"failover.detection.interval_s": -5})[0][0] == "failover.detection.interval_s"
    path, message = _problems({"regions[role=standby].warmth": "tepid"})[0]
    assert path == "regions[role=standby].warmth" and "hot" in message


def test_it_reports_every_bad_override_at_once():
    paths = {p for p, _ in _problems({"nope": 1, "regions[9].warmth": "hot", "app.pool.max_size.deep": 2})}
    assert paths == {"nope", "regions[9].warmth", "app.pool.max_size.deep"}


def test_it_refuses_a_selector_that_matches_nothing():
    path, message = _problems({"regions[role=read-replica].warmth": "hot"})[0]
    assert path == "regions[role=read-replica].warmth" and "no item" in message


@pytest.mark.parametrize("path", ["", ".a", "a.", "a..b", "a[", "a[x]", "[0]", "a b", "a[1]b"])
def test_it_refuses_malformed_paths(path):
    with pytest.raises(ValueError):
        parse_path(path)


@pytest.mark.parametrize("overrides", [[], "app.pool", None, {f"k{i}": 1 for i in range(65)}])
def test_it_refuses_overrides_that_are_not_a_small_mapping(overrides):
    with pytest.raises(ScenarioError):
        overridden_document(BASE, overrides)


def test_it_keeps_cross_field_rules_and_blames_the_override():
    problems = _problems({"regions[1].name": "region-a"})
    assert any("unique" in message for _, message in problems)


def test_it_reads_the_current_value_of_a_path():
    assert current_value(BASE, "regions[role=standby].warmth") == "hot"
    assert current_value(BASE, "app.pool.validate_on_borrow") is False
