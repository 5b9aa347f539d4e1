"""The workshop room in Chromium: the presenter layout keeps the controls, the verdict cards, the key figures
and the chart in view at 1280×720 and 1024×768; one control moves three options; the session survives
reload and back. Screenshots land in test-artifacts/room-*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from simulation.analysis.variants import RunSettings

pytestmark = pytest.mark.slow

LIVENESS = {"health_check": "liveness", "auto_restart": False}
OPTIONS = [
    ("Active-passive", {"pattern": "active-passive", "app": LIVENESS}),
    ("Single region", {"pattern": "single-region", "app": LIVENESS}),
    ("Active-active reads", {"pattern": "active-active-read", "app": LIVENESS}),
]
SIZES = [(1280, 720), (1024, 768)]


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    from workshop import services

    monkeypatch.setattr(services, "QUICK", RunSettings(trials=150, years=400, seed=5))


@pytest.fixture
def room(editor):
    from planner.services.scenarios import scenario_create
    from planner.services.workspaces import workspace_create
    from workshop.sessions import session_create

    workspace = workspace_create(name="Payments", user=editor)
    scenarios = [
        scenario_create(workspace=workspace, name=name, document=document, user=editor) for name, document in OPTIONS
    ]
    session = session_create(workspace=workspace, user=editor, name="Steering group", options=[s.pk for s in scenarios])
    return session


def _url(live_server, session) -> str:
    return f"{live_server.url}/w/{session.workspace_id}/workshop/sessions/{session.pk}/"


def wait_render(page, after: int) -> None:
    page.wait_for_function(
        "(after) => Number(document.body.dataset.wsRenders || 0) > after && document.body.dataset.wsState === 'ready'",
        arg=after,
        timeout=20_000,
    )


def renders(page) -> int:
    return int(page.evaluate("document.body.dataset.wsRenders || '0'"))


def _inside(box, width: int, height: int) -> bool:
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= width + 0.5
        and (box["y"] + box["height"] <= height + 0.5)
    )


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_presenter_layout_fits_one_screen(editor_page, live_server, room, shoot, console_errors, width, height):
    page = editor_page
    page.set_viewport_size({"width": width, "height": height})
    page.goto(_url(live_server, room))
    wait_render(page, 0)
    expect(page.locator("#room-chart .main-svg").first).to_be_visible()
    assert page.locator(".site-header").count() == 0  # no site navigation in presenter mode
    for selector in ("#panel-controls", ".room-tabs", "#room-busy", "#room-chart"):
        assert _inside(page.locator(selector).bounding_box(), width, height), selector
    for i in range(3):
        option = page.locator(f"#room-option-{i}")
        assert _inside(option.bounding_box(), width, height)
        assert _inside(option.locator(".room-cards").bounding_box(), width, height)
        expect(option.locator(".room-key")).to_contain_text("RTO p95 (judged types)")
        expect(option.locator(".room-key")).to_contain_text("Total incl. expected outages")
    first_control = page.locator("#panel-controls .ws-control").first
    assert _inside(first_control.bounding_box(), width, height)
    busy = page.locator("#room-busy").bounding_box()
    side = page.locator(".room-bar").bounding_box()
    # the busy indicator sits in the bar above the controls
    assert side["x"] <= busy["x"] and busy["x"] + busy["width"] <= side["x"] + side["width"] + 0.5
    assert side["y"] <= busy["y"] and busy["y"] + busy["height"] <= side["y"] + side["height"] + 0.5
    # the page itself does not scroll: the layout is the screen
    assert page.evaluate("document.documentElement.scrollHeight") <= height + 1
    assert float(page.evaluate("getComputedStyle(document.body).fontSize").replace("px", "")) >= 20
    shoot(page, f"room-presenter-{width}x{height}")
    assert console_errors == []


def test_one_control_moves_three_options(editor_page, live_server, room, console_errors):
    page = editor_page
    page.goto(_url(live_server, room))
    wait_render(page, 0)
    before = page.evaluate("window.roomTools.payloads().map((p) => p.cards.map((c) => c.met))")
    sent = []
    page.on(
        "request", lambda request: sent.append(request.post_data_json) if request.url.endswith("/evaluate/") else None
    )
    count = renders(page)
    page.locator('#panel-controls input[name="health_check"][value="1"]').check()
    wait_render(page, count)
    asked = [option for body in sent for option in body["options"]]  # one request: every option at once
    moved = [option for option in asked if option["overrides"].get("app.health_check") == "deep"]
    assert sorted(o["scenario_id"] for o in moved) == sorted(room.options)
    after = page.evaluate("window.roomTools.payloads().map((p) => p.key.rto_p95_s)")
    assert len(after) == 3 and before is not None
    expect(page.locator("#room-status")).to_contain_text("the same for every option")
    assert console_errors == []


def test_the_session_survives_reload_and_back(editor_page, live_server, room, console_errors):
    page = editor_page
    url = _url(live_server, room)
    page.goto(url)
    wait_render(page, 0)
    count = renders(page)
    page.locator("#c-detection_interval").focus()
    page.keyboard.press("Home")
    wait_render(page, count)
    page.click("#tab-notes")
    page.fill("#room-pin-label", "Fast detection")
    page.click("#room-pin")
    page.fill("#room-notes", "Finance wants the monthly total")
    page.select_option("#room-chosen", str(room.options[1]))
    page.fill("#room-rationale", "Cheapest that meets")
    page.wait_for_function("() => document.getElementById('room-saved').textContent.includes('Saved')")
    page.wait_for_timeout(400)  # the last debounced save
    page.reload()
    wait_render(page, 0)
    expect(page.locator("#o-detection_interval")).to_have_text("5 s")
    page.click("#tab-notes")
    expect(page.locator("#room-pins")).to_contain_text("Fast detection")
    expect(page.locator("#room-notes")).to_have_value("Finance wants the monthly total")
    expect(page.locator("#room-chosen")).to_have_value(str(room.options[1]))
    page.goto(f"{live_server.url}/w/{room.workspace_id}/workshop/")
    page.go_back()
    wait_render(page, 0)
    expect(page.locator("#o-detection_interval")).to_have_text("5 s")
    expect(page.locator("#room-rationale")).to_have_value("Cheapest that meets")
    room.refresh_from_db()
    assert room.controls["detection_interval"] == 5 and room.pins[0]["label"] == "Fast detection"
    assert console_errors == []


def test_what_would_it_take_in_the_page(editor_page, live_server, room, monkeypatch, console_errors):
    from workshop import take

    small = RunSettings(trials=60, years=120, seed=5)
    monkeypatch.setattr(take, "TORNADO_ROOM", small)
    monkeypatch.setattr(take, "BREAK_EVEN_ROOM", small)
    monkeypatch.setattr(take, "ADVICE_EVALUATIONS", 6)
    page = editor_page
    page.goto(_url(live_server, room))
    wait_render(page, 0)
    page.click("#tab-take")
    page.click("#room-tornado")
    expect(page.locator("#room-tornado-progress")).to_be_visible()
    expect(page.locator("#room-take-status")).to_contain_text("Tornado of", timeout=60_000)
    expect(page.locator("#room-tornado-chart .main-svg").first).to_be_visible()
    expect(page.locator("#room-breakeven li").first).to_be_visible(timeout=60_000)
    page.wait_for_function(
        "() => !document.getElementById('room-breakeven').textContent.includes('searching')", timeout=60_000
    )
    expect(page.locator("#room-drivers li").first).to_be_visible()
    # the top drivers that are workshop controls can be brought up as controls
    page.locator("#room-drivers button").first.click()
    expect(page.locator("#panel-controls")).to_be_visible()
    expect(page.locator("#panel-controls .room-driver")).to_have_count(1)
    page.click("#tab-take")
    page.click("#room-advice")
    expect(page.locator("#room-fixes li").first).to_be_visible(timeout=60_000)
    assert console_errors == []


PHONE = {"width": 390, "height": 844}


def test_the_session_link_follows_the_facilitator_on_a_phone(
    editor_page, live_server, room, browser, shoot, console_errors
):
    from workshop.sessions import session_link_create

    link = session_link_create(session=room, user=None, days=1, label="room")
    page = editor_page
    page.goto(_url(live_server, room))
    wait_render(page, 0)
    phone_context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    phone = phone_context.new_page()
    phone.goto(f"{live_server.url}/s/{link.token}/")
    wait_render(phone, 0)
    expect(phone.locator("#room-follow")).to_be_checked()
    expect(phone.locator("#room-option-2 .room-key")).to_contain_text("Total incl. expected outages")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert phone.locator("#room-pin").count() == 0 and phone.locator("#room-share-form").count() == 0

    followed = phone.evaluate("Number(document.body.dataset.roomRevision)")
    page.locator('#panel-controls input[name="health_check"][value="1"]').check()
    started = page.evaluate("performance.now()")
    phone.wait_for_function(
        "(before) => Number(document.body.dataset.roomRevision) > before"
        " && document.querySelector('#panel-controls input[name=health_check][value=\"1\"]').checked",
        arg=followed,
        timeout=2_000,
    )
    assert page.evaluate("performance.now()") - started < 2_000
    renders_then = renders(phone)
    wait_render(phone, renders_then - 1)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(phone, "room-phone-share")
    phone_context.close()
    assert console_errors == []
