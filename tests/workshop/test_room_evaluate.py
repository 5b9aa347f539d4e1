"""One move of the room: every option's quick run in one answer, positions computed ahead from the cache."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from workshop import prefetch, services


@pytest.fixture
def session(two_option_session):
    return two_option_session


def _url(session) -> str:
    return reverse("room_evaluate_all", args=[session.workspace_id, session.pk])


def _post(client, session, body):
    return client.post(_url(session), json.dumps(body), content_type="application/json")


def _options(session, overrides):
    return [{"scenario_id": pk, "overrides": overrides} for pk in session.options]


def test_every_option_answers_at_once_with_what_each_would_answer_alone(viewer_client, session):
    moved = {"failover.detection.interval_s": 5}
    response = _post(viewer_client, session, {"options": _options(session, moved)})
    assert response.status_code == 200, response.content
    answers = response.json()["options"]
    assert len(answers) == 2
    for pk, answer in zip(session.options, answers, strict=True):
        alone = viewer_client.post(
            reverse("workshop_evaluate", args=[session.workspace_id]),
            json.dumps({"scenario_id": pk, "overrides": moved}),
            content_type="application/json",
        ).json()
        assert answer["cards"] == alone["cards"] and answer["key"] == alone["key"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 400),
        ({"options": []}, 400),
        ({"options": [{"scenario_id": 999_999, "overrides": {}}]}, 400),
        ({"options": [{"scenario_id": "x", "overrides": {}}]}, 400),
        ({"options": "all"}, 400),
        ({"ahead": "next"}, 400),
    ],
)
def test_a_body_it_cannot_use_is_refused_naming_the_field(viewer_client, session, body, status):
    if "ahead" in body:
        body = {**body, "options": _options(session, {})}
    response = _post(viewer_client, session, body)
    assert response.status_code == status
    assert response.json()["errors"]


def test_an_override_it_does_not_allow_is_a_422_naming_it(viewer_client, session):
    response = _post(viewer_client, session, {"options": _options(session, {"incidents.region_outage": 9})})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "incidents.region_outage"


def test_outsiders_get_nothing(outsider_client, session):
    assert _post(outsider_client, session, {"options": _options(session, {})}).status_code in (403, 404)


def test_an_answer_the_cache_holds_counts_against_no_limit(viewer_client, session, settings):
    body = {"options": _options(session, {})}
    assert _post(viewer_client, session, body).status_code == 200
    settings.WORKSHOP_RATE_PER_MINUTE = 0  # any computation would now be refused
    assert _post(viewer_client, session, body).status_code == 200
    moved = {"options": _options(session, {"failover.detection.interval_s": 45})}
    assert _post(viewer_client, session, moved).status_code == 429


def test_a_position_computed_ahead_is_served_from_the_cache(viewer_client, session, monkeypatch):
    ahead = [(services_document(session, pk), {"failover.detection.interval_s": 20}) for pk in session.options]
    assert prefetch.compute_ahead(ahead) is True
    assert prefetch.compute_ahead(ahead) is False  # already there: nothing computed twice

    def no_simulation(*args, **kwargs):
        raise AssertionError("simulated a position computed ahead")

    monkeypatch.setattr(services, "figures_many", no_simulation)
    monkeypatch.setattr(services, "variant_scenario", no_simulation)  # found as asked: not even built
    response = _post(viewer_client, session, {"options": _options(session, {"failover.detection.interval_s": 20})})
    assert response.status_code == 200


def test_the_positions_asked_for_ahead_are_queued_in_order_and_bounded(viewer_client, session, monkeypatch, settings):
    queued = []
    monkeypatch.setattr(prefetch, "prefetch_later", lambda groups: queued.extend(groups) or len(groups))
    ahead = [_options(session, {"failover.detection.interval_s": s}) for s in (10, 20, 30, 60, 5, 10, 20, 30)]
    response = _post(viewer_client, session, {"options": _options(session, {}), "ahead": ahead})
    assert response.status_code == 200
    assert len(queued) == prefetch.MAX_GROUPS
    assert [group[0][1] for group in queued][:2] == [
        {"failover.detection.interval_s": 10},
        {"failover.detection.interval_s": 20},
    ]


def test_a_newer_list_replaces_the_positions_not_started(settings, monkeypatch):
    settings.WORKSHOP_WORKERS = 1
    monkeypatch.setattr(prefetch, "_thread", _AliveThread())
    first = [[({"pattern": "single-region"}, {"failover.detection.interval_s": s})] for s in (5, 10, 20)]
    second = [[({"pattern": "single-region"}, {"failover.detection.interval_s": 30})]]
    assert prefetch.prefetch_later(first) == 3
    assert prefetch.prefetch_later(second) == 1
    assert prefetch._queue == second
    prefetch._queue.clear()


def test_nothing_is_computed_ahead_without_the_warm_pool(settings):
    settings.WORKSHOP_WORKERS = 0
    assert prefetch.prefetch_later([[({"pattern": "single-region"}, {})]]) == 0


class _AliveThread:
    """Stands for the prefetch thread: alive, computing nothing (the queue is under test)."""

    def is_alive(self) -> bool:
        return True


def services_document(session, pk):
    from planner.models import Scenario
    from workshop.selectors import base_document

    return base_document(scenario=Scenario.objects.get(pk=pk), targets=session.workspace.targets)


def test_no_position_is_started_ahead_while_a_request_computes(settings, monkeypatch):
    import threading

    settings.WORKSHOP_WORKERS = 1
    started = threading.Event()
    monkeypatch.setattr(prefetch, "compute_ahead", lambda group: started.set())
    monkeypatch.setattr(prefetch, "_thread", None)
    with prefetch.foreground():
        prefetch.prefetch_later([[({"pattern": "single-region"}, {})]])
        assert not started.wait(0.3)
    assert started.wait(5)


def test_the_same_option_twice_in_one_move_gets_the_same_answer_twice(viewer_client, session):
    """Two options at one position are two runs of the same document: each answered, neither mistaken for the
    other (a run in progress is itself, whatever it holds)."""
    same = {"scenario_id": session.options[0], "overrides": {"failover.detection.interval_s": 7}}
    response = _post(viewer_client, session, {"options": [same, same]})
    assert response.status_code == 200, response.content
    first, second = response.json()["options"]
    assert first["cards"] == second["cards"] and first["key"] == second["key"]


def test_an_answer_that_left_the_cache_is_computed_within_the_limits(viewer_client, session, settings, monkeypatch):
    monkeypatch.setattr(services, "variants_cached", lambda **_: True)  # thought cached, but it is not
    response = _post(viewer_client, session, {"options": _options(session, {"failover.detection.interval_s": 9})})
    assert response.status_code == 200, response.content
    settings.WORKSHOP_RATE_PER_MINUTE = 0  # now any computation is refused: a 429, not a 500
    response = _post(viewer_client, session, {"options": _options(session, {"failover.detection.interval_s": 11})})
    assert response.status_code == 429


def test_two_runs_of_one_document_are_told_apart_while_their_undecided_types_continue():
    import numpy as np

    from simulation import load_scenario
    from simulation.engine.plan import plan_run
    from workshop.pool import _rounds
    from workshop.schedule import QuickRun

    scenario = load_scenario({"pattern": "active-passive"})
    plan = plan_run(scenario, trials=500, seed=1, years=100)
    runs = [QuickRun(scenario, {}, plan), QuickRun(scenario, {}, plan)]  # equal in every field
    calls = []

    def chunks(wanted):
        for run, index in wanted:
            run.parts[index] = np.arange(3.0)  # arrays: comparing two runs field by field would raise

    def finish(asked, ecdf, last):
        calls.append(len(asked))
        undecided = ["db_primary_failure"] if len(calls) == 1 else []
        return [(f"figures {len(calls)}", undecided) for _ in asked]

    assert _rounds(runs, False, chunks, finish) == ["figures 2", "figures 2"]
    assert calls == [2, 2]


def test_a_position_under_way_is_abandoned_when_the_room_moves_elsewhere(settings, monkeypatch):
    from workshop import schedule

    settings.WORKSHOP_WORKERS = 1
    monkeypatch.setattr(prefetch, "_thread", _AliveThread())
    under_way = [({"pattern": "single-region"}, {"failover.detection.interval_s": 5})]
    monkeypatch.setattr(prefetch, "_current", under_way)
    generation = schedule._ahead_generation
    prefetch.prefetch_later([under_way])  # still wanted: goes on
    assert schedule._ahead_generation == generation
    prefetch.prefetch_later([[({"pattern": "single-region"}, {"failover.detection.interval_s": 30})]])
    assert schedule._ahead_generation == generation + 1
    prefetch._queue.clear()


def test_a_variant_built_for_a_position_ahead_is_not_built_again(monkeypatch):
    document, overrides = {"pattern": "single-region"}, {"failover.detection.interval_s": 15}
    key = services.asked_key(document, overrides, services.QUICK)
    first = services._built_variant(key, document, overrides)

    def build_again(**_):
        raise AssertionError("built again")

    monkeypatch.setattr(services, "variant_scenario", build_again)
    assert services._built_variant(key, document, overrides) is first


def test_a_follower_asks_for_what_the_room_draws(viewer_client, session):
    """Through a link the room asks option by option (``room``): the cards and key figures the presenter gets."""
    moved = {"failover.detection.interval_s": 10}
    together = _post(viewer_client, session, {"options": _options(session, moved)}).json()["options"]
    alone = viewer_client.post(
        reverse("workshop_evaluate", args=[session.workspace_id]),
        json.dumps({"scenario_id": session.options[0], "overrides": moved, "room": True}),
        content_type="application/json",
    ).json()
    assert "figure" not in alone and alone["cards"] == together[0]["cards"] and alone["key"] == together[0]["key"]


def test_the_room_takes_figures_with_ecdfs_from_the_cache_but_the_workshop_page_not_lean_ones(session, monkeypatch):
    document = services_document(session, session.options[0])
    with_ecdfs = services.variants_run(variants=[(document, {"failover.detection.interval_s": 25})])[0][0]
    lean = services.variants_run(variants=[(document, {"failover.detection.interval_s": 35})], ecdf=False)[0][0]
    assert lean.scenario is not None and all(t.ecdf is None for t in lean.incident_types.values())

    def no_simulation(*args, **kwargs):
        raise AssertionError("simulated again")

    monkeypatch.setattr(services, "figures_many", no_simulation)
    again = services.variants_run(variants=[(document, {"failover.detection.interval_s": 25})], ecdf=False)[0][0]
    assert again.to_json() == with_ecdfs.to_json()
    with pytest.raises(AssertionError, match="simulated again"):
        services.variants_run(variants=[(document, {"failover.detection.interval_s": 35})])
