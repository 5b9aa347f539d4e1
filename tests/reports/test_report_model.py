"""The report's content: assumptions as differences from the defaults, comparison, cover, formatting."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from simulation import dump_document, load_scenario
from simulation.present.format import format_duration
from simulation.present.report.model import build_report
from simulation.present.report.option import option_from_results
from simulation.present.report.tables import assumptions, differences, value_text


def test_it_writes_durations_as_every_other_screen_does():
    assert format_duration(0.42) == "420 ms"
    assert format_duration(42.4) == "42 s"
    assert format_duration(3700) == "1 h 02 min"
    assert format_duration(9000) == "2 h 30 min"
    assert format_duration(None) == "—"


def test_it_writes_distributions_and_values_as_people_do():
    assert (
        value_text({"kind": "lognormal", "median": 120.0, "p95": 600.0, "p99": None})
        == "lognormal(median=120, p95=600)"
    )
    assert value_text(None) == "none" and value_text(True) == "yes" and value_text(1800.0) == "1800"


def test_it_finds_no_assumption_in_a_document_of_defaults():
    assert assumptions(dump_document(load_scenario({}))) == []
    assert assumptions(dump_document(load_scenario({"pattern": "single-region", "name": "Only a name"}))) == [
        {"path": "pattern", "value": "single-region", "default": "active-passive"}
    ]


def test_it_lists_every_changed_parameter_with_its_default():
    document = dump_document(
        load_scenario(
            {
                "pattern": "active-passive",
                "app": {"pool": {"max_lifetime_s": None, "validate_on_borrow": False}, "health_check": "liveness"},
                "failover": {"humans": {"page_s": {"kind": "fixed", "value": 60}}},
                "regions": [{"name": "eu", "role": "primary", "app_instances": 5}, {"name": "us", "role": "standby"}],
            }
        )
    )
    items = {a["path"]: (a["value"], a["default"]) for a in assumptions(document)}
    assert items["app.pool.max_lifetime_s"] == ("none", "1800")
    assert items["app.pool.validate_on_borrow"] == ("no", "yes")
    assert items["app.health_check"] == ("liveness", "deep")
    assert items["failover.humans.page_s"] == ("fixed(value=60)", "lognormal(median=120, p95=600)")
    assert items["regions[0].name"] == ("eu", "region-a") and items["regions[0].app_instances"] == ("5", "4")
    assert items["regions[1].name"] == ("us", "region-b")
    assert "pattern" not in items and "name" not in items
    assert all(value != default for value, default in items.values())
    assert not any(path.startswith(("targets", "costs", "deployment")) for path in items)


def test_it_treats_lists_of_another_length_as_one_difference():
    assert differences({"replicas": [1, 2]}, {"replicas": []}) == [("replicas", [1, 2], [])]


def test_it_builds_cover_comparison_and_appendices(three_options, decision):
    report = build_report(three_options, decision, generated_at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC))
    assert report["generated_at"] == "2026-01-02 03:04 UTC" and report["report_schema"] == 1
    assert report["cover"]["summary"] == (
        "2 of 3 options meet every target. Chosen: Active-passive, which meets "
        "every target for a premium of 6,150 USD a month."
    )
    assert [o["chosen"] for o in report["options"]] == [False, True, False]
    rows = {r["label"]: r["cells"] for r in report["comparison"]["rows"]}
    assert [c["met"] for c in rows["RTO target — Primary database failure"]] == [False, True, True]
    assert [c["text"] for c in rows["Premium over single region / month"]] == ["0 USD", "6,150 USD", "19,800 USD"]
    assert "RTO p95 — Bad deploy" not in rows  # no option has bad deploys
    assert [r["seed"] for r in report["reproducibility"]] == [1, 2, 3]
    assert all(r["scenario_sha256"] == r["results_scenario_sha256"] for r in report["reproducibility"])
    assert [a["label"] for a in report["assumptions"]] == [o.label for o in three_options]
    assert [c["incident_type"] for c in report["charts"]["overlays"]] == [
        "db_primary_failure",
        "region_outage",
        "zone_outage",
    ]


def test_it_says_when_nothing_is_chosen_and_takes_the_targets_from_the_first_option(three_options):
    report = build_report(three_options[:1])
    assert report["cover"]["summary"] == "0 of 1 options meet every target. No option has been chosen yet."
    assert report["targets_raw"] == three_options[0].document["targets"]
    assert report["charts"]["overlays"] == []


def test_it_takes_the_decisions_targets_when_given(three_options):
    report = build_report(three_options, {"targets": {"rto_s": 60.0, "availability": 0.9995}})
    assert report["targets"] == [
        {"key": "rto_s", "label": "Recovery time (RTO)", "value": "60 s"},
        {"key": "availability", "label": "Availability", "value": "99.950 %"},
    ]


def test_it_reads_follow_ups_from_text_lines(three_options):
    report = build_report(three_options, {"follow_ups": "- drill in March\n\n• deep checks\n"})
    assert report["decision"]["follow_ups"] == ["drill in March", "deep checks"]


def test_it_refuses_too_many_options_duplicate_labels_or_an_unknown_choice(three_options):
    with pytest.raises(ValueError, match="1 to 5"):
        build_report(three_options * 2)
    with pytest.raises(ValueError, match="unique"):
        build_report([three_options[0], three_options[0]])
    with pytest.raises(ValueError, match="chosen"):
        build_report(three_options, {"chosen": "Multi-cloud"})


def test_it_takes_the_document_from_the_results(three_options):
    option = option_from_results("X", three_options[1].results)
    assert option.document == three_options[1].document


def test_it_notes_options_judged_against_other_targets_than_those_in_force(three_options):
    report = build_report(three_options, {"targets": {"rto_s": 60.0, "rpo_s": 60.0}})
    assert [o["targets_differ"] for o in report["options"]] == [["Recovery time (RTO)"]] * 3
    assert [o["targets_differ"] for o in build_report(three_options)["options"]] == [[], [], []]
