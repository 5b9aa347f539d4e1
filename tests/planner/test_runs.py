"""Runs: immutable snapshot, enqueue after commit, idempotent chunked execution, cancel, progress JSON."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

import simulation
from planner.models import Run
from planner.services import runs as run_services
from planner.services.runs import run_cancel, run_create, run_execute
from planner.services.scenarios import scenario_update


@pytest.fixture
def queued(scenario, owner):
    return run_create(scenario=scenario, user=owner, trials=60, seed=11)


@pytest.fixture
def enqueued(monkeypatch):
    """Run ids handed to the broker (instead of a real broker)."""
    ids = []
    monkeypatch.setattr("planner.tasks.run_scenario.apply_async", lambda args, **kw: ids.append(args[0]))
    return ids


def test_it_snapshots_the_full_document_seed_trials_and_engine_version(queued, scenario):
    assert queued.snapshot == scenario.document
    assert queued.snapshot["app"]["pool"]["max_size"] == 20  # defaults filled in
    assert (queued.seed, queued.trials, queued.engine_version) == (11, 60, simulation.ENGINE_VERSION)
    assert queued.status == Run.Status.QUEUED


def test_it_keeps_the_snapshot_when_the_scenario_changes_later(queued, scenario, owner):
    document = {**scenario.document, "traffic": {**scenario.document["traffic"], "request_rate_rps": 900}}
    scenario_update(scenario=scenario, user=owner, document=document)
    queued.refresh_from_db()
    assert queued.snapshot["traffic"]["request_rate_rps"] == 500


def test_it_enqueues_only_after_the_transaction_commits(scenario, owner, enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = run_create(scenario=scenario, user=owner, trials=10, seed=1)
    assert enqueued == []
    for callback in callbacks:
        callback()
    assert enqueued == [run.pk]


def test_it_fails_the_run_with_the_reason_when_the_broker_is_unreachable(
    scenario, owner, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr("planner.tasks.run_scenario.apply_async", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        run = run_create(scenario=scenario, user=owner, trials=10, seed=1)
    run.refresh_from_db()
    assert run.status == Run.Status.FAILED and "broker down" in run.error


def test_it_executes_chunk_by_chunk_and_saves_the_results(queued):
    run = run_execute(run_id=queued.pk)
    assert run.status == Run.Status.DONE, run.error
    assert run.progress == 1.0 and run.chunks_done == run.chunks_total > 1
    assert run.results["seed"] == 11 and run.results["trials_per_type"] == 60
    assert run.results["scenario"] == run.snapshot
    assert run.started_at <= run.finished_at


def test_it_does_nothing_when_a_finished_run_is_delivered_again(queued, monkeypatch):
    done = run_execute(run_id=queued.pk)
    monkeypatch.setattr("simulation.run_chunk", lambda *a: pytest.fail("ran again"))
    again = run_execute(run_id=queued.pk)
    assert (again.status, again.results, again.finished_at) == (Run.Status.DONE, done.results, done.finished_at)


def test_it_restarts_a_run_found_running_with_a_stale_heartbeat_from_scratch(queued):
    expected = run_execute(run_id=queued.pk).results
    long_ago = timezone.now() - timedelta(hours=1)
    Run.objects.filter(pk=queued.pk).update(
        status=Run.Status.RUNNING, chunks_done=3, progress=0.4, results=None, heartbeat_at=long_ago
    )
    run = run_execute(run_id=queued.pk)
    assert run.status == Run.Status.DONE and run.results == expected  # same numbers, not doubled
    assert run.attempts == 2


def test_it_leaves_a_run_whose_worker_is_alive_to_that_worker(queued):
    """A duplicate message for a run another worker is computing (fresh heartbeat) does nothing."""
    Run.objects.filter(pk=queued.pk).update(status=Run.Status.RUNNING, attempts=1, heartbeat_at=timezone.now())
    run = run_execute(run_id=queued.pk)
    assert (run.status, run.attempts, run.results) == (Run.Status.RUNNING, 1, None)


def test_it_stops_between_chunks_when_cancelled(queued, monkeypatch):
    import simulation as montecarlo

    calls = []
    real_chunk = montecarlo.run_chunk

    def chunk_then_cancel(scenario, plan, index):
        calls.append(index)
        Run.objects.filter(pk=queued.pk).update(status=Run.Status.CANCELLED)
        return real_chunk(scenario, plan, index)

    monkeypatch.setattr(montecarlo, "run_chunk", chunk_then_cancel)
    run = run_execute(run_id=queued.pk)
    assert calls == [0]
    assert run.status == Run.Status.CANCELLED and run.results is None


def test_it_records_an_engine_failure_on_the_run(queued, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("model exploded")

    monkeypatch.setattr("simulation.finish_run_with_outcomes", boom)
    run = run_execute(run_id=queued.pk)
    assert run.status == Run.Status.FAILED and run.error == "RuntimeError: model exploded"


def test_it_writes_progress_and_an_eta_after_each_chunk(queued, monkeypatch):
    seen = []
    original = run_services._progress_write

    def spy(run_id, attempt, **kwargs):
        original(run_id, attempt, **kwargs)
        seen.append(Run.objects.values_list("chunks_done", "progress", "eta_s").get(pk=run_id))

    monkeypatch.setattr(run_services, "_progress_write", spy)
    run = run_execute(run_id=queued.pk)
    assert [s[0] for s in seen] == list(range(1, run.chunks_total + 1))
    progress = [s[1] for s in seen]
    assert progress == sorted(progress) and 0 < progress[0] < progress[-1] < 1
    assert all(s[2] is not None and s[2] >= 0 for s in seen)


def test_it_cancels_only_unfinished_runs(queued):
    assert run_cancel(run=queued) is True
    assert queued.status == Run.Status.CANCELLED and queued.finished_at is not None
    assert run_cancel(run=queued) is False


def test_it_starts_a_run_from_the_scenario_page(owner_client, scenario, enqueued, django_capture_on_commit_callbacks):
    url = reverse("run_start", args=[scenario.workspace_id, scenario.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(url, {"trials": "full", "seed": "123"})
    run = Run.objects.get()
    assert response["Location"] == reverse("run_detail", args=[scenario.workspace_id, run.pk])
    assert (run.trials, run.seed, run.created_by.username) == (20_000, 123, "alice")
    assert enqueued == [run.pk]


def test_it_rejects_a_negative_seed(owner_client, scenario):
    owner_client.post(
        reverse("run_start", args=[scenario.workspace_id, scenario.pk]), {"trials": "quick", "seed": "-1"}
    )
    assert not Run.objects.exists()


def test_it_serves_progress_as_json(owner_client, queued):
    url = reverse("run_progress", args=[queued.workspace_id, queued.pk])
    assert owner_client.get(url).json() == {
        "id": queued.pk,
        "status": "queued",
        "progress": 0.0,
        "chunks_done": 0,
        "chunks_total": 0,
        "eta_s": None,
        "error": "",
        "finished": False,
        "results_url": None,
        "phase": "",
    }
    run_execute(run_id=queued.pk)
    data = owner_client.get(url).json()
    assert data["finished"] and data["results_url"] == reverse("run_results", args=[queued.workspace_id, queued.pk])


def test_it_shows_a_progress_bar_and_a_cancel_button(owner_client, member_client, queued):
    url = reverse("run_detail", args=[queued.workspace_id, queued.pk])
    page = owner_client.get(url).content.decode()
    assert "<progress" in page and "Cancel the run" in page and "progress.json" in page
    assert "Cancel the run" not in member_client.get(url).content.decode()


def test_it_shows_the_error_of_a_failed_run(owner_client, queued):
    Run.objects.filter(pk=queued.pk).update(status=Run.Status.FAILED, error="Something specific broke")
    page = owner_client.get(reverse("run_detail", args=[queued.workspace_id, queued.pk])).content.decode()
    assert "Something specific broke" in page


def test_it_cancels_from_the_run_page(owner_client, queued):
    owner_client.post(reverse("run_cancel", args=[queued.workspace_id, queued.pk]))
    queued.refresh_from_db()
    assert queued.status == Run.Status.CANCELLED


def test_it_lists_the_runs_of_a_workspace(owner_client, queued):
    page = owner_client.get(reverse("run_list", args=[queued.workspace_id])).content.decode()
    assert f"#{queued.pk}" in page and "Queued" in page


def test_it_saves_results_made_elsewhere_as_a_finished_run(scenario, owner):
    results = simulation.run(
        simulation.load_scenario(scenario.document), trials=8, seed=7, years=20, chunk_size=8, checklist=False
    )
    run = run_services.run_create_finished(scenario=scenario, user=owner, name="Variant", results=results)
    assert (run.status, run.progress, run.workspace, run.created_by) == (
        Run.Status.DONE,
        1.0,
        scenario.workspace,
        owner,
    )
    assert (run.snapshot, run.seed, run.trials, run.scenario_name) == (results.scenario, 7, 8, "Variant")
    assert run.results == results.to_json()
    assert run.engine_version == simulation.ENGINE_VERSION and run.started_at == run.finished_at


def test_it_refuses_a_run_past_the_workspace_quota_with_a_clear_message(owner_client, scenario, settings, enqueued):
    settings.RUNS_ACTIVE_PER_WORKSPACE = 2
    url = reverse("run_start", args=[scenario.workspace_id, scenario.pk])
    for seed in ("1", "2"):
        assert owner_client.post(url, {"trials": "quick", "seed": seed}).status_code == 302
    response = owner_client.post(url, {"trials": "quick", "seed": "3"}, follow=True)
    assert Run.objects.count() == 2
    assert (
        "No run started: This workspace already has 2 runs queued or running (at most 2)" in response.content.decode()
    )


def test_it_frees_quota_when_a_run_finishes_or_is_cancelled(scenario, owner, settings, enqueued):
    settings.RUNS_ACTIVE_PER_WORKSPACE = 1
    first = run_create(scenario=scenario, user=owner, trials=10, seed=1)
    with pytest.raises(run_services.RunQuotaExceeded):
        run_create(scenario=scenario, user=owner, trials=10, seed=1)
    run_cancel(run=first)
    assert run_create(scenario=scenario, user=owner, trials=10, seed=1).status == Run.Status.QUEUED


def test_a_double_submission_starts_one_run(owner_client, scenario, enqueued):
    url = reverse("run_start", args=[scenario.workspace_id, scenario.pk])
    first = owner_client.post(url, {"trials": "quick", "seed": "5"})
    second = owner_client.post(url, {"trials": "quick", "seed": "5"})
    assert Run.objects.count() == 1 and first["Location"] == second["Location"]


def test_the_finishing_step_reports_its_own_progress(queued, monkeypatch):
    seen = []
    real = run_services._finishing_progress

    def spy(run_id, attempt):
        write = real(run_id, attempt)

        def record(done, total):
            write(done, total)
            seen.append((done, total, Run.objects.get(pk=run_id).progress))

        return record

    monkeypatch.setattr(run_services, "_finishing_progress", spy)
    run_execute(run_id=queued.pk)
    assert seen[0][:2] == (1, 9) and seen[-1][:2] == (9, 9)
    progress = [p for _, _, p in seen]
    assert progress == sorted(progress) and 0.95 < progress[0] < progress[-1] < 1
