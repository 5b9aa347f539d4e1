"""One baseline and apples to apples in the browser: an editor chooses the reference option on the workspace
page and every premium follows; a new option from a base scenario and a pattern shows its diff."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_an_editor_chooses_the_reference_option_and_derives_an_option_from_a_base(
    editor_page, live_server, demo_workspace, console_errors, shoot
):
    page = editor_page
    workspace_url = f"{live_server.url}/w/{demo_workspace.id}/"
    page.goto(workspace_url)
    baseline = page.locator("#workspace-baseline")
    expect(baseline).to_contain_text("the workspace's first scenario")
    page.get_by_label("Reference option").select_option(label="Single region")
    page.get_by_role("button", name="Use as reference").click()
    expect(page.locator(".messages")).to_contain_text("Single region")
    expect(baseline).to_contain_text("“Single region” in a single region with backups only")
    expect(page.locator("#baseline-assumptions tbody tr").first).to_be_visible()
    shoot(page, "one-baseline-1-workspace")

    runs = "&".join(f"runs={run.pk}" for run in demo_workspace.runs)
    page.goto(f"{workspace_url}compare/?{runs}")
    expect(page.locator("#compare-baseline")).to_contain_text("“Single region”")
    shoot(page, "one-baseline-2-compare")
    page.goto(f"{workspace_url}runs/{demo_workspace.runs[0].pk}/results/")
    expect(page.locator("#results-baseline")).to_contain_text("“Single region”")
    page.locator("#results-baseline").scroll_into_view_if_needed()
    shoot(page, "one-baseline-3-results")

    page.goto(f"{workspace_url}scenarios/new/")
    page.get_by_label("Name").fill("Single region, now active-passive")
    expect(page.get_by_label("Base scenario")).to_have_value(str(demo_workspace.scenarios[1].pk))
    page.get_by_label("Redundancy pattern").select_option("active-passive")
    shoot(page, "one-baseline-4-new")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("the differences from its base"))
    rows = page.locator("#origin-changes tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 3
    for row in rows.all():
        assert row.locator("td").nth(2).inner_text().strip(), "every difference has a reason"
    shoot(page, "one-baseline-5-diff")
    assert console_errors == []
