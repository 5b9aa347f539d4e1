"""A finished run's judged results are cached by run, attempt, finish time, engine version and targets."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from planner.models import Run
from planner.selectors import compare
from planner.selectors.compare import judged_cache_key, run_judged
from planner.services.runs import run_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def _counting_judgements(monkeypatch) -> list[int]:
    calls: list[int] = []
    judge = compare.judged_results

    def counted(*args, **kwargs):
        calls.append(1)
        return judge(*args, **kwargs)

    monkeypatch.setattr(compare, "judged_results", counted)
    return calls


def _results_url(run: Run) -> str:
    return reverse("run_results", args=[run.workspace_id, run.pk])


def test_it_judges_a_finished_run_once_per_targets(done_run, workspace, monkeypatch):
    calls = _counting_judgements(monkeypatch)
    first = run_judged(run=done_run, targets=workspace.targets)
    again = run_judged(run=Run.objects.get(pk=done_run.pk), targets=workspace.targets)
    assert len(calls) == 1 and again == first
    stricter = {**workspace.targets, "rto_s": 0.001}
    judged = run_judged(run=done_run, targets=stricter)
    assert len(calls) == 2 and judged.targets_met is False
    assert judged.scenario["targets"]["rto_s"] == 0.001 and first.scenario["targets"]["rto_s"] != 0.001


def test_the_key_names_the_run_its_attempt_and_finish_time_and_the_targets(done_run, workspace):
    key = judged_cache_key(run=done_run, targets=workspace.targets)
    assert key and f":{done_run.pk}:" in key
    assert judged_cache_key(run=done_run, targets={**workspace.targets, "rpo_s": 1}) != key
    reordered = dict(reversed(list(workspace.targets.items())))
    assert judged_cache_key(run=done_run, targets=reordered) == key
    done_run.attempts += 1
    assert judged_cache_key(run=done_run, targets=workspace.targets) != key


def test_an_unfinished_run_is_not_cached(scenario, owner, workspace):
    run = run_create(scenario=scenario, user=owner, trials=50, seed=1)
    assert judged_cache_key(run=run, targets=workspace.targets) is None


def test_an_unreadable_entry_is_judged_again(done_run, workspace, monkeypatch):
    calls = _counting_judgements(monkeypatch)
    cache.set(judged_cache_key(run=done_run, targets=workspace.targets), {"not": "results"})
    assert run_judged(run=done_run, targets=workspace.targets).targets_met in (True, False)
    assert len(calls) == 1


def test_the_results_page_shown_again_reads_neither_results_nor_outcomes(owner_client, done_run):
    first = owner_client.get(_results_url(done_run))
    with CaptureQueriesContext(connection) as queries:
        again = owner_client.get(_results_url(done_run))
    assert again.status_code == 200 and again.context["cards"] == first.context["cards"]
    assert again.context["figures"] == first.context["figures"]
    selected = " ".join(q["sql"].split(" FROM ")[0] for q in queries.captured_queries)  # the columns read
    assert '"planner_run"."outcomes"' not in selected and '"planner_run"."results"' not in selected


def test_changed_workspace_targets_change_the_page_at_once(owner_client, done_run, workspace):
    assert owner_client.get(_results_url(done_run)).status_code == 200
    workspace.targets = {**workspace.targets, "rto_s": 0.001}
    workspace.save()
    cards = {c["target"]: c for c in owner_client.get(_results_url(done_run)).context["cards"]}
    assert cards["rto"]["met"] is False
