"""The scenario schema as form fields: units from names, distributions as short text, paths to fields."""

from __future__ import annotations

import pytest

import simulation
from planner.scenario_forms import SectionForm
from planner.schema_fields import SECTION_KEYS, dist_from_text, dist_to_text, label_for, section_groups, unit_for


@pytest.mark.parametrize(
    "name, unit",
    [
        ("interval_s", "s"),
        ("size_gb", "GB"),
        ("restore_throughput_gb_per_s", "GB/s"),
        ("write_rate_tps", "tx/s"),
        ("request_rate_rps", "req/s"),
        ("rate_per_year", "/year"),
        ("db_node_usd_per_month", "EUR/month"),
        ("storage_usd_per_gb_month", "EUR/GB·month"),
        ("outage_cost_usd_per_hour", "EUR/hour"),
        ("capacity_rps_per_instance", "req/s per instance"),
        ("canary_steps_pct", "%"),
        ("write_share", "0–1"),
        ("max_size", ""),
    ],
)
def test_it_derives_the_unit_from_the_name(name, unit):
    assert unit_for(name, "EUR") == unit


def test_it_labels_fields_without_their_unit():
    assert label_for("restore_throughput_gb_per_s") == "Restore throughput"
    assert label_for("dns_ttl_s") == "DNS TTL"
    assert label_for("db_node_usd_per_month") == "DB node"


@pytest.mark.parametrize(
    "text, value",
    [
        ("300", {"kind": "fixed", "value": 300.0}),
        ("uniform low=10 high=30", {"kind": "uniform", "low": 10.0, "high": 30.0}),
        ("triangular low=1 mode=2 high=5", {"kind": "triangular", "low": 1.0, "mode": 2.0, "high": 5.0}),
        ("normal mean=10 sd=2", {"kind": "normal", "mean": 10.0, "sd": 2.0}),
        ("lognormal median=300 p95=900", {"kind": "lognormal", "median": 300.0, "p95": 900.0}),
        ("lognormal median=300 p99=1200", {"kind": "lognormal", "median": 300.0, "p99": 1200.0}),
        ("exponential mean=60", {"kind": "exponential", "mean": 60.0}),
        ("empirical 40, 55, 90", {"kind": "empirical", "values": [40.0, 55.0, 90.0]}),
    ],
)
def test_it_reads_and_writes_distributions_as_short_text(text, value):
    assert dist_from_text(text) == value
    assert dist_from_text(dist_to_text(value)) == value


@pytest.mark.parametrize(
    "text", ["", "gamma 3", "uniform low=1 top=2", "lognormal median=abc", "empirical", "normal mean=nan sd=1", "inf"]
)
def test_it_explains_distribution_text_it_cannot_read(text):
    with pytest.raises(ValueError):
        dist_from_text(text)


def test_it_writes_a_bare_number_and_a_fixed_value_alike():
    assert dist_to_text(45) == dist_to_text({"kind": "fixed", "value": 45}) == "45"


def test_it_covers_every_field_of_the_schema_in_exactly_one_section():
    document = simulation.dump_document(simulation.load_scenario({}))
    paths = []
    for section in SECTION_KEYS:
        for group in section_groups(section, document):
            paths += [s.path for s in group.fields] + [s.path for row in group.rows[:1] for s in row]
    tops = {p[0] for p in paths}
    assert tops == set(document) - {"schema", "name"}
    assert len(paths) == len(set(paths))


def test_it_maps_problem_paths_to_the_nearest_form_field():
    document = simulation.dump_document(simulation.load_scenario({}))
    form = SectionForm(section="database", document=document)
    assert form.field_for_path("database.backups.interval_s") == "database__backups__interval_s"
    assert form.field_for_path("database.local_standby_lag_s.p95") == "database__local_standby_lag_s"
    assert form.field_for_path("failover.mode") is None
    topology = SectionForm(section="topology", document=document)
    assert topology.field_for_path("regions[1].app_instances") == "regions__1__app_instances"
