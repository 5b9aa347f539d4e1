"""The report orders the demo's three multi-region options as more redundancy does: never worse.

The worked active-passive failover, active-active-read and active-active-full (the examples the demo
loader runs), judged against the same 60 s recovery target: the report's comparison table shows each
meeting it for every infrastructure incident type at least as often as the option with less redundancy
before it, within the verdicts' confidence intervals (tests/simulation/test_redundancy_direction.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from redundancy_order import INFRASTRUCTURE, assert_never_worse

from simulation import dump_document, load_file, load_scenario, run
from simulation.model.incident_types import incident_label
from simulation.present.report import Option
from simulation.present.report.model import build_report

pytestmark = pytest.mark.slow  # three real runs

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEMO_OPTIONS = ("worked-active-passive.yaml", "active-active-read.yaml", "active-active-full.yaml")
TARGETS = {"rto_s": 60, "rpo_s": 3600, "availability": 0.99, "confidence": 0.95}


def _option(name: str, seed: int) -> Option:
    document = dump_document(load_file(EXAMPLES / name))
    scenario = load_scenario({**document, "targets": TARGETS})
    return Option(scenario.name, dump_document(scenario), run(scenario, trials=100, seed=seed, years=500))


def test_it_orders_the_demo_options_as_more_redundancy_does():
    options = [_option(name, seed) for seed, name in enumerate(DEMO_OPTIONS)]
    table = build_report(options)["comparison"]
    rows = {row["label"]: [cell["text"] for cell in row["cells"]] for row in table["rows"]}
    for incident_type in INFRASTRUCTURE:
        shown = rows[f"RTO target — {incident_label(incident_type)}"]
        assert len(shown) == 3 and all(text.endswith(("(met)", "(missed)")) for text in shown)
    assert_never_worse([o.results for o in options])
