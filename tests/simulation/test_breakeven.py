"""Break-even values by bisection on common random numbers, checked against closed forms; nearest misses
ordered by shortfall."""

from __future__ import annotations

import pytest

from simulation import load_scenario
from simulation.analysis.breakeven import bisect_threshold, break_even, nearest_misses, numeric_levers, shortfalls
from simulation.analysis.variants import RunSettings
from simulation.model.loading import ScenarioError

RPO_S = 100_000.0
CONFIDENCE = 0.95
# Only data corruptions, restored from daily backups: the loss is uniform over the backup interval I, so
# P(loss ≤ RPO) = RPO / I, and the target (that probability ≥ the confidence) is just met at I = RPO / c.
CORRUPTION_ONLY = {
    "pattern": "single-region",
    "database": {"backups": {"kind": "daily", "interval_s": 86_400}},
    "deployment": {"deploys_per_month": 0},
    "incidents": {
        "db_primary_failure": {"rate_per_year": 0},
        "instance_crash": {"rate_per_year": 0},
        "zone_outage": {"rate_per_year": 0},
        "region_outage": {"rate_per_year": 0},
        "dependency_slowdown": {"rate_per_year": 0},
        "data_corruption": {"rate_per_year": 1},
    },
    "targets": {
        "rpo_s": RPO_S,
        "rto_s": 10 * 86_400,
        "availability": 0.9,
        "confidence": CONFIDENCE,
        "applies_to": ["data_corruption"],
    },
}


def test_bisection_finds_a_known_boundary():
    meeting, missing, steps = bisect_threshold(lambda x: x <= 3.7, 0.0, 10.0, relative_tolerance=0.001, max_steps=40)
    assert meeting <= 3.7 < missing and missing - meeting <= 0.001 * 3.7 + 1e-12
    assert steps < 40


def test_bisection_on_whole_numbers_ends_on_adjacent_values():
    assert bisect_threshold(lambda n: n >= 7, 20.0, 1.0, whole=True, max_steps=20)[:2] == (7.0, 6.0)


def test_bisection_stops_after_its_step_budget():
    calls = []
    bisect_threshold(lambda x: calls.append(x) or x <= 0.5, 0.0, 1.0, relative_tolerance=1e-9, max_steps=4)
    assert len(calls) == 4


def _backup_break_even(value_range: tuple[float, float], settings: RunSettings, **search) -> dict:
    return break_even(
        CORRUPTION_ONLY,
        parameter="backup_interval_s",
        target="rpo",
        incident_type="data_corruption",
        value_range=value_range,
        settings=settings,
        **search,
    )


@pytest.mark.slow
def test_break_even_of_the_backup_interval_matches_the_closed_form():
    report = _backup_break_even(
        (86_400.0, 200_000.0), RunSettings(trials=4_000, years=200, seed=3), relative_tolerance=0.002, max_steps=14
    )
    expected_s = RPO_S / CONFIDENCE  # 105,263 s
    assert report["status"] == "found"
    assert report["value"] == pytest.approx(expected_s, rel=0.02)
    assert report["value"] < report["missing_value"]
    assert report["probability"] >= CONFIDENCE


def test_break_even_says_when_the_range_never_meets_the_target():
    report = _backup_break_even((150_000.0, 200_000.0), RunSettings(trials=300, years=50, seed=3))
    assert report["status"] == "missed across the range" and report["value"] is None


def test_break_even_refuses_a_lever_that_is_not_numeric():
    with pytest.raises(ScenarioError, match="parameter"):
        break_even(CORRUPTION_ONLY, parameter="health_check", target="rpo", incident_type="data_corruption")
    assert "health_check" not in {p.key for p in numeric_levers(load_scenario(CORRUPTION_ONLY))}


def _candidate(distance: float, price: float, probability: float) -> dict:
    verdict = {
        "target": "rto",
        "incident_type": "region_outage",
        "threshold": 300.0,
        "probability": probability,
        "confidence": 0.95,
        "met": False,
        "text": "RTO ≤ 5 min",
    }
    return {
        "changes": [{"key": f"c{distance}"}],
        "distance": distance,
        "added_usd_per_month": price,
        "metrics": {"rto_p95_s.region_outage": 300.0 + 100 * distance},
        "verdicts": [verdict],
    }


def test_nearest_misses_are_ordered_by_shortfall_then_price():
    report = {"closest": [_candidate(2.0, 10.0, 0.5), _candidate(0.5, 900.0, 0.9), _candidate(0.5, 100.0, 0.9)]}
    ordered = nearest_misses(report)
    assert [(m["shortfall"], m["added_usd_per_month"]) for m in ordered] == [(0.5, 100.0), (0.5, 900.0), (2.0, 10.0)]
    first = ordered[0]["shortfalls"][0]
    assert first["missing_probability"] == pytest.approx(0.05) and first["p95_beyond_s"] == pytest.approx(50.0)
    assert shortfalls({**_candidate(1.0, 1.0, 0.99), "verdicts": []}) == []


@pytest.mark.parametrize(("target", "incident_type"), [("rto", "db_primary_failure"), ("rpo", "region_outage")])
def test_a_verdict_of_one_type_judged_from_its_replays_alone_is_the_whole_runs(target, incident_type):
    from simulation.analysis.advise import _summary
    from simulation.analysis.breakeven import _verdict_of, _verdicts
    from simulation.analysis.sensitivity import simulate_many
    from simulation.model.loading import dump_document

    variant = load_scenario({"pattern": "active-passive", "failover": {"detection": {"interval_s": 20}}})
    small = RunSettings(trials=300, years=200, seed=11)
    whole = simulate_many([dump_document(variant)], small, 1, _summary)[0]
    alone = _verdicts(variant, target, incident_type, small)
    assert _verdict_of(alone, target, incident_type) == _verdict_of(whole, target, incident_type)
