from types import SimpleNamespace

import numpy as np
import pytest

from simulation import incidents, load_scenario, run
from simulation.analysis.verdicts import format_percent, judge, verdicts_for_run
from simulation.incidents.outcomes import Batch


def _batch(rto, loss):
    rto, loss = np.asarray(rto, dtype=float), np.asarray(loss, dtype=float)
    return Batch(rto, rto, loss, loss, np.zeros(len(rto)), np.zeros(len(rto), dtype=bool))


def _scenario(**targets):
    return load_scenario({"targets": {"rto_s": 300, "rpo_s": 5, "availability": 0.999, "confidence": 0.9, **targets}})


COSTS = {"infrastructure_usd_per_month": 12_000.0, "currency": "USD"}


def test_it_gives_the_share_of_incidents_within_the_rto_and_rpo():
    batches = {"region_outage": _batch([100] * 95 + [400] * 5, [0] * 80 + [10] * 20)}
    verdicts = verdicts_for_run(_scenario(), batches, np.ones(1000), COSTS)
    rto, rpo, availability = verdicts
    assert (rto["target"], rto["incident_type"], rto["probability"], rto["met"]) == ("rto", "region_outage", 0.95, True)
    assert rto["ci"][0] < 0.95 < rto["ci"][1]
    assert rto["text"].startswith("RTO ≤ 300 s in 95.0 % ± ") and rto["text"].endswith("of region outages")
    assert (rpo["probability"], rpo["met"]) == (0.8, False)
    assert availability["probability"] == 1.0 and availability["met"]


def test_it_judges_availability_per_simulated_year():
    availability = np.array([0.9995] * 850 + [0.998] * 150)
    verdict = verdicts_for_run(_scenario(), {}, availability, COSTS)[0]
    assert verdict["target"] == "availability" and verdict["probability"] == pytest.approx(0.85)
    assert not verdict["met"] and "of simulated years" in verdict["text"]


def test_it_judges_the_budget_only_when_one_is_set():
    assert all(v["target"] != "budget" for v in verdicts_for_run(_scenario(), {}, np.ones(10), COSTS))
    over = verdicts_for_run(_scenario(monthly_budget_usd=10_000), {}, np.ones(10), COSTS)[-1]
    within = verdicts_for_run(_scenario(monthly_budget_usd=15_000), {}, np.ones(10), COSTS)[-1]
    assert (over["met"], within["met"]) == (False, True)
    assert "12,000 USD/month" in over["text"]


def test_it_writes_percentages_with_their_interval():
    assert format_percent(0.974, (0.971, 0.977)) == "97.4 % ± 0.3 %"
    assert format_percent(0.9999, (0.9996, 1.0)) == "99.99 % ± 0.03 %"


def _double(scenario, rng, n, keep_replays=False):
    return _batch(rng.exponential(200.0, n), rng.exponential(3.0, n))


@pytest.fixture
def results(monkeypatch):
    model = SimpleNamespace(rate_per_year=lambda s: 2.0, simulate=_double)
    monkeypatch.setattr(incidents, "MODELS", {"region_outage": model})
    return run(_scenario(), trials=4000, seed=3, years=5000, checklist=False).to_json()


def test_it_rejudges_stored_results_like_the_run_did(results):
    targets = results["scenario"]["targets"]
    for stored, again in zip(results["verdicts"], judge(results, targets)):
        assert stored["target"] == again["target"]
        assert again["probability"] == pytest.approx(stored["probability"], abs=0.005)
        assert again["met"] == stored["met"]


def test_it_rejudges_against_other_targets(results):
    strict = judge(results, {"rto_s": 60, "rpo_s": 1, "confidence": 0.5})
    rto = strict[0]
    assert rto["probability"] == pytest.approx(1 - np.exp(-60 / 200), abs=0.02)
    assert rto["threshold"] == 60 and rto["confidence"] == 0.5
    lenient = judge(results, {"rto_s": 5000, "rpo_s": 100})
    assert lenient[0]["met"] and lenient[1]["met"]


def test_it_judges_rto_and_rpo_only_on_the_incident_types_the_targets_apply_to():
    batches = {"region_outage": _batch([100] * 10, [0] * 10), "bad_deploy": _batch([900] * 10, [0] * 10)}
    default = verdicts_for_run(_scenario(), batches, np.ones(10), COSTS)
    every = verdicts_for_run(_scenario(applies_to=None), batches, np.ones(10), COSTS)
    some = verdicts_for_run(_scenario(applies_to=["bad_deploy"]), batches, np.ones(10), COSTS)
    assert {v["incident_type"] for v in default} == {"region_outage", None}  # infrastructure failures
    assert {v["incident_type"] for v in every} == {"region_outage", "bad_deploy", None}
    assert {v["incident_type"] for v in some} == {"bad_deploy", None}


def test_it_rejudges_only_the_incident_types_asked_for(results):
    assert [v["incident_type"] for v in judge(results, {"applies_to": ["zone_outage"]})] == [None]


def test_it_rejudges_availability_with_the_run_s_pool_noise(results):
    """The stored bootstrap rounds let ``judge`` widen the availability interval as the run did."""
    stored = next(v for v in results["verdicts"] if v["target"] == "availability")
    again = next(v for v in judge(results, results["scenario"]["targets"]) if v["target"] == "availability")
    assert again["ci"] == pytest.approx(stored["ci"], abs=0.01)
    assert len(results["annual"]["bootstrap"]["availability_ecdf"]) == results["annual"]["bootstrap"]["rounds"]
