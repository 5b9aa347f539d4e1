"""Predicted against measured, calibration and the drill plan."""

from datetime import date

import numpy as np
import pytest

from simulation.analysis.calibration import calibrate, scale_value, shrink
from simulation.analysis.drill_compare import calibration_verdict, compare_drills, drills_from_model, ks_uniform
from simulation.model.drills import DrillRecord, drills_to_csv, parse_drills
from simulation.model.loading import dump_document, load_file

EXAMPLE = "examples/tier-rpo-5min.yaml"


@pytest.fixture(scope="module")
def scenario():
    return load_file(EXAMPLE)


def _drills_from(scenario, n, slowdown, seed=7):
    return drills_from_model(
        scenario, "database-failover", n, seed=seed, first_date=date(2026, 1, 5), slowdown=slowdown
    )


def test_drills_drawn_from_the_model_are_consistent(scenario):
    result = compare_drills(scenario, _drills_from(scenario, 30, 1.0))
    assert result["calibration"]["verdict"] == "consistent"
    assert result["calibration"]["p_value"] > 0.05


def test_slower_drills_make_the_model_optimistic(scenario):
    result = compare_drills(scenario, _drills_from(scenario, 12, 1.6))
    assert result["calibration"]["verdict"] == "optimistic"
    assert any("promotion measured" in f or "detection measured" in f for d in result["drills"] for f in d["flags"])


def test_faster_drills_make_the_model_pessimistic(scenario):
    assert compare_drills(scenario, _drills_from(scenario, 12, 0.5))["calibration"]["verdict"] == "pessimistic"


def test_a_flag_says_measured_and_model_bound(scenario):
    record = DrillRecord(
        drill_type="database-failover",
        date=date(2026, 2, 1),
        detected_s=30,
        decided_s=30,
        promoted_s=390,
        restored_s=450,
        full_capacity_s=450,
    )
    drill = compare_drills(scenario, [record])["drills"][0]
    promotion = next(p for p in drill["phases"] if p["label"] == "promotion")
    assert promotion["percentile"] > 0.99 and promotion["flagged"]
    assert promotion["message"].startswith("promotion measured 6 min; model p95 ")


def test_ks_and_verdict_basics():
    assert ks_uniform([0.5])[0] == 0.5
    assert ks_uniform(list(np.linspace(0.01, 0.99, 50)))[1] > 0.9
    assert calibration_verdict([0.99, 0.98])["verdict"] == "too few drills"


def test_calibration_recovers_a_known_distribution_from_csv(scenario):
    rng = np.random.default_rng(1)
    median, p95 = 40.0, 120.0
    promotion = median * np.exp(np.log(p95 / median) / 1.6448536 * rng.standard_normal(1000))
    rows = [
        DrillRecord(
            drill_type="database-failover",
            date=date(2026, 1, 1),
            detected_s=30,
            decided_s=30,
            promoted_s=30 + v,
            restored_s=100 + v,
            full_capacity_s=100 + v,
        )
        for v in promotion
    ]
    records = parse_drills(drills_to_csv(rows))
    result = calibrate(scenario, records)
    fitted = next(c["after"] for c in result.changes if c["path"] == "failover.promotion_s")
    assert fitted["kind"] == "lognormal"
    assert fitted["median"] == pytest.approx(median, rel=0.1)
    assert fitted["p95"] == pytest.approx(p95, rel=0.15)
    assert result.label == "calibrated by 1000 drills, last on 2026-01-01"
    assert "failover.promotion_s" not in str(result.skipped)


def test_few_drills_shrink_toward_the_prior(scenario):
    records = _drills_from(scenario, 2, 3.0)
    result = calibrate(scenario, records)
    after = next(c["after"] for c in result.changes if c["path"] == "failover.promotion_s")
    measured = np.median([r.phases_s()["promote_s"] for r in records])
    assert 20 < after["median"] < measured  # between the prior (uniform 10–30 s) and the measurements
    assert "-    low: 10.0" in result.diff(dump_document(scenario))


def test_shrink_and_scale():
    mu, sigma = shrink(np.array([np.log(100.0)]), np.log(10.0), 0.0, n0=1)
    assert np.exp(mu) == pytest.approx(np.sqrt(1000.0))
    assert scale_value({"kind": "uniform", "low": 10, "high": 30}, 2) == {"kind": "uniform", "low": 20, "high": 60}
    assert scale_value(60, 1.5) == 90
    assert scale_value(3000, 2, "failover.detection.interval_s") == 3600


@pytest.mark.slow
def test_drill_plan_suggests_a_phase_and_exports_a_checklist(scenario):
    from simulation.analysis.drill_plan import drill_plan

    plan = drill_plan(scenario)
    assert plan["suggested"]["phase"] in {"detection", "promotion", "traffic restored"}
    assert plan["checklist"].startswith("# Drill plan")
    assert "| total RTO |" in plan["checklist"] and "- [ ] Failure injected" in plan["checklist"]
