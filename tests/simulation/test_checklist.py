from pathlib import Path

import pytest

from simulation import load_file, load_scenario, run
from simulation.analysis.checklist import QUESTIONS, answer, evaluate_checklist, fixed_variant
from simulation.engine.chunks import simulate_type

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
QUIET = {
    name: {"rate_per_year": 0}
    for name in ("instance_crash", "zone_outage", "region_outage", "dependency_slowdown", "data_corruption")
}

# the motivating incident: hanging dead host, pools that never let go, liveness checks, people cycle instances
OPENER = {
    "name": "opener",
    "pattern": "active-passive",
    "regions": [{"name": "a", "role": "primary", "app_instances": 5}, {"name": "b", "role": "standby"}],
    "database": {"local_standby": "none", "replicas": [{"region": "b", "mode": "async"}]},
    "app": {
        "discovery": "service-discovery",
        "health_check": "liveness",
        "auto_restart": False,
        "dead_host_signature": "hang",
        "pool": {
            "connection_timeout_s": 1800,
            "idle_timeout_s": None,
            "max_lifetime_s": None,
            "validate_on_borrow": False,
        },
        "timeouts": {"oltp_query_s": None, "external_http_s": None},
    },
    "deployment": {"strategy": "in-place", "health_gated": False},
    "failover": {"days_since_failover_test": 400, "tested_under_load": False},
    "targets": {"agreed_with_business": False},
}
EVERY_NO = {
    **OPENER,
    "regions": [{"name": "a", "role": "primary", "app_instances": 1}, {"name": "b", "role": "standby"}],
    "database": {"local_standby": "none", "replicas": []},
    # one instance that carries the whole load alone (the schema rejects an under-provisioned tier)
    "app": {**OPENER["app"], "discovery": "static", "capacity_rps_per_instance": 1000},
}


def _answers(doc) -> dict[int, bool]:
    scenario = load_scenario(doc)
    return {q.number: answer(scenario, q.number)[0] for q in QUESTIONS}


def test_it_answers_yes_to_most_questions_for_the_default_scenario():
    answers = _answers({})
    assert answers == {1: True, 2: True, 3: True, 4: True, 5: True, 6: False, 7: True, 8: True}


def test_it_answers_yes_to_rollback_for_blue_green_switches():
    assert _answers({"deployment": {"strategy": "blue-green"}})[6]


def test_it_answers_the_opener_incident_with_the_no_s_the_brief_describes():
    answers = _answers(OPENER)
    assert answers == {1: True, 2: False, 3: False, 4: False, 5: False, 6: False, 7: False, 8: False}


def test_it_answers_no_to_every_question_for_a_system_with_nothing_in_place():
    assert not any(_answers(EVERY_NO).values())


@pytest.mark.parametrize("number", [q.number for q in QUESTIONS])
def test_it_fixes_each_no_into_a_yes(number):
    scenario = load_scenario(EVERY_NO)
    assert answer(fixed_variant(scenario, number), number)[0]


def test_it_prices_the_opener_s_no_s_by_their_saved_outage_cost():
    scenario = load_scenario(
        {**OPENER, "incidents": QUIET, "deployment": {**OPENER["deployment"], "deploys_per_month": 0}}
    )
    results = run(scenario, trials=250, seed=2, years=500).to_json()
    items = {item["number"]: item for item in results["checklist"]}
    assert items[1]["cost_usd_per_month"] is None  # a yes has no price
    assert items[2]["cost_usd_per_month"] > 0  # pools that shed dead connections shorten primary failures
    assert items[3]["cost_usd_per_month"] >= 0  # deep checks alone: every instance is a zombie, no help
    assert items[5]["cost_usd_per_month"] == 0.0  # no deploys in this scenario: nothing to save
    assert all(item["fields"] for item in items.values())


def test_it_prices_a_fix_that_changes_nothing_simulated_at_exactly_zero():
    scenario = load_scenario({"targets": {"agreed_with_business": False}, "incidents": QUIET})
    items = evaluate_checklist(scenario, {}, seed=1, trials=250, chunk_size=250, simulate_type=simulate_type)
    assert items[6]["answer"] is False and items[6]["cost_usd_per_month"] == 0.0


def test_it_uses_common_random_numbers_so_prices_repeat():
    scenario = load_scenario(
        {**OPENER, "incidents": QUIET, "deployment": {**OPENER["deployment"], "deploys_per_month": 0}}
    )
    first = evaluate_checklist(scenario, {}, seed=4, trials=250, chunk_size=250, simulate_type=simulate_type)
    again = evaluate_checklist(scenario, {}, seed=4, trials=250, chunk_size=250, simulate_type=simulate_type)
    assert first == again


@pytest.mark.parametrize("name, expected_no", [("opener-incident.yaml", {2, 3, 4}), ("opener-fixed.yaml", set())])
def test_it_answers_the_opener_examples(name, expected_no):
    scenario = load_file(EXAMPLES / name)
    no = {q.number for q in QUESTIONS if not answer(scenario, q.number)[0]}
    assert expected_no <= no
    if not expected_no:
        assert not no & {1, 2, 3, 4}


def test_it_prices_a_failover_never_tested_under_load_by_a_lower_automation_success():
    """Item 8's "no" for tested_under_load alone costs money: automation fails more often (× 0.9)."""
    doc = {
        **OPENER,
        "incidents": QUIET,
        "deployment": {**OPENER["deployment"], "deploys_per_month": 0},
        "failover": {"days_since_failover_test": 30, "tested_under_load": False},
    }
    scenario = load_scenario(doc)
    assert scenario.automation_success_probability() == pytest.approx(0.9 * (0.97 - 0.001 * 30))
    items = evaluate_checklist(scenario, {}, seed=3, trials=500, chunk_size=250, simulate_type=simulate_type)
    assert items[7]["answer"] is False and items[7]["cost_usd_per_month"] > 0
