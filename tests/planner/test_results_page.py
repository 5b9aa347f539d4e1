"""The results page of a finished run: verdicts against the workspace's targets, charts, tables, access."""

from __future__ import annotations

import json
import re
from pathlib import Path

import plotly
import pytest
from django.conf import settings
from django.urls import reverse

from planner.models import Run
from planner.services.runs import run_create, run_execute
from planner.services.scenarios import scenario_create
from simulation.engine.results import RunResults
from simulation.model.incident_types import KINDS_BY_KEY
from simulation.present.chartdata import active_types
from simulation.present.format import format_sample_size

TRIALS = 200


@pytest.fixture
def finished_run(scenario, owner):
    """A run of the workspace's scenario, executed by the real service and engine."""
    run = run_create(scenario=scenario, user=owner, trials=TRIALS, seed=5)
    run = run_execute(run_id=run.pk)
    assert run.status == Run.Status.DONE, run.error
    return run


def _url(run: Run) -> str:
    return reverse("run_results", args=[run.workspace_id, run.pk])


def _figures(response) -> dict:
    match = re.search(
        r'<script id="chart-figures" type="application/json">(.*?)</script>', response.content.decode(), re.S
    )
    assert match, "the page embeds its figures with json_script"
    return json.loads(match.group(1))


def test_it_shows_a_verdict_card_per_target(owner_client, finished_run):
    response = owner_client.get(_url(finished_run))
    assert response.status_code == 200
    cards = response.context["cards"]
    assert [c["target"] for c in cards] == ["rto", "rpo", "availability", "budget"]
    html = response.content.decode()
    assert "Recovery time ≤ 5 min" in html  # the workspace's default RTO of 300 s
    assert "95 % interval" in html
    assert "No monthly budget is set" in html


def test_it_judges_against_the_workspace_targets_not_the_scenarios(owner_client, finished_run, workspace):
    workspace.targets = {**workspace.targets, "rto_s": 0.001, "monthly_budget_usd": 1.0}
    workspace.save()
    response = owner_client.get(_url(finished_run))
    cards = {c["target"]: c for c in response.context["cards"]}
    assert cards["rto"]["met"] is False
    assert cards["budget"]["met"] is False and "over the budget" in cards["budget"]["summary"]
    assert "misses at least one of the workspace" in response.content.decode()
    assert finished_run.results["scenario"]["targets"]["rto_s"] == 300  # the stored results are untouched


def test_it_embeds_the_charts_with_the_target_line(owner_client, finished_run):
    figures = _figures(owner_client.get(_url(finished_run)))
    assert {"chart-rto", "chart-downtime", "chart-cost"} <= {k for k, v in figures.items() if v}
    rto_names = [trace["name"] for trace in figures["chart-rto"]["data"]]
    assert "RTO target (5 min)" in rto_names
    assert len(rto_names) == len(active_types(RunResults.from_json(finished_run.results))) + 1


def test_it_lists_the_key_figures_of_every_active_incident_type(owner_client, finished_run):
    response = owner_client.get(_url(finished_run))
    rows = response.context["key_figures"]
    active = set(active_types(RunResults.from_json(finished_run.results)))
    assert [r["label"] for r in rows] == [kind.label for t, kind in KINDS_BY_KEY.items() if t in active]
    html = response.content.decode()
    assert 'id="key-figures-h"' in html and "RTO p95" in html


def test_it_shows_the_cost_breakdown_and_the_checklist(owner_client, finished_run):
    response = owner_client.get(_url(finished_run))
    html = response.content.decode()
    for label in ("Infrastructure", "Premium over the workspace baseline", "Expected outage cost", "Total"):
        assert label in html
    checklist = response.context["checklist"]
    assert [item["number"] for item in checklist] == list(range(1, 9))
    for item in checklist:
        if not item["answer"] and item["cost_usd_per_month"] is not None:
            assert item["cost_text"].endswith("/month")


def test_it_loads_plotly_from_our_own_static_files(owner_client, finished_run):
    html = owner_client.get(_url(finished_run)).content.decode()
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert any(src.endswith("vendor/plotly/plotly-basic.min.js") for src in scripts)
    assert all(src.startswith(settings.STATIC_URL) or src.startswith("/" + settings.STATIC_URL) for src in scripts)
    vendored = Path(settings.BASE_DIR, "static", "vendor", "plotly", "plotly-basic.min.js")
    shipped = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    version = re.compile(rb"plotly\.js (?:\(basic - minified\) )?(v[0-9.]+)")
    assert version.search(vendored.read_bytes()[:300])[1] == version.search(shipped.read_bytes()[:300])[1]


def test_it_lets_a_viewer_see_the_results(member_client, finished_run):
    assert member_client.get(_url(finished_run)).status_code == 200


def test_it_hides_the_results_from_an_outsider(outsider_client, finished_run):
    assert outsider_client.get(_url(finished_run)).status_code == 404


def test_it_sends_an_anonymous_visitor_to_log_in(client, finished_run):
    response = client.get(_url(finished_run))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_it_sends_an_unfinished_run_to_its_progress_page(owner_client, scenario, owner):
    run = run_create(scenario=scenario, user=owner, trials=TRIALS, seed=5)
    response = owner_client.get(_url(run))
    assert response.status_code == 302
    assert response["Location"] == reverse("run_detail", args=[run.workspace_id, run.pk])


def test_it_says_which_incident_types_the_targets_leave_out(owner_client, workspace, owner):
    scoped = scenario_create(
        workspace=workspace,
        name="Failover only",
        user=owner,
        document={"targets": {"applies_to": ["db_primary_failure", "region_outage"]}},
    )
    run = run_execute(run_id=run_create(scenario=scoped, user=owner, trials=TRIALS, seed=9).pk)
    cards = {c["target"]: c for c in owner_client.get(_url(run)).context["cards"]}
    assert [line["label"] for line in cards["rto"]["lines"]] == ["Primary database failure", "Region outage"]
    assert "App instance crash" in cards["rto"]["not_judged"]
    assert "Region outage" not in cards["rpo"]["not_judged"]


def test_it_shows_conflicting_transactions_next_to_lost_ones(owner_client, finished_run):
    html = owner_client.get(_url(finished_run)).content.decode()
    lost = html.index("Lost transactions per year (mean)")
    assert lost < html.index("Conflicting transactions per year (mean)")
    assert "conflicting transactions" in html  # in the expected outage cost's detail


def test_it_says_when_a_replayed_incident_is_not_recovered_within_the_horizon(owner_client, workspace, owner):
    from simulation.engine.replays import HORIZON_S
    from simulation.model.incident_types import INCIDENT_TYPES

    quiet = {t: {"rate_per_year": 0} for t in INCIDENT_TYPES if t not in ("db_primary_failure", "bad_deploy")}
    document = {
        "name": "never repaired",
        "pattern": "single-region",
        "regions": [{"name": "a"}],
        "database": {
            "local_standby": "none",
            "backups": {"kind": "none"},
            "node_repair_s": {"kind": "fixed", "value": 3 * HORIZON_S},
        },
        "deployment": {"deploys_per_month": 0},
        "incidents": quiet,
    }
    scenario = scenario_create(workspace=workspace, user=owner, name="never repaired", document=document)
    run = run_execute(run_id=run_create(scenario=scenario, user=owner, trials=20, seed=3).pk)
    response = owner_client.get(_url(run))
    html = response.content.decode()
    assert (
        "not recovered within the replay&#x27;s horizon" in html or "not recovered within the replay's horizon" in html
    )
    assert "not over within 14 d" in html
    replay = _figures(response)["chart-replay-p50"]
    assert max(replay["data"][1]["x"]) * 3600 <= HORIZON_S + 1e-6  # hours on the axis, none beyond the horizon


def test_it_says_how_many_independent_years_the_annual_figures_are_worth(owner_client, finished_run):
    results = RunResults.from_json(finished_run.results)
    page = owner_client.get(_url(finished_run)).content.decode()
    expected = format_sample_size(results.annual.sample_size, results.years)
    assert "independent years for the mean downtime" in expected
    assert f'id="sample-size">Annual figures: {expected}</p>' in page.replace("&#x27;", "'")


def test_it_embeds_the_figures_as_json_script_would():
    from django.utils.html import json_script

    from planner.templatetags.chart_data import json_data

    value = {"name": "</script><a href='x'>&amp;</a>", "x": [1.5, 2], "when": "ünïcode ≤ 5 min"}
    assert json_data(value, "chart-figures") == json_script(value, "chart-figures")
