"""Re-running the scenarios listed in a report with its seeds and trials gives the report's figures exactly."""

from __future__ import annotations

import csv
import io
import json

import pytest

from simulation import dump_document, load_scenario, run
from simulation.engine.plan import scenario_sha256
from simulation.model.loading import canonical_sha256
from simulation.present.report import Option
from simulation.present.report.exporters import CsvExporter, JsonExporter

SCENARIOS = (
    {"name": "Single region", "pattern": "single-region", "failover": {"mode": "manual"}},
    {
        "name": "Active-passive",
        "pattern": "active-passive",
        "app": {"pool": {"max_lifetime_s": None, "validate_on_borrow": False}},
    },
)


@pytest.fixture(scope="module")
def report_json() -> dict:
    options = []
    for i, raw in enumerate(SCENARIOS):
        scenario = load_scenario(raw)
        options.append(
            Option(scenario.name, dump_document(scenario), run(scenario, trials=120, seed=100 + i, years=2000))
        )
    return json.loads(JsonExporter(options, {"chosen": "Active-passive"}).render()[2])


def test_it_reproduces_every_result_from_the_reports_appendix(report_json):
    for option in report_json["options"]:
        recorded = option["results"]
        scenario = load_scenario(option["scenario"])
        again = run(
            scenario,
            trials=recorded["trials_per_type"],
            seed=recorded["seed"],
            years=recorded["years"],
            chunk_size=recorded["chunk_size"],
        )
        assert again.to_json() == recorded


def test_it_hashes_each_snapshot_as_the_engine_does(report_json):
    for option in report_json["options"]:
        scenario = load_scenario(option["scenario"])
        assert option["scenario_sha256"] == scenario_sha256(scenario) == option["results"]["scenario_sha256"]
        assert canonical_sha256(option["scenario"]) == option["scenario_sha256"]


def test_it_reports_different_figures_for_a_different_seed(report_json):
    option = report_json["options"][1]
    recorded = option["results"]
    other = run(
        load_scenario(option["scenario"]),
        trials=recorded["trials_per_type"],
        seed=recorded["seed"] + 1,
        years=recorded["years"],
    )
    assert (
        other.incident_types["db_primary_failure"].rto_s.to_json()
        != recorded["incident_types"]["db_primary_failure"]["rto_s"]
    )


def test_it_writes_the_same_csv_figures_as_the_json(report_json):
    options = [Option(o["label"], o["scenario"], o["results"]) for o in report_json["options"]]
    header, *rows = csv.reader(io.StringIO(CsvExporter(options).render()[2].decode()))
    column = header.index("db_primary_failure.rto_p95 [s]")
    assert len(rows) == len(options)
    for row, option in zip(rows, options):
        assert float(row[column]) == option.results.incident_types["db_primary_failure"].rto_s.p95
