"""The architect's path through the app in a real browser: log in, create a scenario from a preset, fix a bad
value, run it, watch the progress bar, read the verdict and the charts, compare two options."""

from __future__ import annotations

import contextlib
import re

from playwright.sync_api import expect

CHART_TIMEOUT_MS = 20_000


def _wait_for_charts(page) -> int:
    """Wait until every chart placeholder on the page is drawn; return how many there are."""
    charts = page.locator(".chart[data-chart]")
    count = charts.count()
    assert count > 0, "the page has no charts"
    page.wait_for_function(
        "() => [...document.querySelectorAll('.chart[data-chart]')].every(el => el.dataset.rendered === 'true')",
        timeout=CHART_TIMEOUT_MS,
    )
    for i in range(count):  # drawn means Plotly put an SVG with at least one trace in it
        expect(charts.nth(i).locator(".main-svg").first).to_be_visible()
    return count


def test_it_takes_an_architect_from_login_to_a_comparison(
    page, live_server, editor, password, demo_workspace, eager_runs, console_errors, shoot
):
    # log in through the form
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(editor.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Payments").first).to_be_visible()

    # a new scenario from a preset, taken whole (no base scenario)
    page.goto(f"{live_server.url}/w/{demo_workspace.id}/scenarios/new/")
    page.get_by_label("Name").fill("Workshop option")
    page.get_by_label("Base scenario").select_option("")
    preset = page.get_by_label("Preset", exact=True)
    options = preset.locator("option").all_inner_texts()
    assert len(options) > 1, f"no preset to start from: {options}"
    preset.select_option(index=1)
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Workshop option")
    scenario_url = page.url

    # a bad value is refused next to its field; a good one is saved
    page.get_by_role("link", name="Database and replication").click()
    assert console_errors == []
    size = page.locator("[name=database__size_gb]")
    size.fill("-5")
    page.get_by_role("button", name=re.compile("^Save")).click()
    error = page.locator(".field.has-error .error").first
    expect(error).to_be_visible()
    expect(page.locator(".field.has-error [name=database__size_gb]")).to_have_count(1)
    shoot(page, "flow-1-inline-error")
    console_errors.clear()  # the refused form answers 400 on purpose; Chromium logs that status
    page.locator("[name=database__size_gb]").fill("80")
    page.get_by_role("button", name=re.compile("^Save")).click()
    expect(page.locator(".field.has-error")).to_have_count(0)

    # run it and watch the progress bar reach 100 %
    page.goto(scenario_url)
    page.get_by_role("button", name="Run", exact=True).click()
    expect(page).to_have_url(re.compile(r"/runs/\d+/$"))
    expect(page.locator("#run-state")).to_have_text("Done", timeout=60_000)
    page.wait_for_function("() => document.getElementById('run-bar').value >= 1")
    shoot(page, "flow-2-progress-done")
    run_id = int(re.search(r"/runs/(\d+)/", page.url).group(1))

    # the verdict and the charts
    page.get_by_role("link", name="See the results").click()
    expect(page.locator("#overall-verdict")).to_be_visible()
    expect(page.locator(".card")).to_have_count(4)
    assert _wait_for_charts(page) >= 4
    expect(page.locator("#chart-rto")).to_contain_text("RTO target")
    shoot(page, "flow-3-results")

    # compare the new option with one made earlier
    page.get_by_role("link", name="Compare").first.click()
    page.locator(f"input[name=runs][value='{run_id}']").check()
    page.locator(f"input[name=runs][value='{demo_workspace.runs[0].pk}']").check()
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("#compare-conclusion")).to_be_visible()
    expect(page.locator("#compare-table thead th")).to_have_count(3)  # metric + two options
    assert _wait_for_charts(page) >= 2
    shoot(page, "flow-4-compare")

    assert console_errors == []


def test_it_lets_a_viewer_read_results_by_keyboard(
    page, live_server, viewer, login_as, demo_workspace, console_errors, shoot
):
    login_as(viewer)
    run = demo_workspace.runs[0]
    page.goto(f"{live_server.url}/w/{demo_workspace.id}/runs/{run.pk}/results/")
    _wait_for_charts(page)
    expect(page.get_by_role("link", name="change them")).to_have_count(0)  # viewers cannot edit targets

    # the charts' text alternative is one keyboard jump away
    page.get_by_role("link", name="Key figures table", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("#key-figures-h$"))
    rows = page.locator("table.key-figures tbody tr")
    assert rows.count() >= 3
    expect(rows.first.locator("td").nth(1)).to_contain_text(re.compile(r"\d+(\.\d)? (s|min)|\d+ h"))
    shoot(page, "viewer-results")
    assert console_errors == []


def test_it_draws_the_replay_and_cost_charts_with_units(editor_page, live_server, demo_workspace, console_errors):
    run = demo_workspace.runs[0]
    editor_page.goto(f"{live_server.url}/w/{demo_workspace.id}/runs/{run.pk}/results/")
    _wait_for_charts(editor_page)
    expect(editor_page.locator("#chart-cost")).to_contain_text("USD per month")
    expect(editor_page.locator("#chart-replay-p95")).to_contain_text("Served (%)")
    expect(editor_page.locator("#chart-replay-p95")).to_contain_text(re.compile(r"Time since failure \((s|min|h)\)"))
    expect(editor_page.locator("#chart-downtime")).to_contain_text(re.compile(r"Downtime per year \((s|min|h)\)"))
    assert console_errors == []


def test_it_moves_the_progress_bar_while_a_real_worker_runs(
    editor_page, live_server, demo_workspace, real_worker, settings, console_errors, shoot
):
    settings.RUN_TRIAL_CHOICES = {"quick": 4_000, "full": 8_000}  # long enough to see the bar move
    page = editor_page
    scenario = demo_workspace.scenarios[0]
    page.goto(f"{live_server.url}/w/{demo_workspace.id}/scenarios/{scenario.pk}/")
    page.get_by_role("button", name="Run", exact=True).click()
    expect(page).to_have_url(re.compile(r"/runs/\d+/$"))
    seen: list[float] = []
    deadline_ms = 90_000
    while "/results/" not in page.url and deadline_ms > 0:  # the page moves on to the results by itself
        with contextlib.suppress(Exception):  # the page navigated between two reads
            seen.append(page.evaluate("() => document.getElementById('run-bar').value"))
        page.wait_for_timeout(100)
        deadline_ms -= 100
    assert "/results/" in page.url, (
        f"no results after 90 s; bar values {seen[-5:]}; worker log:\n{real_worker.read_text()[-3000:]}"
    )
    assert any(0 < value < 1 for value in seen), seen  # the bar moved while the worker ran
    assert seen == sorted(seen)
    _wait_for_charts(page)
    shoot(page, "worker-results")
    assert console_errors == []
