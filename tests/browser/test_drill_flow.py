"""Drills in Chromium: import a CSV, see the percentiles, accept the calibration, see its label on the
results page and in the decision report's PDF."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date

import pytest

import simulation
from simulation.analysis.drill_compare import drills_from_model
from simulation.model.drills import drills_to_csv

LABEL = "calibrated by 8 drills, last on 2026-04-20"


def _pdf_text(pdf: bytes, tmp_path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        message = "pdftotext is not installed (apt-get install -y poppler-utils)"
        pytest.fail(message) if os.environ.get("CI") == "true" else pytest.skip(message)
    (tmp_path / "report.pdf").write_bytes(pdf)
    out = subprocess.run([tool, "-enc", "UTF-8", str(tmp_path / "report.pdf"), "-"], capture_output=True, timeout=60)
    return re.sub(r"\s+", " ", out.stdout.decode("utf-8"))


def test_it_imports_drills_accepts_the_calibration_and_labels_runs_and_reports(
    editor_page, live_server, demo_workspace, console_errors, shoot, tmp_path
):
    page = editor_page
    ws, scenario = demo_workspace.id, demo_workspace.scenarios[0]
    engine = simulation.load_scenario(scenario.document)
    drills = drills_from_model(engine, "database-failover", 8, seed=2, first_date=date(2026, 3, 2), slowdown=1.7)
    source = tmp_path / "drills.csv"
    source.write_text(drills_to_csv(drills))

    page.goto(f"{live_server.url}/w/{ws}/scenarios/{scenario.pk}/")
    page.get_by_role("link", name="Drills").click()
    page.get_by_label("File").set_input_files(str(source))
    page.locator("#import-drills").click()
    page.get_by_text("8 drill(s) imported.").wait_for()
    page.locator("#chart-percentiles[data-rendered=true]").wait_for()
    page.locator("#chart-calibration[data-rendered=true]").wait_for()
    assert "Optimistic" in page.locator("#calibration-verdict").inner_text()
    table = page.locator("#drill-table").inner_text()
    assert re.search(r"\d+ s \(\d+ %\)", table) and "⚑" in table
    shoot(page, "drill-page")

    page.locator("#accept-calibration").click()
    page.get_by_text(LABEL).first.wait_for()
    page.get_by_role("button", name="Run").click()  # eager: finished before the redirect
    page.wait_for_url(re.compile(r"/runs/\d+/"))
    run_id = int(re.search(r"/runs/(\d+)/", page.url).group(1))
    page.goto(f"{live_server.url}/w/{ws}/runs/{run_id}/results/")
    assert LABEL in page.locator("#calibration-label").inner_text()
    shoot(page, "drill-calibrated-results")

    from decisions.report_inputs import decision_exporter
    from decisions.services import decision_create
    from planner.models import Run

    run = Run.objects.get(pk=run_id)
    decision = decision_create(workspace=run.workspace, user=run.created_by, runs=[run], title="Calibrated")
    _, _, pdf = decision_exporter(decision, "pdf").render()
    assert LABEL in _pdf_text(pdf, tmp_path)
    assert console_errors == []
