"""The workshop's bounds on compute in web requests: 422 over budget, 429 when busy or too frequent, long
frontiers on the worker with progress."""

from __future__ import annotations

import json
import time

import pytest
from django.urls import reverse

from workshop import budget, jobs
from workshop.models import FrontierJob

MANY_INSTANCES = {"regions[role=primary].app_instances": 500}


def _post(client, url: str, payload: dict, **headers):
    return client.post(url, json.dumps(payload), content_type="application/json", **headers)


def _evaluate_url(workspace) -> str:
    return reverse("workshop_evaluate", args=[workspace.pk])


def _frontier_url(workspace) -> str:
    return reverse("workshop_frontier", args=[workspace.pk])


def _link_csrf(client, token: str) -> dict:
    client.get(reverse("shared_workshop", args=[token]))
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


def test_the_estimate_grows_with_replays_and_instances(scenario):
    import simulation
    from simulation.model.overrides import apply_overrides

    small = budget.simulation_estimate(simulation.load_scenario(scenario.document))
    large = budget.simulation_estimate(apply_overrides(scenario.document, MANY_INSTANCES))
    assert large.replays == small.replays > 0
    assert large.instances > 100 * small.instances // 10 and large.seconds > 10 * small.seconds


def test_an_evaluation_over_the_budget_is_refused_with_422_before_simulating(
    viewer_client, workspace, scenario, settings, monkeypatch
):
    settings.WORKSHOP_REQUEST_BUDGET_S = 1.0
    monkeypatch.setattr("workshop.services.run_figures", lambda *a, **k: pytest.fail("simulated over budget"))
    started = time.perf_counter()
    response = _post(viewer_client, _evaluate_url(workspace), {"scenario_id": scenario.pk, "overrides": MANY_INSTANCES})
    assert time.perf_counter() - started < 1.0
    body = response.json()
    assert response.status_code == 422, body
    message = body["errors"][0]["message"]
    assert "replays of up to 504 app instances" in message and "at most 1 s of simulation" in message
    assert body["estimate"]["seconds"] > body["budget_s"] == 1.0


def test_an_evaluation_within_the_budget_is_computed(viewer_client, workspace, scenario):
    response = _post(viewer_client, _evaluate_url(workspace), {"scenario_id": scenario.pk, "overrides": {}})
    assert response.status_code == 200 and "cards" in response.json()


def test_too_many_computations_a_minute_answer_429_per_user_and_per_link(
    viewer_client, editor_client, anonymous_client, workspace, scenario, share_link, settings, monkeypatch
):
    settings.WORKSHOP_RATE_PER_MINUTE = 2
    monkeypatch.setattr("workshop.views._evaluate", lambda access, data: budget.JsonResponse({"ok": True}))
    body = {"scenario_id": scenario.pk, "overrides": {}}
    statuses = [_post(viewer_client, _evaluate_url(workspace), body).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    refused = _post(viewer_client, _frontier_url(workspace), body)
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert "2 workshop computations a minute" in refused.json()["errors"][0]["message"]
    assert _post(editor_client, _evaluate_url(workspace), body).status_code == 200  # another user: own count
    csrf = _link_csrf(anonymous_client, share_link.token)
    url = reverse("shared_evaluate", args=[share_link.token])
    assert [_post(anonymous_client, url, {}, **csrf).status_code for _ in range(3)] == [200, 200, 429]


def test_a_second_concurrent_computation_of_one_user_or_link_answers_429(
    viewer_client, anonymous_client, workspace, scenario, viewer, share_link, settings
):
    settings.WORKSHOP_CONCURRENT_PER_ACTOR = 1
    body = {"scenario_id": scenario.pk, "overrides": {}}
    with budget.compute_slot(f"user:{viewer.pk}"):  # a computation of this user is under way
        busy = _post(viewer_client, _evaluate_url(workspace), body)
    assert busy.status_code == 429 and busy["Retry-After"] == "5"
    assert "At most 1 workshop computation at once" in busy.json()["errors"][0]["message"]
    assert _post(viewer_client, _evaluate_url(workspace), body).status_code == 200  # the slot was released
    csrf = _link_csrf(anonymous_client, share_link.token)
    with budget.compute_slot(budget.actor_key(None, share_link.token)):
        busy = _post(anonymous_client, reverse("shared_evaluate", args=[share_link.token]), {}, **csrf)
    assert busy.status_code == 429


def test_the_process_keeps_cores_for_other_requests(viewer_client, workspace, scenario, settings):
    settings.WORKSHOP_CONCURRENT_PER_PROCESS, settings.WORKSHOP_PROCESS_WAIT_S = 1, 0.1
    with budget.compute_slot("user:someone-else"):
        busy = _post(viewer_client, _evaluate_url(workspace), {"scenario_id": scenario.pk, "overrides": {}})
    assert busy.status_code == 429 and "computing as much as it can" in busy.json()["errors"][0]["message"]


@pytest.fixture
def queued_jobs(monkeypatch):
    ids: list[int] = []
    monkeypatch.setattr("workshop.tasks.frontier_job.delay", lambda job_id: ids.append(job_id))
    return ids


def test_a_frontier_over_the_request_budget_goes_to_the_worker_with_progress(
    viewer_client, outsider_client, editor_client, workspace, scenario, settings, queued_jobs,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    settings.WORKSHOP_REQUEST_BUDGET_S = 0.01
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(viewer_client, _frontier_url(workspace), {"scenario_id": scenario.pk, "variants": []})
    body = response.json()
    assert response.status_code == 202, body
    assert body["status"] == "queued" and body["progress"] == 0 and body["estimate_s"] > 0.01
    job = FrontierJob.objects.get(pk=body["job_id"])
    assert queued_jobs == [job.pk]
    jobs.job_execute(job_id=job.pk)
    status = viewer_client.get(body["status_url"]).json()
    assert status["status"] == "done" and status["progress"] == 1.0
    assert {"points", "cheapest", "already_met", "fixes"} <= set(status["result"])
    # only who asked sees it: another member and outsiders get 404
    assert editor_client.get(body["status_url"]).status_code == 404
    assert outsider_client.get(body["status_url"]).status_code == 404


def test_a_frontier_job_reports_progress_as_it_goes(workspace, scenario, monkeypatch):
    job = FrontierJob.objects.create(
        workspace=workspace, scenario=scenario, actor="user:1", variants=[["Base", {}]], estimate_s=30
    )
    shares = []
    original = jobs.services.frontier_options

    def spy(**kwargs):
        listener = kwargs["on_progress"]

        def heard(share: float) -> None:
            listener(share)
            shares.append(FrontierJob.objects.get(pk=job.pk).progress)

        return original(**{**kwargs, "on_progress": heard})

    monkeypatch.setattr(jobs.services, "frontier_options", spy)
    jobs.job_execute(job_id=job.pk)
    assert shares == sorted(shares) and 0 < shares[0] < shares[-1] <= 1.0
    job.refresh_from_db()
    assert job.status == FrontierJob.Status.DONE and job.result["points"]


def test_a_frontier_through_a_link_is_polled_through_that_link_only(
    anonymous_client, share_link, workspace, scenario, editor, settings, queued_jobs
):
    settings.WORKSHOP_REQUEST_BUDGET_S = 0.01
    csrf = _link_csrf(anonymous_client, share_link.token)
    response = _post(anonymous_client, reverse("shared_frontier", args=[share_link.token]), {"variants": []}, **csrf)
    assert response.status_code == 202
    status_url = response.json()["status_url"]
    assert anonymous_client.get(status_url).json()["status"] == "queued"
    from workshop.services import sharelink_create

    other = sharelink_create(workspace=workspace, scenario=scenario, user=editor, days=1)
    job_id = response.json()["job_id"]
    assert anonymous_client.get(reverse("shared_frontier_job", args=[other.token, job_id])).status_code == 404


def test_a_frontier_over_the_job_budget_is_refused_with_422(viewer_client, workspace, scenario, settings):
    settings.WORKSHOP_REQUEST_BUDGET_S, settings.WORKSHOP_JOB_BUDGET_S = 0.01, 0.02
    response = _post(viewer_client, _frontier_url(workspace), {"scenario_id": scenario.pk, "variants": []})
    assert response.status_code == 422 and "This frontier would take" in response.json()["errors"][0]["message"]
    assert not FrontierJob.objects.exists()


def test_one_frontier_job_at_a_time_per_user(viewer_client, workspace, scenario, settings, queued_jobs):
    settings.WORKSHOP_REQUEST_BUDGET_S, settings.WORKSHOP_CONCURRENT_PER_ACTOR = 0.01, 1
    body = {"scenario_id": scenario.pk, "variants": []}
    assert _post(viewer_client, _frontier_url(workspace), body).status_code == 202
    second = _post(viewer_client, _frontier_url(workspace), body)
    assert second.status_code == 429 and "already under way" in second.json()["errors"][0]["message"]


def test_a_frontier_job_its_worker_never_finished_stops_counting_and_reads_as_failed(
    viewer_client, workspace, scenario, viewer, settings, queued_jobs
):
    from datetime import timedelta

    from django.utils import timezone

    settings.WORKSHOP_REQUEST_BUDGET_S, settings.WORKSHOP_CONCURRENT_PER_ACTOR = 0.01, 1
    lost = FrontierJob.objects.create(
        workspace=workspace, scenario=scenario, actor=f"user:{viewer.pk}", variants=[], estimate_s=30
    )
    FrontierJob.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(hours=1))
    body = {"scenario_id": scenario.pk, "variants": []}
    assert _post(viewer_client, _frontier_url(workspace), body).status_code == 202
    status = viewer_client.get(reverse("workshop_frontier_job", args=[workspace.pk, lost.pk])).json()
    assert status["status"] == "failed" and "did not finish" in status["error"]
