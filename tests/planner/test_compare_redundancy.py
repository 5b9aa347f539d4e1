"""The compare page orders the demo's three multi-region options as more redundancy does: never worse.

The demo loader (``manage.py load_demo``) runs every example; its three multi-region options are the
worked active-passive failover, active-active-read and active-active-full. Judged against a 60 s
recovery target, each option meets it for every infrastructure incident type at least as often as the
option with less redundancy before it, within the verdicts' confidence intervals — the order of
tests/simulation/test_redundancy_direction.py.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from redundancy_order import assert_never_worse

from planner.selectors.compare import options_for
from planner.selectors.scenarios import preset_get
from planner.services.runs import run_create, run_execute
from planner.services.scenarios import scenario_create
from simulation.model.incident_types import incident_label

pytestmark = pytest.mark.slow  # three real runs

DEMO_OPTIONS = ("worked-active-passive", "active-active-read", "active-active-full")  # less → more redundancy
TARGETS = {"rto_s": 60.0, "rpo_s": 3600.0, "availability": 0.99, "monthly_budget_usd": None, "confidence": 0.95}


@pytest.fixture
def demo_runs(workspace, owner):
    workspace.targets = dict(TARGETS)
    workspace.save()
    runs = []
    for slug in DEMO_OPTIONS:
        preset = preset_get(slug=slug)
        scenario = scenario_create(workspace=workspace, name=preset.name, document=preset.document, user=owner)
        runs.append(run_execute(run_id=run_create(scenario=scenario, user=owner, trials=100, seed=7).pk))
    return runs


def test_it_orders_the_demo_options_as_more_redundancy_does(owner_client, workspace, demo_runs):
    assert_never_worse([o.results for o in options_for(runs=demo_runs, targets=workspace.targets)])
    url = reverse("compare_runs", args=[workspace.pk]) + "?" + "&".join(f"runs={r.pk}" for r in demo_runs)
    response = owner_client.get(url)
    assert response.status_code == 200
    rows = {row.label: [cell["text"] for cell in row.cells] for row in response.context["rows"]}
    database = next(cells for label, cells in rows.items() if label.endswith(incident_label("db_primary_failure")))
    assert len(database) == 3
