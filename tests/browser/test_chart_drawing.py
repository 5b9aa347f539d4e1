"""The results and compare pages draw their charts lazily but completely: the first screen is marked once it is
painted, a chart the reader scrolls to is drawn before charts further away, and in the end every chart is drawn
(also those nobody scrolled to)."""

from __future__ import annotations

import copy

import pytest
from playwright.sync_api import expect

CHART_TIMEOUT_MS = 20_000
# Record the order charts are drawn in, and make each draw take 400 ms longer, so a test can scroll meanwhile.
SLOW_DRAWS = """
window.__drawn = [];
Object.defineProperty(window, "Plotly", {configurable: true, get() { return this.__plotly; }, set(plotly) {
  const newPlot = plotly.newPlot;
  plotly.newPlot = function (element) {
    window.__drawn.push(element.id);
    return newPlot.apply(this, arguments).then(result => new Promise(done => setTimeout(() => done(result), 400)));
  };
  this.__plotly = plotly;
}});
"""


def _results_url(live_server, demo_workspace) -> str:
    return f"{live_server.url}/w/{demo_workspace.id}/runs/{demo_workspace.runs[0].pk}/results/"


def _results_first_screen(page, live_server, demo_workspace):
    """The results page at 1280×720, drawing slowly, once its first screen is painted."""
    page.set_viewport_size({"width": 1280, "height": 720})
    page.add_init_script(SLOW_DRAWS)
    page.goto(_results_url(live_server, demo_workspace))
    page.wait_for_function("() => document.body.dataset.firstScreenDrawn === 'true'", timeout=CHART_TIMEOUT_MS)
    return page


def test_a_chart_scrolled_to_is_drawn_before_those_above_it(editor_page, live_server, demo_workspace, console_errors):
    page = _results_first_screen(editor_page, live_server, demo_workspace)
    order = ["chart-rto", "chart-data-loss", "chart-downtime", "chart-cost", "chart-replay-p50", "chart-replay-p95"]
    on_page = [chart_id for chart_id in order if page.locator(f"#{chart_id}").count()]
    assert page.evaluate("window.__drawn.length") <= 1  # the first screen (verdicts) has no chart at 1280×720
    page.locator("#chart-replay-p95").scroll_into_view_if_needed()
    page.locator("#chart-replay-p95[data-rendered=true]").wait_for(timeout=CHART_TIMEOUT_MS)
    drawn = page.evaluate("window.__drawn")
    assert "chart-replay-p95" in drawn[:3], drawn  # at most the one being drawn and its neighbour came first
    page.wait_for_selector("body[data-charts-drawn='true']", timeout=CHART_TIMEOUT_MS)
    assert sorted(page.evaluate("window.__drawn")) == sorted(on_page)  # every chart once, also those not scrolled to
    for chart_id in on_page:
        expect(page.locator(f"#{chart_id} .main-svg").first).to_be_visible()
    assert console_errors == []


def test_charts_keep_their_place_before_they_are_drawn(editor_page, live_server, demo_workspace, console_errors):
    page = _results_first_screen(editor_page, live_server, demo_workspace)
    before = page.evaluate("document.getElementById('key-figures-h').getBoundingClientRect().top + scrollY")
    page.wait_for_selector("body[data-charts-drawn='true']", timeout=CHART_TIMEOUT_MS)
    after = page.evaluate("document.getElementById('key-figures-h').getBoundingClientRect().top + scrollY")
    assert abs(after - before) < 2, (before, after)  # what follows the charts did not move when they were drawn
    marks = page.evaluate("['first-screen-drawn', 'charts-drawn'].map(n => performance.getEntriesByName(n).length)")
    assert marks == [1, 1]
    assert console_errors == []


def test_the_compare_page_draws_every_chart(editor_page, live_server, demo_workspace, console_errors):
    page = editor_page
    runs = "&".join(f"runs={run.pk}" for run in demo_workspace.runs[:2])
    page.goto(f"{live_server.url}/w/{demo_workspace.id}/compare/?{runs}")
    page.wait_for_selector("body[data-charts-drawn='true']", timeout=CHART_TIMEOUT_MS)
    charts = page.locator(".chart[data-chart]")
    assert charts.count() >= 2
    for i in range(charts.count()):
        expect(charts.nth(i)).to_have_attribute("data-rendered", "true")
        expect(charts.nth(i).locator(".main-svg").first).to_be_visible()
    assert console_errors == []


# Elements wider than their box: the page itself, and every table (inside a scrolling box or not).
OVERFLOWING = """() => [document.documentElement, ...document.querySelectorAll('table')]
  .filter(el => el.scrollWidth > el.clientWidth + 1)
  .map(el => `${el.tagName.toLowerCase()}.${el.className} ${el.scrollWidth} > ${el.clientWidth}`)"""


def _option_with_long_settings(run):
    """A third option: ``run`` again, under a long name, with settings whose paths and values are long words."""
    from planner.models import Run

    snapshot = copy.deepcopy(run.snapshot)
    snapshot["costs"]["chaos_testing_hours_per_month"] = 16.0
    snapshot["app"]["pool"]["connection_timeout_s"] = 2.0
    snapshot["database"]["backups"] = {
        "kind": "pitr",
        "storage": "cross-region",
        "interval_s": 300.0,
        "restore_setup_s": {"p95": 2700.0, "p99": None, "kind": "lognormal", "median": 900.0},
        "restore_throughput_gb_per_s": 0.05,
    }
    copy_of = Run.objects.get(pk=run.pk)
    copy_of.pk = None
    copy_of.scenario_name = "Active-passive, tuned: pools, service discovery, point-in-time backups"
    copy_of.snapshot = snapshot
    copy_of.save()
    return copy_of


@pytest.mark.parametrize("width, height", [(1280, 720), (1024, 768)])
def test_the_compare_page_fits_the_screen_with_every_chart_drawn(
    editor_page, live_server, demo_workspace, console_errors, shoot, width, height
):
    """Long settings and option names wrap: neither the page nor a table scrolls sideways; every chart is drawn
    and the cost chart names its options in the legend (their names beside the points overlapped)."""
    page = editor_page
    page.set_viewport_size({"width": width, "height": height})
    options = [*demo_workspace.runs[:2], _option_with_long_settings(demo_workspace.runs[0])]
    runs = "&".join(f"runs={run.pk}" for run in options)
    page.goto(f"{live_server.url}/w/{demo_workspace.id}/compare/?{runs}")
    page.wait_for_selector("body[data-charts-drawn='true']", timeout=CHART_TIMEOUT_MS)
    shoot(page, f"compare-{width}")
    assert page.evaluate(OVERFLOWING) == []
    assert page.locator("#compare-differences table").count() == 1
    charts = page.locator(".chart[data-chart]")
    assert charts.count() >= 2
    for i in range(charts.count()):
        expect(charts.nth(i)).to_have_attribute("data-rendered", "true")
        expect(charts.nth(i).locator(".main-svg").first).to_be_visible()
    legend = page.locator("#chart-frontier .legendtext")
    expect(legend).to_have_count(3)
    expect(legend.first).to_contain_text("1. ")
    assert console_errors == []


# Which charts plotly.js had to lay out a second time: its margins (``_size``) grew past the figure's.
RELAID_OUT = """() => [...document.querySelectorAll('.chart[data-chart]')].filter(el => {
  const given = el.layout.margin, settled = el._fullLayout._size;
  return ['l', 'r', 't', 'b'].some(side => Math.round(settled[side]) > Math.round(given[side]));
}).map(el => el.id)"""


def test_charts_start_from_the_margins_their_labels_need(editor_page, live_server, demo_workspace, console_errors):
    page = editor_page
    runs = "&".join(f"runs={run.pk}" for run in demo_workspace.runs[:3])
    for url in (_results_url(live_server, demo_workspace), f"{live_server.url}/w/{demo_workspace.id}/compare/?{runs}"):
        page.goto(url)
        page.wait_for_selector("body[data-charts-drawn='true']", timeout=CHART_TIMEOUT_MS)
        assert len(page.evaluate(RELAID_OUT)) <= 1, url  # on the compare page the first of a legend teaches the rest
        expect(page.locator("#chart-cost, #chart-frontier").first.locator(".main-svg").first).to_be_visible()
    assert console_errors == []
