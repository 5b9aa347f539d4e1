"""One lever catalogue: the workshop, the tornado, the cheapest-fix search and the checklist take their
changes from ``simulation.analysis.levers``, and a lever gives the same scenario diff everywhere."""

from __future__ import annotations

import inspect

from simulation import load_scenario
from simulation.analysis import advise, checklist, levers, sensitivity
from simulation.analysis.levers import (
    CATALOGUE_BY_KEY,
    CHECKLIST_FIX_KEYS,
    LEVERS_BY_KEY,
    lever_cost_usd_per_month,
    lever_overrides,
)
from simulation.model.loading import dump_document
from simulation.model.overrides import apply_overrides
from workshop import services
from workshop.controls import ALLOWED_PATHS

# a scenario where validation on borrow is off, the connection timeout slow, and nothing ends hung requests
BASE = {
    "pattern": "active-passive",
    "app": {"pool": {"validate_on_borrow": False, "connection_timeout_s": 30}, "timeouts": {"oltp_query_s": None}},
}


def _diff(before: dict, after: dict, prefix: str = "") -> dict:
    out = {}
    for key in set(before) | set(after):
        a, b, path = before.get(key), after.get(key), f"{prefix}{key}"
        if isinstance(a, dict) and isinstance(b, dict):
            out.update(_diff(a, b, path + "."))
        elif a != b:
            out[path] = b
    return out


def test_validate_on_borrow_is_the_same_change_in_the_workshop_tornado_advice_and_checklist():
    scenario = load_scenario(BASE)
    before = dump_document(scenario)
    lever = lever_overrides("validate_on_borrow", scenario)
    expected = _diff(before, dump_document(apply_overrides(before, lever)))
    paths = {"app.pool.validate_on_borrow", "app.pool.connection_timeout_s", "app.timeouts.oltp_query_s"}
    assert set(expected) == paths

    workshop = services.variant_scenario(document=before, overrides={"app.pool.validate_on_borrow": True})
    tornado_on = sensitivity.PARAMETERS_BY_KEY["validate_on_borrow"].to_overrides(True, scenario)
    advice = dict(advise.applicable_changes(scenario, ["validate_on_borrow"]))[CATALOGUE_BY_KEY["validate_on_borrow"]]
    fixed = _diff(before, dump_document(checklist.fixed_variant(scenario, 2)))

    assert _diff(before, dump_document(workshop)) == expected
    assert _diff(before, dump_document(apply_overrides(before, tornado_on))) == expected
    assert _diff(before, dump_document(apply_overrides(before, advice))) == expected
    assert {path: fixed[path] for path in expected} == expected  # the checklist's fix includes the lever


def test_an_explicit_workshop_setting_wins_over_the_levers_default():
    before = dump_document(load_scenario(BASE))
    variant = services.variant_scenario(
        document=before, overrides={"app.pool.validate_on_borrow": True, "app.timeouts.oltp_query_s": 30}
    )
    assert variant.app.timeouts.oltp_query_s == 30 and variant.app.pool.connection_timeout_s == 5


def test_each_consumer_takes_its_levers_from_the_catalogue():
    assert advise.CATALOGUE is levers.CATALOGUE and advise.CATALOGUE_BY_KEY is levers.CATALOGUE_BY_KEY
    assert "validation_overrides" in inspect.getsource(sensitivity._validation)
    assert "lever_overrides" in inspect.getsource(checklist.fixed_variant)
    assert not hasattr(checklist, "_fix")  # no hand-written fix left in the checklist
    assert "expand_toggles" in inspect.getsource(services.variant_scenario)
    assert set(levers.TOGGLE_LEVERS) <= ALLOWED_PATHS and set(levers.TOGGLE_LEVERS.values()) <= set(CATALOGUE_BY_KEY)
    for parameter_key in ("validate_on_borrow",):
        assert parameter_key in CATALOGUE_BY_KEY and parameter_key in sensitivity.PARAMETERS_BY_KEY


def test_every_lever_has_a_label_a_reason_and_a_monthly_cost():
    scenario = load_scenario(BASE)
    for change in levers.CATALOGUE:
        assert change.label and change.why
        assert isinstance(lever_cost_usd_per_month(change.key, scenario), float)
    assert lever_cost_usd_per_month("validate_on_borrow", scenario) == 0.0
    assert lever_cost_usd_per_month("spare_instance", scenario) > 0


# a scenario that answers every question of the checklist "no"
EVERY_NO = {
    "pattern": "single-region",
    "regions": [{"name": "region-a", "role": "primary", "app_instances": 1}],
    "traffic": {"request_rate_rps": 200},
    "database": {"local_standby": "none"},
    "app": {
        "discovery": "static",
        "health_check": "liveness",
        "pool": {"validate_on_borrow": False, "max_lifetime_s": None, "connection_timeout_s": 30},
        "timeouts": {"oltp_query_s": None, "external_http_s": None},
    },
    "deployment": {"strategy": "in-place"},
    "failover": {"days_since_failover_test": 400, "tested_under_load": False},
    "targets": {"agreed_with_business": False},
}


def test_each_checklist_fix_is_a_lever_of_the_catalogue_with_the_same_change():
    assert sorted(CHECKLIST_FIX_KEYS) == [q.number for q in checklist.QUESTIONS]
    for scenario in (load_scenario(EVERY_NO), load_scenario(BASE)):
        before = dump_document(scenario)
        for question in checklist.QUESTIONS:
            key = checklist.fix_lever(question.number)
            lever = LEVERS_BY_KEY[key]
            assert lever.label and lever.why
            assert isinstance(lever_cost_usd_per_month(key, scenario), float)
            changes = lever_overrides(key, scenario)
            fixed = checklist.fixed_variant(scenario, question.number)
            expected = apply_overrides(before, changes) if changes else scenario
            assert _diff(before, dump_document(fixed)) == _diff(before, dump_document(expected))
            if scenario == load_scenario(EVERY_NO):
                assert not checklist.answer(scenario, question.number)[0]
                assert checklist.answer(fixed, question.number)[0], key  # the lever answers the question yes
    # the fixes are levers too, but the cheapest-fix search keeps to its own
    assert not set(CHECKLIST_FIX_KEYS.values()) & set(CATALOGUE_BY_KEY)
