"""Charts: the PDF's SVGs and the HTML's Plotly figures draw the chart data of simulation.present.chartdata."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from simulation.present import chartdata
from simulation.present.report import build_report
from simulation.present.report.charts_plotly import report_figures
from simulation.present.report.charts_svg import duration_ticks, ecdf_scale, report_svgs
from simulation.present.report.exporters import keep_parts


@pytest.mark.slow
def test_it_draws_the_same_svg_for_the_same_report_with_ids_unique_across_charts(three_options):
    report = build_report(three_options)
    svgs = report_svgs(report)
    assert set(svgs) == {
        "cost_vs_downtime",
        "overlay_db_primary_failure",
        "overlay_region_outage",
        "ecdf_0",
        "ecdf_1",
        "ecdf_2",
    }
    assert report_svgs(report) == svgs
    ids = Counter(i for svg in svgs.values() for i in re.findall(r'\bid="([^"]+)"', svg))
    assert ids and max(ids.values()) == 1
    for svg in svgs.values():
        assert svg.startswith("<svg") and "<?xml" not in svg
        for ref in re.findall(r"url\(#([^)]+)\)", svg):
            assert ref in ids


@pytest.mark.slow
def test_it_marks_the_rto_target_in_every_ecdf(three_options):
    svgs = report_svgs(build_report(three_options))
    for key in ("ecdf_0", "overlay_db_primary_failure"):
        assert "Target (5 min)" in svgs[key]
    figures = report_figures(build_report(three_options))
    target = [t for t in figures["ecdf_1"]["data"] if t["name"].startswith("Target")][0]
    assert target["x"] == [300.0, 300.0] and figures["ecdf_1"]["layout"]["xaxis"]["type"] == "log"


def test_it_plots_the_chartdata_series_unchanged_in_the_html(three_options):
    results = three_options[1].results
    figure = report_figures(build_report(three_options))["ecdf_1"]
    series = chartdata.ecdf(results)["series"]
    for trace, s in zip(figure["data"], series):
        assert trace["name"] == s["label"]
        assert trace["y"] == [100 * y for y in s["y"]]
        assert trace["x"][-1] == s["x_s"][-1]
    frontier = report_figures(build_report(three_options))["cost_vs_downtime"]
    assert [t["x"][0] for t in frontier["data"]] == [o.results.costs.total_usd_per_month for o in three_options]


def test_it_labels_a_log_time_axis_in_durations():
    assert duration_ticks(5, 20_000) == (
        [10, 30, 60, 300, 600, 1800, 3600, 14_400],
        ["10 s", "30 s", "1 min", "5 min", "10 min", "30 min", "1 h", "4 h"],
    )
    narrow = {"x_s": [100.0, 150.0], "y": [0.0, 1.0]}
    assert ecdf_scale([narrow], 60.0, 120.0)["log"] is False
    assert ecdf_scale([{"x_s": [1.0, 5000.0], "y": [0.0, 1.0]}], 60.0, 300.0)["log"] is True


def test_it_keeps_figures_whole_and_escaped_when_a_cell_wraps():
    assert (
        str(keep_parts("9,000 s (2 h 30 min)"))
        == '<span class="nw">9,000 s</span> <span class="nw">(2 h 30 min)</span>'
    )
    assert str(keep_parts("<b> & co")) == '<span class="nw">&lt;b&gt; &amp; co</span>'
