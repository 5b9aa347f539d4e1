"""A double click creates one run, one pin, one export and one sign-off (the page sends a form once, the
server returns the same object for the same submission)."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def _count(model) -> int:
    return model.objects.count()


def test_a_double_click_runs_pins_exports_and_signs_once(
    editor_page, editor, live_server, demo_workspace, console_errors
):
    from decisions.models import ReportExport, SignOff
    from decisions.services import decision_create
    from planner.models import Run

    page, workspace, scenario = editor_page, demo_workspace.workspace, demo_workspace.scenarios[0]
    base = f"{live_server.url}/w/{workspace.pk}"

    runs = _count(Run)
    page.goto(f"{base}/scenarios/{scenario.pk}/")
    page.get_by_role("button", name="Run", exact=True).dblclick()
    page.wait_for_url(re.compile(r"/runs/\d+/(results/)?$"), timeout=60_000)
    assert _count(Run) == runs + 1

    page.goto(f"{base}/workshop/?scenario={scenario.pk}")
    page.wait_for_function("() => document.body.dataset.wsState === 'ready'", timeout=30_000)
    page.fill("#ws-pin-label", "Double-clicked variant")
    page.locator("#ws-pin").dblclick()
    expect(page.locator("#ws-status")).to_contain_text("Pinned", timeout=30_000)
    page.wait_for_timeout(1500)  # a second request, if any, would have landed by now
    assert Run.objects.filter(scenario_name="Double-clicked variant").count() == 1

    decision = decision_create(
        workspace=workspace, user=editor, runs=demo_workspace.runs, chosen_run=demo_workspace.runs[0], title="One"
    )
    page.goto(f"{base}/decisions/{decision.pk}/")
    page.locator("button.download[data-format=pdf]").dblclick()
    page.wait_for_url(re.compile(r"/exports/\d+/"), timeout=60_000)
    assert _count(ReportExport) == 1

    page.goto(f"{base}/decisions/{decision.pk}/")
    page.locator("#sign-off").dblclick()
    page.wait_for_load_state()
    page.wait_for_timeout(1000)
    assert SignOff.objects.filter(decision=decision).count() == 1
    assert not console_errors
