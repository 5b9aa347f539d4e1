"""Comparing 2–5 finished runs against the workspace's targets, and naming the cheapest that meets them."""

from __future__ import annotations

import copy

import pytest
from django.urls import reverse

from planner.models import Run
from planner.selectors.compare import (
    ComparisonError,
    cheapest_meeting_targets,
    cheapest_sentence,
    comparison_rows,
    judged_results,
    options_for,
    runs_to_compare,
)
from planner.services.runs import run_create, run_execute
from planner.services.scenarios import scenario_create
from planner.services.workspaces import workspace_create
from simulation import load_scenario
from simulation import run as run_engine

TRIALS = 200
LOOSE_TARGETS = {
    "rto_s": 30 * 86_400.0,
    "rpo_s": 30 * 86_400.0,
    "availability": 0.5,
    "monthly_budget_usd": None,
    "confidence": 0.5,
}


@pytest.fixture(scope="module")
def engine_results() -> dict:
    """Real results of the default scenario as stored (their JSON), computed once; tests derive options from copies."""
    return run_engine(load_scenario({"name": "Active-passive"}), trials=TRIALS, seed=21, years=2000).to_json()


def _run(workspace, scenario, results: dict, *, status: str = Run.Status.DONE) -> Run:
    return Run.objects.create(
        workspace=workspace,
        scenario=scenario,
        scenario_name=scenario.name,
        snapshot=scenario.document,
        seed=results["seed"],
        trials=TRIALS,
        engine_version=results["engine_version"],
        status=status,
        progress=1.0 if status == Run.Status.DONE else 0.0,
        results=results if status == Run.Status.DONE else None,
    )


def _priced(results: dict, *, premium: float, outage: float, infrastructure: float) -> dict:
    """A copy of real results with other monthly costs (as a cheaper or dearer option would have)."""
    priced = copy.deepcopy(results)
    priced["costs"].update(
        premium_usd_per_month=premium,
        expected_outage_usd_per_month=outage,
        infrastructure_usd_per_month=infrastructure,
        total_usd_per_month=infrastructure + outage,
    )
    return priced


@pytest.fixture
def loose_workspace(workspace):
    workspace.targets = dict(LOOSE_TARGETS)
    workspace.save()
    return workspace


def _url(workspace, runs) -> str:
    return reverse("compare_runs", args=[workspace.pk]) + "?" + "&".join(f"runs={r.pk}" for r in runs)


def test_it_names_the_cheapest_option_by_premium_plus_expected_outage(loose_workspace, scenario, engine_results):
    # B has the lowest total (infrastructure + outage) but A the lowest premium + expected outage cost
    a = _run(loose_workspace, scenario, _priced(engine_results, premium=1000, outage=500, infrastructure=9000))
    b = _run(loose_workspace, scenario, _priced(engine_results, premium=1200, outage=400, infrastructure=4000))
    c = _run(loose_workspace, scenario, _priced(engine_results, premium=5000, outage=100, infrastructure=12000))
    options = options_for(runs=[a, b, c], targets=loose_workspace.targets)
    assert all(o.targets_met for o in options)
    assert cheapest_meeting_targets(options).run == a
    sentence = cheapest_sentence(options)
    assert sentence.startswith(f"{scenario.name} (run {a.pk}) meets all targets")
    assert "1,500 USD/month" in sentence


def test_it_skips_cheaper_options_that_miss_a_target(loose_workspace, scenario, engine_results):
    cheap = _priced(engine_results, premium=100, outage=100, infrastructure=3000)
    dear = _priced(engine_results, premium=4000, outage=100, infrastructure=8000)
    loose_workspace.targets = {**LOOSE_TARGETS, "monthly_budget_usd": 5000}
    loose_workspace.save()
    runs = [_run(loose_workspace, scenario, dear), _run(loose_workspace, scenario, cheap)]
    options = options_for(runs=runs, targets=loose_workspace.targets)
    assert [o.targets_met for o in options] == [False, True]  # the dear one is over the budget
    assert cheapest_meeting_targets(options).run == runs[1]


def test_it_says_so_when_no_option_meets_the_targets(workspace, scenario, engine_results):
    workspace.targets = {**LOOSE_TARGETS, "rto_s": 0.001}
    workspace.save()
    runs = [_run(workspace, scenario, engine_results), _run(workspace, scenario, engine_results)]
    options = options_for(runs=runs, targets=workspace.targets)
    assert cheapest_meeting_targets(options) is None
    assert cheapest_sentence(options).startswith("None of these options meets")


def test_it_rejudges_stored_results_against_the_workspace_targets(engine_results):
    strict = judged_results(engine_results, {**LOOSE_TARGETS, "rto_s": 0.001})
    loose = judged_results(engine_results, LOOSE_TARGETS)
    assert not strict.targets_met and loose.targets_met
    assert strict.scenario["targets"]["rto_s"] == 0.001  # the charts' target line follows
    assert engine_results["scenario"]["targets"]["rto_s"] == 300  # the stored results stay as they were


def test_it_keeps_the_engines_order_of_incident_types_whatever_the_database_returns(engine_results):
    shuffled = copy.deepcopy(engine_results)
    shuffled["incident_types"] = dict(sorted(shuffled["incident_types"].items(), key=lambda kv: len(kv[0])))
    judged = judged_results(shuffled, LOOSE_TARGETS)  # PostgreSQL's jsonb orders keys by length like this
    assert list(judged.incident_types) == list(engine_results["incident_types"])


def test_it_puts_verdicts_and_key_figures_side_by_side(loose_workspace, scenario, engine_results):
    runs = [_run(loose_workspace, scenario, engine_results), _run(loose_workspace, scenario, engine_results)]
    rows = comparison_rows(options_for(runs=runs, targets=loose_workspace.targets))
    labels = [row.label for row in rows]
    assert any(label.startswith("Recovery time ≤ 30 d: ") for label in labels)
    assert "Premium + expected outage per month" in labels
    assert all(len(row.cells) == 2 for row in rows)
    assert all(cell["met"] is True for row in rows if row.is_verdict for cell in row.cells)


@pytest.mark.parametrize("count", [1, 6])
def test_it_needs_two_to_five_runs(workspace, scenario, engine_results, count):
    runs = [_run(workspace, scenario, engine_results) for _ in range(count)]
    with pytest.raises(ComparisonError):
        runs_to_compare(workspace=workspace, run_ids=[r.pk for r in runs])


def test_it_refuses_unfinished_runs_and_runs_of_other_workspaces(workspace, scenario, owner, engine_results):
    other = workspace_create(name="Other", user=owner)
    other_scenario = scenario_create(workspace=other, name="Elsewhere", document={}, user=owner)
    mine = _run(workspace, scenario, engine_results)
    queued = _run(workspace, scenario, engine_results, status=Run.Status.QUEUED)
    foreign = _run(other, other_scenario, engine_results)
    for second in (queued, foreign):
        with pytest.raises(ComparisonError, match=str(second.pk)):
            runs_to_compare(workspace=workspace, run_ids=[mine.pk, second.pk])


@pytest.mark.slow
def test_it_compares_runs_the_engine_really_made(owner_client, workspace, scenario, owner):
    single = scenario_create(
        workspace=workspace, name="Single region", document={"pattern": "single-region"}, user=owner
    )
    runs = [
        run_execute(run_id=run_create(scenario=s, user=owner, trials=TRIALS, seed=3).pk) for s in (scenario, single)
    ]
    response = owner_client.get(_url(workspace, runs))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="compare-conclusion"' in html and 'id="chart-frontier"' in html
    figures = response.context["figures"]
    assert any(key.startswith("chart-ecdf-") for key in figures)
    assert [o.run.pk for o in response.context["options"]] == [r.pk for r in runs]


def test_it_offers_only_finished_runs_in_the_form(owner_client, workspace, scenario, engine_results):
    done = _run(workspace, scenario, engine_results)
    queued = _run(workspace, scenario, engine_results, status=Run.Status.QUEUED)
    response = owner_client.get(reverse("compare_runs", args=[workspace.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'name="runs" value="{done.pk}"' in html
    assert f'name="runs" value="{queued.pk}"' not in html


def test_it_explains_a_bad_selection(owner_client, workspace, scenario, engine_results):
    run = _run(workspace, scenario, engine_results)
    response = owner_client.get(_url(workspace, [run]))
    assert response.status_code == 400
    assert "Pick at least 2" in response.content.decode()
    assert owner_client.get(reverse("compare_runs", args=[workspace.pk]) + "?runs=x&runs=y").status_code == 400


def test_it_lets_a_viewer_compare(member_client, workspace, scenario, engine_results):
    runs = [_run(workspace, scenario, engine_results), _run(workspace, scenario, engine_results)]
    assert member_client.get(_url(workspace, runs)).status_code == 200


def test_it_hides_the_comparison_from_an_outsider(outsider_client, workspace, scenario, engine_results):
    runs = [_run(workspace, scenario, engine_results), _run(workspace, scenario, engine_results)]
    assert outsider_client.get(_url(workspace, runs)).status_code == 404


def test_it_shows_only_the_scenario_settings_that_differ():
    from simulation.present.report.tables import only_differences

    a = {"name": "A", "pattern": "active-passive", "app": {"pool": {"validate_on_borrow": False, "max_size": 20}}}
    b = {"name": "B", "pattern": "active-passive", "app": {"pool": {"validate_on_borrow": True, "max_size": 20}}}
    assert only_differences([a, b]) == [{"path": "app.pool.validate_on_borrow", "values": ["no", "yes"]}]


def test_it_lets_long_settings_wrap_at_their_dots_and_underscores_and_still_escapes_them():
    from planner.templatetags.planner_format import word_breaks

    assert word_breaks("app.pool.max_size") == "app.<wbr>pool.<wbr>max_<wbr>size"
    assert word_breaks("lognormal(p95=0.05") == "lognormal(<wbr>p95=<wbr>0.05"
    assert word_breaks("<b>x</b>.y") == "&lt;b&gt;x&lt;/b&gt;.<wbr>y"
