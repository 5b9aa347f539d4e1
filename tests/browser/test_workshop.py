"""The workshop in Chromium: sliders re-run the engine, the verdict flips, variants are pinned and compared,
the decision record opens with them; a share link shows the page to a logged-out browser, refuses writes
and expires. Screenshots land in test-artifacts/workshop-*.png."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = pytest.mark.slow

# Only primary database failures happen; the pool neither validates nor recycles connections and queries
# never time out, so a failover leaves stale connections until the OS gives up (~15 min): RTO missed.
# Validating on borrow (5 s connection timeout) brings it to about a minute: every target met.
CHECKOUT = {
    "name": "Checkout (pool not validated)",
    "pattern": "active-passive",
    "database": {"local_standby": "sync", "replicas": [{"region": "region-b", "mode": "async"}]},
    "failover": {"automation_success_probability": 1.0, "days_since_failover_test": 0},
    "app": {
        "discovery": "service-discovery",
        "health_check": "liveness",
        "auto_restart": False,
        "pool": {"validate_on_borrow": False, "max_lifetime_s": None, "connection_timeout_s": 5},
        # a query timeout hands hung requests' connections back; only validation is missing to find them
        "timeouts": {"oltp_query_s": 10},
    },
    "deployment": {"deploys_per_month": 0},
    "incidents": {
        "instance_crash": {"rate_per_year": 0},
        "zone_outage": {"rate_per_year": 0},
        "region_outage": {"rate_per_year": 0},
        "dependency_slowdown": {"rate_per_year": 0},
        "data_corruption": {"rate_per_year": 0},
        "network_partition": {"rate_per_year": 0},
        "db_primary_failure": {"rate_per_year": 2},
    },
}


@pytest.fixture
def checkout(editor, viewer):
    from planner.models import Membership
    from planner.services.scenarios import scenario_create
    from planner.services.workspaces import workspace_create

    workspace = workspace_create(name="Checkout", user=editor)
    Membership.objects.create(workspace=workspace, user=viewer, role=Membership.Role.VIEWER)
    scenario = scenario_create(workspace=workspace, name=CHECKOUT["name"], document=CHECKOUT, user=editor)
    return workspace, scenario


def log_in(page, live_server, user) -> None:
    """Hand ``page`` a session cookie of ``user`` (as the browser conftest's editor_page does)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}])


def _renders(page) -> int:
    return int(page.evaluate("document.body.dataset.wsRenders || '0'"))


def _wait_render(page, after: int) -> None:
    # a function, not an expression: Playwright evaluates it once, which the page's CSP (no eval) allows
    page.wait_for_function(
        "(after) => Number(document.body.dataset.wsRenders || 0) > after && document.body.dataset.wsState === 'ready'",
        arg=after,
        timeout=15_000,
    )


def _open(page, url: str) -> None:
    page.goto(url)
    _wait_render(page, 0)


def _frontier_jobs_in_a_thread(monkeypatch) -> None:
    """The frontier is longer than a request's budget: the worker's job runs in a thread here, the page polls."""
    import threading

    from django.db import connection

    from workshop.jobs import job_execute

    def compute(job_id: int) -> None:
        try:
            job_execute(job_id=job_id)
        finally:
            connection.close()

    monkeypatch.setattr("workshop.budget.frontier_placement", lambda estimate: "worker")
    monkeypatch.setattr(
        "workshop.tasks.frontier_job.delay", lambda job_id: threading.Thread(target=compute, args=(job_id,)).start()
    )


def test_it_runs_the_workshop_pins_compares_and_records(
    editor_page, live_server, checkout, shoot, console_errors, monkeypatch
):
    _frontier_jobs_in_a_thread(monkeypatch)
    workspace, scenario = checkout
    page = editor_page
    _open(page, f"{live_server.url}/w/{workspace.pk}/workshop/")
    verdict = page.locator("#ws-verdict")
    expect(verdict).to_contain_text("Targets missed")
    expect(page.locator("#ws-chart .main-svg").first).to_be_visible()
    shoot(page, "workshop-missed")

    # keyboard only: Tab reaches the controls, arrows move a slider, Space flips a toggle
    slider = page.locator("#c-detection_interval")
    slider.focus()
    before = _renders(page)
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#o-detection_interval")).to_have_text("5 s")
    _wait_render(page, before)
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineWidth")
    assert float(ring.replace("px", "")) >= 3
    toggle = page.locator("#c-validate_on_borrow")
    toggle.focus()
    before = _renders(page)
    page.keyboard.press("Space")
    _wait_render(page, before)
    expect(verdict).to_contain_text("All targets met")
    shoot(page, "workshop-met")

    page.fill("#ws-pin-label", "Validate on borrow")
    page.click("#ws-pin")
    expect(page.locator("#ws-status")).to_contain_text("as run")
    lifetime = page.locator("#c-max_lifetime")
    lifetime.focus()
    before = _renders(page)
    page.keyboard.press("End")
    _wait_render(page, before)
    page.fill("#ws-pin-label", "Validation + 5 min lifetime")
    page.click("#ws-pin")
    expect(page.locator("#ws-compare")).to_be_visible()
    expect(page.locator("#ws-compare thead")).to_contain_text("Validation + 5 min lifetime")
    expect(page.locator("#ws-compare thead")).to_contain_text("Base scenario")
    expect(page.locator("#ws-compare tbody")).to_contain_text("all targets met")

    from planner.models import Run

    runs = list(Run.objects.filter(workspace=workspace).order_by("pk"))
    assert [r.scenario_name for r in runs] == ["Validate on borrow", "Validation + 5 min lifetime"]
    assert all(r.status == Run.Status.DONE for r in runs)

    page.click("#ws-frontier-run")
    expect(page.locator("#ws-frontier-status")).to_contain_text(re.compile("Cheapest option|No option"), timeout=60_000)
    expect(page.locator("#ws-frontier-downtime .main-svg").first).to_be_visible()
    from workshop.models import FrontierJob

    assert list(FrontierJob.objects.filter(workspace=workspace).values_list("status", flat=True)) == ["done"]
    shoot(page, "workshop-pinned")

    link = page.locator("#ws-decision")
    expect(link).to_be_visible()
    assert link.get_attribute("href").endswith(f"?runs={runs[0].pk}&runs={runs[1].pk}")
    link.click()
    page.wait_for_load_state()
    assert page.url.endswith(f"?runs={runs[0].pk}&runs={runs[1].pk}")
    expect(page.locator("main")).to_contain_text("Validate on borrow")
    expect(page.locator("main")).to_contain_text("Validation + 5 min lifetime")
    shoot(page, "workshop-decision")
    assert console_errors == []


def test_it_shares_a_read_only_workshop_that_expires(browser, editor_page, live_server, checkout, shoot):
    workspace, scenario = checkout
    page = editor_page
    _open(page, f"{live_server.url}/w/{workspace.pk}/workshop/")
    page.fill("#ws-share-label", "finance")
    page.fill("#ws-share-days", "2")
    page.click("text=Create share link")
    url = page.locator(".ws-share-url").first.input_value()
    assert "/s/" in url

    stranger = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    _open(stranger, url)
    expect(stranger.locator(".ws-readonly")).to_contain_text("Read-only link")
    expect(stranger.locator("#ws-share-label")).to_have_count(0)
    before = _renders(stranger)
    stranger.locator("#c-validate_on_borrow").check()
    _wait_render(stranger, before)
    expect(stranger.locator("#ws-verdict")).to_contain_text("All targets met")
    stranger.click("#ws-pin")  # pinned in the page only
    expect(stranger.locator("#ws-status")).to_contain_text("in this page")
    shoot(stranger, "workshop-shared")
    status = stranger.evaluate(
        """async (url) => {
        const csrf = (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || "";
        const r = await fetch(url + "pin/", {method: "POST", headers: {"Content-Type": "application/json",
                              "X-CSRFToken": csrf}, body: JSON.stringify({overrides: {}})});
        return r.status; }""",
        url,
    )
    assert status == 403
    from planner.models import Run

    assert not Run.objects.exists()

    from workshop.models import ShareLink

    ShareLink.objects.filter(workspace=workspace).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = stranger.goto(url)
    assert response.status == 410
    expect(stranger.locator("h1")).to_contain_text("cannot be used")
    expect(stranger.locator(".ws-gone-message")).to_contain_text("expired")
    shoot(stranger, "workshop-share-expired")
    stranger.context.close()


def test_it_lets_a_viewer_try_variants_but_pins_them_only_in_the_page(page, live_server, viewer, checkout):
    workspace, _ = checkout
    log_in(page, live_server, viewer)
    _open(page, f"{live_server.url}/w/{workspace.pk}/workshop/")
    before = _renders(page)
    page.locator("#c-validate_on_borrow").check()
    _wait_render(page, before)
    page.click("#ws-pin")
    expect(page.locator("#ws-status")).to_contain_text("in this page")
    from planner.models import Run

    assert not Run.objects.exists()
