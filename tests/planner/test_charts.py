"""Plotly figures of the results and compare pages, built from real engine results."""

from __future__ import annotations

import copy
import dataclasses

import plotly.graph_objects as go
import pytest

from planner import charts
from simulation import RunResults, load_scenario
from simulation import run as run_engine
from simulation.present.chartdata import active_types, incident_label

TRIALS = 200


@pytest.fixture(scope="module")
def results() -> RunResults:
    """Real results: the default active-passive scenario, a few hundred incidents per type."""
    return run_engine(load_scenario({"name": "Active-passive"}), trials=TRIALS, seed=11, years=2000)


@pytest.fixture(scope="module")
def single_region() -> RunResults:
    return run_engine(
        load_scenario({"name": "Single region", "pattern": "single-region"}), trials=TRIALS, seed=11, years=2000
    )


def _named(figure: dict, name_part: str) -> list[dict]:
    return [trace for trace in figure["data"] if name_part in trace.get("name", "")]


def test_it_builds_figures_plotly_accepts(results, single_region):
    figures = {
        **charts.results_figures(results),
        **charts.compare_figures([("A", results), ("B", single_region)], target_rto_s=300),
    }
    drawn = {key: figure for key, figure in figures.items() if figure is not None}
    assert {"chart-rto", "chart-downtime", "chart-cost", "chart-frontier"} <= set(drawn)
    for _key, figure in drawn.items():
        go.Figure(figure)  # raises on any property Plotly does not know


def test_it_draws_one_recovery_line_per_active_incident_type(results):
    figure = charts.ecdf_figure(results, "rto_s")
    lines = [t for t in figure["data"] if "target" not in t["name"]]
    assert [t["name"] for t in lines] == [incident_label(t) for t in active_types(results)]
    for trace in lines:
        assert trace["y"][0] == 0 and trace["y"][-1] == 100  # an ECDF in percent


def test_it_leaves_out_incident_types_that_do_not_happen(results):
    quiet = results.to_json()
    first = active_types(results)[0]
    quiet["incident_types"][first]["rate_per_year"] = 0
    names = [t["name"] for t in charts.ecdf_figure(RunResults.from_json(quiet), "rto_s")["data"]]
    assert incident_label(first) not in names
    assert len(names) == len(active_types(results))  # one type fewer, plus the target line


def test_it_draws_the_rto_target_line_where_the_targets_say(results):
    moved = results.to_json()
    moved["scenario"]["targets"]["rto_s"] = 1800
    for data, expected_s in ((results, results.scenario["targets"]["rto_s"]), (RunResults.from_json(moved), 1800)):
        figure = charts.ecdf_figure(data, "rto_s")
        (target,) = _named(figure, "RTO target")
        divisor = 1.0 if figure["layout"]["xaxis"]["type"] == "log" else _linear_divisor(figure)
        assert target["x"] == [expected_s / divisor] * 2
        assert target["y"] == [0, 100]


def _linear_divisor(figure: dict) -> float:
    unit = figure["layout"]["xaxis"]["title"]["text"].rsplit("(", 1)[1].rstrip(")")
    return {"s": 1.0, "min": 60.0, "h": 3600.0}[unit]


@pytest.mark.parametrize(
    "key", ["chart-rto", "chart-data-loss", "chart-downtime", "chart-cost", "chart-replay-p50", "chart-replay-p95"]
)
def test_it_names_the_unit_on_every_axis(results, key):
    figure = charts.results_figures(results, replay_type=_replayed_type(results))[key]
    layout = figure["layout"]
    x_title = layout["xaxis"]["title"]["text"]
    assert any(unit in x_title for unit in ("(s", "(min)", "(h)", "per month", "log scale; s, min, h"))
    y_titles = [layout[axis]["title"]["text"] for axis in ("yaxis", "yaxis2") if axis in layout]
    for title in y_titles:
        assert title == "" or "(%)" in title or title in ("Simulated years", "Phase")


def test_it_switches_to_a_log_axis_with_readable_ticks_when_times_span_decades(results):
    wide = results.to_json()
    first, *rest = active_types(results)
    wide["incident_types"][first]["ecdf"]["rto_s"] = [1.0 + i * 0.05 for i in range(201)]
    wide["incident_types"][rest[0]]["ecdf"]["rto_s"] = [3600.0 + i * 100 for i in range(201)]
    axis = charts.ecdf_figure(RunResults.from_json(wide), "rto_s")["layout"]["xaxis"]
    assert axis["type"] == "log"
    assert "1 min" in axis["ticktext"] or "5 min" in axis["ticktext"]
    assert all(label.split()[-1] in ("s", "min", "h", "d") for label in axis["ticktext"])


def test_it_skips_the_data_loss_chart_when_no_incident_loses_data(results):
    lossless = results.to_json()
    for block in lossless["incident_types"].values():
        block["ecdf"]["data_loss_s"] = [0.0] * 201
    assert charts.ecdf_figure(RunResults.from_json(lossless), "data_loss_s") is None


def test_it_marks_the_downtime_the_availability_target_allows(results):
    figure = charts.downtime_figure(results)
    (allowed,) = _named(figure, "Allowed by")
    bars = figure["data"][0]
    assert sum(bars["y"]) == sum(results.annual.downtime_histogram.counts)
    assert allowed["x"][0] > 0


def test_it_shows_the_expected_outage_cost_beside_the_infrastructure(results):
    bar = charts.cost_figure(results)["data"][0]
    assert "Expected outage cost" in bar["y"]
    outage = bar["x"][bar["y"].index("Expected outage cost")]
    assert outage == pytest.approx(results.costs.expected_outage_usd_per_month)
    assert all(text.endswith(results.costs.currency) for text in bar["text"])


def _replayed_type(results: RunResults) -> str:
    return next(t for t in active_types(results) if results.incident_types[t].replays.p95 is not None)


def test_it_replays_an_incident_as_phases_over_the_served_curve(results):
    incident_type = _replayed_type(results)
    figure = charts.replay_figure(results, incident_type, "p95")
    gantt, curve = figure["data"][0], figure["data"][1]
    record = results.incident_types[incident_type].replays.p95
    assert gantt["y"] == [phase.name for phase in record.phases]
    assert curve["yaxis"] == "y2" and max(curve["y"]) <= 100
    assert _named(figure, "Recovery time")


def test_it_has_no_replay_figure_for_an_incident_type_without_replays(results):
    assert charts.replay_figure(results, "no_such_incident", "p50") is None


def test_it_marks_options_that_miss_the_targets_differently(results, single_region):
    meets = dataclasses.replace(results, targets_met=True)
    misses = dataclasses.replace(single_region, targets_met=False)
    first, second = charts.cost_vs_downtime_figure([("Meets", meets), ("Misses", misses)])["data"]
    assert first["name"] == "1. Meets: meets the targets" and first["text"] == ["1"]
    assert second["name"] == "2. Misses: misses a target" and second["text"] == ["2"]
    assert first["marker"]["symbol"] != second["marker"]["symbol"]
    assert first["marker"]["color"] != second["marker"]["color"]


def test_it_numbers_the_options_on_the_cost_chart_and_names_them_in_the_legend(results, single_region):
    """Long option names beside the points overlapped: the points carry a number, the legend the name."""
    names = ["Active-active (full): two writing regions (run 1)", "Active-active (read): local reads (run 2)"]
    figure = charts.cost_vs_downtime_figure([(names[0], results), (names[1], single_region)])
    assert [t["text"] for t in figure["data"]] == [["1"], ["2"]]
    for number, (name, trace) in enumerate(zip(names, figure["data"]), start=1):
        assert trace["name"].startswith(f"{number}. {name}: ") and f"{number}. {name}<br>" in trace["hovertemplate"]
    assert figure["layout"]["showlegend"] is True


def test_it_overlays_one_line_per_option_for_each_incident_type(results, single_region):
    figures = charts.compare_figures([("A", results), ("B", single_region)], target_rto_s=300)
    ecdfs = {k: v for k, v in figures.items() if k.startswith("chart-ecdf-")}
    assert ecdfs
    for figure in ecdfs.values():
        names = [t["name"] for t in figure["data"]]
        assert names[-1].startswith("RTO target")
        assert set(names[:-1]) <= {"A", "B"}


def test_it_gives_an_incident_type_the_same_colour_on_every_chart(results):
    colours = {}
    for metric in ("rto_s", "data_loss_s"):
        for trace in charts.ecdf_figure(results, metric)["data"]:
            if "target" not in trace["name"]:
                colours.setdefault(trace["name"], set()).add(trace["line"]["color"])
    assert all(len(seen) == 1 for seen in colours.values()), colours
    assert len({next(iter(seen)) for seen in colours.values()}) == len(colours)  # and no two types share one


def test_it_escapes_option_names_so_no_link_can_be_injected_into_a_chart(results, single_region):
    from payloads import LINK_NAME, has_live_link

    figures = charts.compare_figures([(LINK_NAME, results), ("Plain", single_region)], 300.0)
    assert not has_live_link(figures)
    frontier_names = [trace["name"] for trace in figures["chart-frontier"]["data"]]
    assert any(name.startswith("1. &lt;a href") for name in frontier_names)  # escaped in the legend
    for figure in figures.values():
        go.Figure(figure)  # still a valid figure


def _step_corners(xs: list[float], ys: list[float]) -> list[tuple[float, float]]:
    """The corners of a Plotly ``hv`` line through these points, without repeats."""
    corners: list[tuple[float, float]] = []
    for i, point in enumerate(zip(xs, ys)):
        for corner in ([(point[0], ys[i - 1])] if i else []) + [point]:
            if not corners or corners[-1] != corner:
                corners.append(corner)
    return [
        c
        for i, c in enumerate(corners)
        if not (0 < i < len(corners) - 1 and corners[i - 1][0] == c[0] == corners[i + 1][0])
    ]


def test_an_ecdf_line_keeps_only_its_corners_and_draws_the_same_steps():
    """Quantiles that repeat a duration lie on a vertical run of the step curve: only its ends are kept."""
    series = {"label": "Zone outage", "x_s": [0, 0, 0, 5, 5, 5, 5, 7.123456789, 9, 9], "y": [i / 9 for i in range(10)]}
    trace = charts._ecdf_trace(series, 1.0, "#000000", "%")
    assert trace["x"] == [0, 0, 5, 5, 7.12346, 9, 9]
    assert trace["customdata"] == ["0 s", "0 s", "5 s", "5 s", "7 s", "9 s", "9 s"]
    assert trace["y"][-1] == 100
    exact = _step_corners([float(x) for x in series["x_s"]], [100 * y for y in series["y"]])
    drawn = _step_corners(trace["x"], trace["y"])
    assert len(drawn) == len(exact)
    assert all(abs(a[0] - b[0]) < 1e-5 and abs(a[1] - b[1]) < 1e-4 for a, b in zip(drawn, exact))


def test_it_escapes_the_figures_as_plotly_escaped_does(results, single_region):
    from planner.charts import _escaped
    from simulation.present.report.charts_plotly import plotly_escaped

    names = [("<b>A</b> & co", results), ("B", single_region)]
    built = {"chart-frontier": charts.cost_vs_downtime_figure(names), "none": None}
    built.update({"chart-rto": charts.ecdf_figure(results), "chart-cost": charts.cost_figure(results)})
    assert _escaped(copy.deepcopy(built)) == plotly_escaped(built)


def test_options_on_the_same_spot_of_the_cost_chart_share_one_label(results, single_region):
    figure = charts.cost_vs_downtime_figure([("A", results), ("B", single_region), ("A again", results)])
    assert [t["text"] for t in figure["data"]] == [["1, 3"], ["2"], [""]]
    assert [t["name"][:2] for t in figure["data"]] == ["1.", "2.", "3."]  # each still named in the legend
