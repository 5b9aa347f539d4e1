"""/healthz and /readyz: no login, JSON, 503 naming the part that failed."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from planner import health


def test_it_answers_healthz_without_login(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db(transaction=True)
def test_it_is_ready_when_database_and_broker_answer(client):
    response = client.get(reverse("readyz"))
    body = response.json()
    assert response.status_code == 200, body
    assert body["ready"] and body["failed"] == []
    assert set(body["checks"]) == {"database", "broker"}
    assert all(check["ok"] and check["ms"] < 200 for check in body["checks"].values())


@pytest.mark.django_db(transaction=True)
def test_it_answers_503_naming_the_broker_when_it_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    started = time.perf_counter()
    response = client.get(reverse("readyz"))
    elapsed = time.perf_counter() - started
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "not ready: broker" and body["failed"] == ["broker"]
    assert body["checks"]["database"]["ok"] and "error" in body["checks"]["broker"]
    assert elapsed < 1.0


@pytest.mark.django_db(transaction=True)
def test_it_answers_503_when_the_filesystem_broker_folder_is_gone(client, settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(tmp_path / "missing"),
        "data_folder_out": str(tmp_path / "missing"),
    }
    response = client.get(reverse("readyz"))
    assert response.status_code == 503 and response.json()["failed"] == ["broker"]


def test_it_counts_a_check_slower_than_the_budget_as_failed(settings):
    settings.READINESS_BUDGET_S = 0.05

    def slow() -> None:
        time.sleep(0.5)

    started = time.perf_counter()
    report = health.readiness(checks={"database": slow})
    assert time.perf_counter() - started < 0.3  # the probe does not wait for a hung check
    assert report["failed"] == ["database"] and "no answer within 50 ms" in report["checks"]["database"]["error"]


def test_it_names_the_database_when_its_check_fails(client, monkeypatch):
    def broken() -> None:
        raise OSError("connection refused")

    monkeypatch.setattr(health, "database_check", broken)
    monkeypatch.setattr(health, "broker_check", lambda: None)
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert response.json()["checks"]["database"]["error"] == "OSError: connection refused"
