"""Reports in Chromium: the standalone HTML opens offline without errors; the decision flow end to end."""

from __future__ import annotations

import json
import re

import pytest

from simulation import dump_document, load_scenario, run
from simulation.present.report import Option
from simulation.present.report.exporters import HtmlExporter

NASTY = 'Zürich <script>window.hacked=1</script> "quoted"'


@pytest.fixture(scope="module")
def report_file(tmp_path_factory):
    """A standalone HTML report of three real runs, one with a hostile name."""
    options = []
    for i, (label, raw) in enumerate(
        (
            ("Single region", {"pattern": "single-region"}),
            ("Active-passive", {"pattern": "active-passive"}),
            (NASTY, {"pattern": "active-active-read"}),
        )
    ):
        scenario = load_scenario(raw)
        options.append(Option(label, dump_document(scenario), run(scenario, trials=150, seed=i, years=1000)))
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_bytes(HtmlExporter(options, {"chosen": "Active-passive", "title": "Offline <check>"}).render()[2])
    return path


def test_it_opens_the_html_report_offline_with_every_chart_drawn(page, console_errors, report_file, shoot):
    outside: list[str] = []

    def block(route):
        outside.append(route.request.url)
        route.abort()

    page.route(re.compile(r"^(https?|wss?)://"), block)
    page.goto(report_file.as_uri())
    page.wait_for_selector("#chart-cost_vs_downtime .main-svg")
    charts = page.locator("div.plot")
    assert charts.count() == 1 + 3 + 2 * 3  # frontier, three overlays, an ECDF and a cost chart per option
    for i in range(charts.count()):
        assert charts.nth(i).locator(".main-svg").count() >= 1
    assert page.title() == "Offline <check>"
    assert page.evaluate("window.hacked") is None
    assert page.get_by_role("heading", name=f"Option 3: {NASTY}").is_visible()
    shoot(page, "report-standalone")
    assert outside == [] and console_errors == []


def test_it_records_signs_previews_and_exports_a_decision(
    editor_page, live_server, demo_workspace, console_errors, shoot
):
    page = editor_page
    ws = demo_workspace.id
    pinned = "&".join(f"runs={r.pk}" for r in demo_workspace.runs)
    page.goto(f"{live_server.url}/w/{ws}/decisions/new/?{pinned}")
    page.get_by_label("Title").fill("Payments: standby or not")
    page.get_by_label("Chosen option").select_option(label=f"Active-passive (run {demo_workspace.runs[0].pk})")
    page.get_by_label("Rationale").fill("Meets the RTO; single region does not.")
    shoot(page, "decision-form")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/decisions/\d+/$"))

    preview = page.frame_locator("#report-preview")
    preview.locator("#chart-cost_vs_downtime .main-svg").first.wait_for()
    assert "Chosen: Active-passive" in preview.locator(".summary").inner_text()
    shoot(page, "decision-detail")

    with page.expect_download() as download_info:
        page.locator("button.download[data-format=json]").click()
    doc = json.loads(download_info.value.path().read_text(encoding="utf-8"))
    assert doc["decision"]["rationale"] == "Meets the RTO; single region does not."

    page.get_by_role("button", name="Sign off").click()
    page.get_by_text("Signed off. The decision is now frozen").wait_for()
    page.locator("button.download[data-format=pdf]").click()  # eager Celery: rendered before the redirect
    page.wait_for_url(re.compile(r"/exports/\d+/$"))
    page.get_by_role("link", name="Download").wait_for()
    with page.expect_download() as pdf_info:
        page.get_by_role("link", name="Download").click()
    assert pdf_info.value.path().read_bytes().startswith(b"%PDF")
    page.goto(f"{live_server.url}/w/{ws}/decisions/")
    assert page.get_by_role("link", name="Payments: standby or not").is_visible()
    shoot(page, "decision-list")
    assert console_errors == []
