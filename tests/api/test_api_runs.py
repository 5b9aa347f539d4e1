"""Runs through the API: start, progress, results judged on the workspace's targets, check, cancel, compare."""

from __future__ import annotations

from planner.models import Run
from planner.services.runs import run_execute


def test_start_watch_and_read_a_run(editor_write, workspace, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        started = editor_write.post(
            f"/api/workspaces/{workspace.pk}/runs", {"yaml": "pattern: single-region\n", "trials": 30, "seed": 9}
        )
    assert started.status_code == 202, started.content
    run_id = started.json()["id"]
    assert started.json()["status"] == "queued" and started.json()["scenario_id"] is None
    not_yet = editor_write.get(f"/api/workspaces/{workspace.pk}/runs/{run_id}/results")
    assert not_yet.status_code == 422 and not_yet.json()["problems"][0]["path"] == "run"
    run_execute(run_id=run_id)
    status = editor_write.get(f"/api/workspaces/{workspace.pk}/runs/{run_id}").json()
    assert status["status"] == "done" and status["progress"] == 1.0
    results = editor_write.get(f"/api/workspaces/{workspace.pk}/runs/{run_id}/results").json()
    assert results["seed"] == 9 and results["trials_per_type"] == 30
    assert results["scenario"]["targets"]["rto_s"] == workspace.targets["rto_s"]


def test_check_follows_the_workspace_targets(editor_write, workspace, done_run):
    url = f"/api/workspaces/{workspace.pk}/runs/{done_run.pk}/check"
    strict = {"rto_s": 1, "rpo_s": 0, "availability": 0.999999, "confidence": 0.95}
    assert editor_write.put(f"/api/workspaces/{workspace.pk}/targets", strict).status_code == 200
    body = editor_write.get(url).json()
    assert body["targets_met"] is False and body["targets"]["rto_s"] == 1
    assert any(not v["met"] for v in body["verdicts"])
    lax = {"rto_s": 10**8, "rpo_s": 10**8, "availability": 0.01, "confidence": 0.5}
    assert editor_write.put(f"/api/workspaces/{workspace.pk}/targets", lax).status_code == 200
    assert editor_write.get(url).json()["targets_met"] is True  # no re-run: the same outcomes judged again


def test_targets_are_validated(editor_write, workspace):
    response = editor_write.put(f"/api/workspaces/{workspace.pk}/targets", {"rto_s": -5, "rpo_s": 0, "availability": 2})
    assert response.status_code == 422
    assert "rto_s" in response.content.decode() and "availability" in response.content.decode()


def test_cancel_and_quota(editor_write, workspace, settings, django_capture_on_commit_callbacks):
    settings.RUNS_ACTIVE_PER_WORKSPACE = 1
    url = f"/api/workspaces/{workspace.pk}/runs"
    with django_capture_on_commit_callbacks(execute=False):
        first = editor_write.post(url, {"document": {"pattern": "single-region"}, "trials": 10})
        assert editor_write.post(url, {"document": {"pattern": "single-region"}, "trials": 10}).status_code == 429
    cancelled = editor_write.post(f"{url}/{first.json()['id']}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    assert Run.objects.get(pk=first.json()["id"]).status == Run.Status.CANCELLED


def test_trials_are_bounded(editor_write, workspace):
    response = editor_write.post(f"/api/workspaces/{workspace.pk}/runs", {"scenario_id": 1, "trials": 10**7})
    assert response.status_code == 422 and response.json()["problems"][0]["path"] == "trials"


def test_compare_and_pagination(editor_read, workspace, done_run, second_run):
    body = editor_read.get(f"/api/workspaces/{workspace.pk}/compare?runs={done_run.pk}&runs={second_run.pk}").json()
    assert [o["run_id"] for o in body["options"]] == [done_run.pk, second_run.pk]
    assert body["rows"] and all(len(row["cells"]) == 2 for row in body["rows"])
    one = editor_read.get(f"/api/workspaces/{workspace.pk}/compare?runs={done_run.pk}")
    assert one.status_code == 422 and one.json()["problems"][0]["path"] == "runs"
    page = editor_read.get(f"/api/workspaces/{workspace.pk}/runs?limit=1&offset=1").json()
    assert page["count"] == 2 and len(page["items"]) == 1
