"""Report exports: small ones in the request, PDFs and big comparisons through an idempotent task."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from decisions.models import ReportExport
from decisions.services import decision_create, export_render, export_request
from planner.selectors.compare import run_judged

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "reports"))
from report_helpers import expected_money, expected_seconds, pdf_text, shown


@pytest.fixture
def enqueued(monkeypatch) -> list[int]:
    """Export ids handed to Celery (instead of a broker)."""
    calls: list[int] = []
    monkeypatch.setattr("decisions.tasks.render_report_export.delay", calls.append)
    return calls


def _export_url(decision, fmt: str) -> str:
    return reverse("decision_export", args=[decision.workspace_id, decision.pk, fmt])


def test_it_downloads_a_small_json_report_at_once(member_client, draft, runs):
    response = member_client.post(_export_url(draft, "json"))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="checkout-resilience-for-q3.json"'
    doc = json.loads(response.content)
    assert doc["report_schema"] == 1 and doc["decision"]["chosen"] == "Active-passive"
    assert doc["targets"]["rto_s"] == 600.0
    held = [run_judged(run=run, targets=draft.workspace.targets).to_json() for run in runs[:2]]
    assert [o["results"] for o in doc["options"]] == held  # judged by the workspace's targets
    assert [o["scenario"] for o in doc["options"]] == [runs[0].snapshot, runs[1].snapshot]
    assert not ReportExport.objects.exists()


def test_it_downloads_a_small_csv_report_at_once(owner_client, draft, runs):
    response = owner_client.post(_export_url(draft, "csv"))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["option"] for r in rows] == ["Single region", "Active-passive"]
    held = run_judged(run=runs[1], targets=draft.workspace.targets)  # premium over the workspace baseline
    assert float(rows[1]["premium [USD/month]"]) == held.costs.premium_usd_per_month


@pytest.mark.slow
def test_it_renders_a_pdf_in_the_background_and_stores_it(
    owner_client, draft, runs, enqueued, media_root, django_capture_on_commit_callbacks, tmp_path
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(_export_url(draft, "pdf"))
    export = ReportExport.objects.get()
    assert response["Location"] == reverse("export_detail", args=[draft.workspace_id, draft.pk, export.pk])
    assert enqueued == [export.pk] and export.status == ReportExport.Status.QUEUED
    progress_url = reverse("export_progress", args=[draft.workspace_id, draft.pk, export.pk])
    assert owner_client.get(progress_url).json()["ready"] is False

    export_render(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == ReportExport.Status.DONE and export.progress == 1.0
    assert Path(export.file.path).is_relative_to(media_root)
    assert owner_client.get(progress_url).json() == {
        "status": "done",
        "status_label": "Ready",
        "progress": 1.0,
        "finished": True,
        "ready": True,
        "error": "",
    }
    download = owner_client.get(reverse("export_download", args=[draft.workspace_id, draft.pk, export.pk]))
    pdf = b"".join(download.streaming_content)
    assert download["Content-Type"] == "application/pdf" and pdf.startswith(b"%PDF")
    text = pdf_text(pdf, tmp_path)
    for run in runs[:2]:
        results = run.results
        assert expected_seconds(results["incident_types"]["db_primary_failure"]["rto_s"]["p95"]) in text
        judged = run_judged(run=run, targets=draft.workspace.targets)  # the workspace's targets and baseline
        assert expected_money(judged.costs.premium_usd_per_month, judged.costs.currency) in text
        for verdict in judged.verdicts:
            assert shown(verdict, judged) in text


def test_it_exports_three_options_in_the_background_even_as_json(
    owner_client, workspace, owner, runs, enqueued, django_capture_on_commit_callbacks
):
    decision = decision_create(workspace=workspace, user=owner, runs=runs, title="Three ways")
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(_export_url(decision, "json"))
    assert response.status_code == 302 and len(enqueued) == 1


@pytest.mark.slow
def test_it_renders_an_export_once_however_often_the_task_runs(draft, owner, enqueued, media_root):
    export, created = export_request(decision=draft, identifier="pdf", user=owner)
    assert created
    first = export_render(export_id=export.pk)
    again = export_render(export_id=export.pk)  # a redelivered task
    assert again.file.name == first.file.name and again.finished_at == first.finished_at
    assert len(list((media_root / "reports").rglob("*.pdf"))) == 1
    same, created_again = export_request(decision=draft, identifier="pdf", user=owner)
    assert same.pk == export.pk and not created_again


def test_it_asks_for_a_new_export_when_the_decision_changes(draft, owner, runs):
    from decisions.services import decision_update

    export, _ = export_request(decision=draft, identifier="pdf", user=owner)
    decision_update(decision=draft, user=owner, runs=runs[:2], chosen_run=runs[0], title="Changed")
    draft.refresh_from_db()
    newer, created = export_request(decision=draft, identifier="pdf", user=owner)
    assert created and newer.pk != export.pk


def test_it_records_a_failed_export_and_queues_it_again(draft, owner, monkeypatch):
    export, _ = export_request(decision=draft, identifier="pdf", user=owner)

    def broken(*args, **kwargs):
        raise RuntimeError("no fonts")

    monkeypatch.setattr("decisions.services.decision_exporter", broken)
    failed = export_render(export_id=export.pk)
    assert failed.status == ReportExport.Status.FAILED and "no fonts" in failed.error
    retried, created = export_request(decision=draft, identifier="pdf", user=owner)
    assert created and retried.pk == export.pk and retried.status == ReportExport.Status.QUEUED


def test_it_refuses_unknown_formats(owner_client, draft):
    assert owner_client.post(_export_url(draft, "docx")).status_code == 404
