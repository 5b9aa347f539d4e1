"""Cheapest fix: the brief's catalogue of changes, searched singly and in small combinations."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation import ScenarioError, load_file, load_scenario
from simulation.analysis.advise import applicable_changes, cheapest_fixes
from simulation.analysis.levers import CATALOGUE
from simulation.analysis.variants import QUICK, RunSettings
from simulation.model.overrides import apply_overrides

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SETTINGS = RunSettings(trials=300, years=500, seed=QUICK.seed)
POOL_AND_HEALTH = {
    "validate_on_borrow",
    "max_lifetime",
    "deep_health_checks",
    "service_discovery",
    "timeouts_breakers_bulkheads",
}


@pytest.fixture(scope="module")
def opener_5_min():
    return apply_overrides(load_file(EXAMPLES / "opener-incident.yaml"), {"targets.rto_s": 300})


@pytest.mark.slow
def test_it_fixes_the_opener_with_pool_changes_before_any_multi_region_change(opener_5_min):
    report = cheapest_fixes(opener_5_min, settings=SETTINGS, incident_types=["db_primary_failure"], targets=["rto"])
    assert not report["already_met"]
    fixes = report["fixes"]
    assert fixes, report["closest"]
    first = fixes[0]
    keys = {c["key"] for c in first["changes"]}
    assert not first["multi_region"]
    assert (
        keys and keys <= POOL_AND_HEALTH
    )  # an app-tier change: a query timeout or validation evicts stale connections
    assert any({c["key"] for c in fix["changes"]} == {"validate_on_borrow"} for fix in fixes)
    assert (
        first["metrics"]["rto_p95_s.db_primary_failure"]
        <= 300
        < report["base"]["metrics"]["rto_p95_s.db_primary_failure"]
    )
    costs = [f["added_usd_per_month"] for f in fixes]
    assert costs == sorted(costs)
    multi = [i for i, f in enumerate(fixes) if f["multi_region"]]
    assert all(i > 0 for i in multi)
    sets = [frozenset(c["key"] for c in f["changes"]) for f in fixes]
    assert not any(a < b for a in sets for b in sets)  # never a fix plus something unneeded


def test_it_reports_nothing_to_do_when_the_targets_are_met():
    lax = load_scenario({"pattern": "active-passive", "targets": {"rto_s": 10**7, "rpo_s": 10**7, "availability": 0.5}})
    report = cheapest_fixes(lax, settings=RunSettings(trials=40, years=50, seed=3))
    assert report["already_met"] and report["fixes"] == [] and report["evaluated"] == 1


def test_it_applies_every_change_to_a_valid_scenario_once(opener_5_min):
    for change, overrides in applicable_changes(opener_5_min):
        changed = apply_overrides(opener_5_min, overrides)
        if change.key != "spare_instance":  # one more instance can always be added
            assert change.overrides(changed) is None, change.key


def test_it_turns_a_single_region_system_into_active_passive_for_a_replica():
    single = load_scenario({"pattern": "single-region"})
    change = next(c for c in CATALOGUE if c.key == "cross_region_replica")
    changed = apply_overrides(single, change.overrides(single))
    assert changed.pattern == "active-passive" and changed.cross_region_replica is not None
    assert change.multi_region


def test_it_offers_only_changes_that_alter_the_scenario():
    worked = load_file(EXAMPLES / "worked-active-passive.yaml")
    keys = {c.key for c, _ in applicable_changes(worked)}
    assert not keys & {"validate_on_borrow", "service_discovery", "automated_failover", "sync_standby", "pitr_backups"}


@pytest.mark.parametrize(
    "kwargs", [{"incident_types": ["meteor_strike"]}, {"targets": ["happiness"]}, {"changes": ["buy_a_mainframe"]}]
)
def test_it_names_what_is_wrong_with_the_request(opener_5_min, kwargs):
    with pytest.raises(ScenarioError):
        cheapest_fixes(opener_5_min, settings=RunSettings(trials=20, years=20, seed=1), **kwargs)


def test_it_prints_the_cheapest_fixes_from_the_command_line(tmp_path):
    import io

    from simulation.cli.workshop import main

    path = tmp_path / "opener.yaml"
    path.write_text((EXAMPLES / "opener-incident.yaml").read_text())
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "advise",
            str(path),
            "--trials",
            "60",
            "--years",
            "100",
            "--max-evaluations",
            "6",
            "--incident",
            "db_primary_failure",
            "--format",
            "json",
        ],
        out,
        err,
    )
    assert code == 0, err.getvalue()
    import json

    report = json.loads(out.getvalue())
    assert report["evaluated"] <= 6 and report["focus"]["incident_types"] == ["db_primary_failure"]


@pytest.mark.parametrize(
    "argv",
    [
        ["advise", "missing.yaml"],
        ["advise", "FILE", "--trials", "0"],
        ["advise", "FILE", "--incident", "meteor_strike"],
        ["advise"],
        ["advise", "FILE", "--target", "happiness"],
    ],
)
def test_it_exits_2_on_bad_input_without_a_traceback(tmp_path, argv):
    import io

    from simulation.cli.workshop import main

    path = tmp_path / "s.yaml"
    path.write_text("pattern: active-passive\n")
    err = io.StringIO()
    assert main([str(path) if a == "FILE" else a for a in argv], io.StringIO(), err) == 2
    assert err.getvalue() and "Traceback" not in err.getvalue()


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_it_searches_every_example_within_its_budget(path):
    report = cheapest_fixes(load_file(path), settings=RunSettings(trials=20, years=20, seed=2), max_evaluations=6)
    assert report["evaluated"] <= 6
    assert all(f["targets_met"] for f in report["fixes"])
    assert all(not c["targets_met"] for c in report["closest"])
