"""Plotly figures for the results and compare pages, drawn from ``simulation.present.chartdata`` series.

Figures are plain Plotly figure dicts (``{"data": [...], "layout": {...}}``):
the page embeds them with ``json_script`` and draws them with
``Plotly.newPlot``. Building dicts directly keeps a results page well inside
its time budget (a validated ``plotly.graph_objects.Figure`` costs ~10 ms a
chart); the tests load every figure into ``go.Figure`` to prove it is valid.

Readable on a projector: large type, thick lines, the unit on every axis, and
a colour-blind-safe palette (Okabe–Ito).
"""

from __future__ import annotations

import math
from typing import Any

from simulation.engine.results import RunResults
from simulation.model.incident_types import INCIDENT_TYPES
from simulation.present import chartdata
from simulation.present.format import format_duration, format_money, format_percent
from simulation.present.report.charts_plotly import plotly_escaped, plotly_text

Figure = dict[str, Any]

# Okabe–Ito: distinguishable with the common colour-vision deficiencies
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#8C8C8C"]
TARGET_COLOUR = "#C0392B"
OUTAGE_COLOUR = "#D55E00"
INFRASTRUCTURE_COLOUR = "#0072B2"
PHASE_COLOURS = {
    "detect": "#56B4E9",
    "decide": "#E69F00",
    "promote": "#0072B2",
    "catch-up": "#1F4E79",
    "warm-up": "#F39C12",
    "propagate": "#009E73",
    "reconnect": "#CC79A7",
    "restart": "#D55E00",
    "rejoin": "#16A085",
    "restore": "#8E44AD",
    "rollback": "#F0E442",
    "repair": "#7F8C8D",
    "crash-recovery": "#34495E",
    "partition": "#000000",
    "fence": "#A93226",
    "reconcile": "#B9770E",
    "global-detect": "#85C1E9",
    "evacuate": "#2E86C1",
    "scale-out": "#5DADE2",
    "fail-back": "#48C9B0",
}
FONT = {
    "family": "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif",
    "size": 16,
    "color": "#1b1f24",
}
LOG_SPAN = 100.0  # a time axis spanning more than this ratio (max / smallest positive) goes logarithmic
NICE_DURATIONS_S = [
    1,
    2,
    5,
    10,
    30,
    60,
    120,
    300,
    600,
    1800,
    3600,
    2 * 3600,
    4 * 3600,
    12 * 3600,
    86_400,
    2 * 86_400,
    7 * 86_400,
    30 * 86_400,
]
MEDIUM_DURATIONS_S = [1, 5, 30, 60, 300, 1800, 3600, 4 * 3600, 86_400, 7 * 86_400]
COARSE_DURATIONS_S = [1, 10, 60, 600, 3600, 6 * 3600, 86_400, 7 * 86_400]
# Tick labels stay within the margins automargin gives them, so plotly.js need not check each against the chart's
# edges ("hide past div" measures every label again after placing each one: a tenth of a chart's drawing time).
TICK_LABELS = {"automargin": True, "ticklabeloverflow": "allow"}
# The x axis' labels stand a little below it, so its first label (at the corner on a log axis) and the y axis'
# "0 %" beside the corner do not overlap.
X_TICK_LABELS = {**TICK_LABELS, "ticklabelstandoff": 8}
AXIS = {"gridcolor": "#e3e6ea", "zeroline": False, **TICK_LABELS}
PLOT_CONFIG = {"responsive": True, "displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


def _layout(*, x_title: str, y_title: str, height: int = 440, legend_rows: int = 1, **extra: Any) -> dict[str, Any]:
    """The layout every chart shares: big type, white background, the legend under the axis title."""
    layout = {
        "font": FONT,
        "height": height + 28 * (legend_rows - 1),
        "margin": {"l": 80, "r": 30, "t": 20, "b": 110 + 28 * (legend_rows - 1)},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "hovermode": "closest",
        "legend": {
            "orientation": "h",
            "x": 0,
            "xref": "container",
            "y": 0,
            "yref": "container",
            "yanchor": "bottom",
            "font": {"size": 15},
        },
        "xaxis": {"title": {"text": x_title}, **AXIS, **X_TICK_LABELS},
        "yaxis": {"title": {"text": y_title}, **AXIS},
    }
    layout.update(extra)
    return layout


def _duration_ticks(lo_s: float, hi_s: float, *, wide: bool = True) -> tuple[list[float], list[str]]:
    """Tick positions (s) and labels ('30 s', '5 min', '1 h') for a log time axis from ``lo_s`` to ``hi_s``.

    The first tick is at or below ``lo_s``, so the left edge is always labelled; the finest
    list is used whose ticks do not crowd the axis (up to 8 labels at full width, 6 at half).
    """
    most = 8 if wide else 6
    choices = (
        (NICE_DURATIONS_S, MEDIUM_DURATIONS_S, COARSE_DURATIONS_S) if wide else (NICE_DURATIONS_S, COARSE_DURATIONS_S)
    )
    values: list[float] = []
    for candidates in choices:
        below = [v for v in candidates if v <= lo_s]
        start = below[-1] if below else candidates[0]
        values = [v for v in candidates if start <= v <= hi_s * 1.5]
        if len(values) <= most:
            break
    return values, [_short_duration(v) for v in values]


def _short_duration(seconds: float) -> str:
    """A compact tick label: '30 s', '5 min', '2 h', '1 d'."""
    if seconds < 60:
        return f"{seconds:g} s"
    if seconds < 3600:
        return f"{seconds / 60:g} min"
    if seconds < 86_400:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 86_400:g} d"


def _time_axis(
    values_s: list[float], reference_s: float, name: str, divisor: float, unit: str, *, wide: bool = True
) -> tuple[dict[str, Any], float]:
    """An x axis for durations: linear in ``unit``, or logarithmic in seconds when the span is wide.

    Returns the axis layout and the divisor to apply to the data (1 on a log axis,
    whose tick labels carry their own units).
    """
    positive = [v for v in values_s if v > 0] + ([reference_s] if reference_s > 0 else [])
    if positive and max(positive) / min(positive) > LOG_SPAN:
        lo, hi = min(positive), max(positive)
        ticks, labels = _duration_ticks(lo, hi, wide=wide)
        left = min([lo / 1.3] + ticks[:1])
        axis = {
            "type": "log",
            "title": {"text": f"{name} (log scale; s, min, h)"},
            "tickvals": ticks,
            "ticktext": labels,
            "range": [math.log10(left), math.log10(hi * 1.3)],
        }
        return axis, 1.0
    return {"type": "linear", "title": {"text": f"{name} ({unit})"}, "rangemode": "tozero"}, divisor


def _type_colour(incident_type: str, fallback_index: int) -> str:
    """One colour per incident type, the same on every chart whichever types a scenario has."""
    types = list(INCIDENT_TYPES)
    index = types.index(incident_type) if incident_type in types else fallback_index
    return PALETTE[index % len(PALETTE)]


def _vertical_line(
    x: float, y_lo: float, y_hi: float, label: str, colour: str = TARGET_COLOUR, yaxis: str = "y"
) -> dict[str, Any]:
    """A dashed vertical line drawn as a trace, so it is named in the legend and the hover."""
    return {
        "type": "scatter",
        "mode": "lines",
        "x": [x, x],
        "y": [y_lo, y_hi],
        "name": label,
        "yaxis": yaxis,
        "line": {"color": colour, "width": 3, "dash": "dash"},
        "hoverinfo": "name",
    }


def ecdf_figure(results: chartdata.Results, metric: str = "rto_s") -> Figure | None:
    """Recovery time (or data loss) ECDF, one line per incident type, with the target as a dashed line.

    For data loss only types that ever lose data are drawn; ``None`` when none does.
    """
    data = chartdata.ecdf(results, metric)
    series = data["series"]
    if metric == "data_loss_s":
        series = [s for s in series if max(s["x_s"]) > 0]
        if not series:
            return None
    all_x = [x for s in series for x in s["x_s"]]
    name = "Recovery time" if metric == "rto_s" else "Data loss"
    axis, divisor = _time_axis(all_x, data["target_s"], name, data["divisor"], data["unit"])
    traces = [
        _ecdf_trace(s, divisor, _type_colour(s["incident_type"], i), "% of incidents") for i, s in enumerate(series)
    ]
    target_label = f"{'RTO' if metric == 'rto_s' else 'RPO'} target ({format_duration(data['target_s'])})"
    if data["target_s"] > 0 or axis["type"] == "linear":
        traces.append(_vertical_line(data["target_s"] / divisor, 0, 100, target_label))
    layout = _layout(x_title=axis["title"]["text"], y_title=data["y_title"], legend_rows=1 + len(traces) // 5)
    layout["xaxis"].update(axis)
    layout["yaxis"].update({"range": [0, 102], "ticksuffix": " %"})
    return {"data": traces, "layout": layout}


def _ecdf_trace(series: dict, divisor: float, colour: str, share_words: str) -> dict:
    """One ECDF line: x in the axis' unit, y in percent, the exact duration on hover.

    The line is a step curve (``hv``): a point whose neighbours on both sides share its x lies on a vertical
    run and draws nothing of its own, so it is left out (with it, its hover: the run's top point tells more).
    Positions keep 6 significant digits (far below a pixel); the numbers shown come from the exact values."""
    xs, ys = series["x_s"], series["y"]
    kept = [i for i in range(len(xs)) if i in (0, len(xs) - 1) or not (xs[i - 1] == xs[i] == xs[i + 1])]
    return {
        "type": "scatter",
        "mode": "lines",
        "name": series["label"],
        "x": [_position(xs[i] / divisor) for i in kept],
        "y": [_position(100 * ys[i]) for i in kept],
        "customdata": [format_duration(xs[i]) for i in kept],
        "hovertemplate": f"{plotly_text(series['label'])}<br>%{{y:.1f}} {share_words} ≤ %{{customdata}}<extra></extra>",
        "line": {"color": colour, "width": 3, "shape": "hv"},
    }


def _position(value: float) -> float:
    """A coordinate to 6 significant digits: a shorter page, the same drawing."""
    return float(f"{value:.6g}")


def downtime_figure(results: RunResults) -> Figure:
    """Histogram of the downtime of each simulated year, with the downtime the availability target allows."""
    data = chartdata.downtime_histogram(results)
    divisor = data["divisor"]
    edges, counts = data["edges_s"], data["counts"]
    centres = [(a + b) / 2 / divisor for a, b in zip(edges, edges[1:])]
    widths = [(b - a) / divisor for a, b in zip(edges, edges[1:])]
    labels = [f"{format_duration(a)} – {format_duration(b)}" for a, b in zip(edges, edges[1:])]
    bars = {
        "type": "bar",
        "x": centres,
        "y": counts,
        "width": widths,
        "name": "Simulated years",
        "customdata": labels,
        "marker": {"color": INFRASTRUCTURE_COLOUR},
        "hovertemplate": "%{y} years with %{customdata} of downtime<extra></extra>",
    }
    availability = results.scenario["targets"]["availability"]
    allowed = _vertical_line(
        data["allowed_s"] / divisor,
        0,
        max(counts, default=1) * 1.05,
        f"Allowed by {format_percent(availability, 2)} availability ({format_duration(data['allowed_s'])})",
    )
    layout = _layout(x_title=data["x_title"], y_title=data["y_title"], bargap=0.05)
    layout["xaxis"]["rangemode"] = "tozero"
    return {"data": [bars, allowed], "layout": layout}


def cost_figure(results: chartdata.Results) -> Figure:
    """Monthly cost, item by item, as horizontal bars (infrastructure in blue, expected outage in orange)."""
    data = chartdata.cost_breakdown(results)
    currency = data["currency"]
    items = list(reversed(data["items"]))  # plotly draws the first category at the bottom
    bar = {
        "type": "bar",
        "orientation": "h",
        "name": "Cost per month",
        "y": [item["label"] for item in items],
        "x": [item["usd_per_month"] for item in items],
        "text": [format_money(item["usd_per_month"], currency) for item in items],
        "textposition": "auto",
        "cliponaxis": False,
        "marker": {"color": [OUTAGE_COLOUR if item["kind"] == "outage" else INFRASTRUCTURE_COLOUR for item in items]},
        "hovertemplate": "%{y}: %{text} per month<extra></extra>",
    }
    layout = _layout(x_title=data["y_title"], y_title="", height=max(300, 60 + 44 * len(items)), showlegend=False)
    layout["margin"]["l"] = 20
    layout["xaxis"].update({"rangemode": "tozero", "tickformat": ",.0f"})
    return {"data": [bar], "layout": layout}


def replay_figure(results: RunResults, incident_type: str, which: str = "p50") -> Figure | None:
    """Incident replay: phase Gantt (top) over the served-fraction curve (bottom), on one time axis."""
    data = chartdata.replay(results, incident_type, which)
    if data is None:
        return None
    divisor, _unit = data["divisor"], data["unit"]
    phases = data["phases"]
    order = list(dict.fromkeys(p["phase"] for p in phases))
    gantt = {
        "type": "bar",
        "orientation": "h",
        "yaxis": "y",
        "showlegend": False,
        "name": "Phases",
        "y": [p["phase"] for p in phases],
        "base": [p["start_s"] / divisor for p in phases],
        "x": [max(p["end_s"] - p["start_s"], 0.0) / divisor for p in phases],
        "customdata": [
            [
                format_duration(p["start_s"]),
                data["not_recovered_label"]
                if p.get("unfinished")
                else f"lasting {format_duration(p['end_s'] - p['start_s'])}",
            ]
            for p in phases
        ],
        "marker": {"color": [PHASE_COLOURS.get(p["phase"], "#7F8C8D") for p in phases]},
        "hovertemplate": "%{y}: from %{customdata[0]}, %{customdata[1]}<extra></extra>",
    }
    served = data["served"]
    curve = {
        "type": "scatter",
        "mode": "lines",
        "yaxis": "y2",
        "name": "Requests served",
        "x": [t / divisor for t in served["t_s"]],
        "y": [100 * f for f in served["fraction"]],
        "line": {"color": "#009E73", "width": 3},
        "fill": "tozeroy",
        "fillcolor": "rgba(0,158,115,0.15)",
        "hovertemplate": "%{y:.0f} % served<extra></extra>",
    }
    threshold = 100 * results.recovery_threshold
    end = served["t_s"][-1] / divisor if served["t_s"] else 1.0
    threshold_line = {
        "type": "scatter",
        "mode": "lines",
        "yaxis": "y2",
        "x": [0, end],
        "y": [threshold, threshold],
        "name": f"Recovered ({threshold:g} % served)",
        "line": {"color": "#7F8C8D", "width": 2, "dash": "dot"},
        "hoverinfo": "name",
    }
    if data["recovered_within_horizon"]:
        rto_at, rto_label = data["rto_s"], f"Recovery time {format_duration(data['rto_s'])}"
    else:  # drawn at the horizon, named as what it is
        rto_at, rto_label = data["horizon_s"], data["not_recovered_label"].capitalize()
    rto_line = _vertical_line(rto_at / divisor, 0, 100, rto_label, yaxis="y2")
    gantt_px, curve_px = 34 * max(len(order), 2), 240  # each phase gets a readable row
    split = curve_px / (gantt_px + curve_px)
    layout = _layout(x_title=data["x_title"], y_title="", height=gantt_px + curve_px + 150, legend_rows=2)
    layout["xaxis"].update({"rangemode": "tozero", "anchor": "y2"})
    layout["yaxis"] = {
        "domain": [split + 0.06, 1.0],
        "categoryorder": "array",
        "categoryarray": list(reversed(order)),
        **TICK_LABELS,
        "gridcolor": "#e3e6ea",
        "title": {"text": "Phase"},
    }
    layout["yaxis2"] = {
        "domain": [0.0, split],
        "range": [0, 105],
        "ticksuffix": " %",
        **TICK_LABELS,
        "gridcolor": "#e3e6ea",
        "title": {"text": "Served (%)"},
    }
    return {"data": [gantt, curve, threshold_line, rto_line], "layout": layout}


def overlay_ecdf_figure(
    runs: list[tuple[str, chartdata.Results]], incident_type: str, target_s: float | None = None
) -> Figure | None:
    """One incident type's recovery-time ECDF for several options; ``None`` when no option has it."""
    data = chartdata.overlay_ecdf(runs, incident_type)
    if not data["series"]:
        return None
    all_x = [x for s in data["series"] for x in s["x_s"]]
    axis, divisor = _time_axis(all_x, target_s or 0.0, "Recovery time", data["divisor"], data["unit"], wide=False)
    traces = [_ecdf_trace(s, divisor, PALETTE[i % len(PALETTE)], "%") for i, s in enumerate(data["series"])]
    if target_s:
        traces.append(_vertical_line(target_s / divisor, 0, 100, f"RTO target ({format_duration(target_s)})"))
    layout = _layout(
        x_title=axis["title"]["text"], y_title="Incidents at or below (%)", height=420, legend_rows=1 + len(traces) // 3
    )
    layout["xaxis"].update(axis)
    layout["yaxis"].update({"range": [0, 102], "ticksuffix": " %"})
    return {"data": traces, "layout": layout}


def cost_vs_downtime_figure(runs: list[tuple[str, chartdata.Results]]) -> Figure:
    """Options as points: total monthly cost (x: infrastructure + expected outage) against expected annual
    downtime (y); ● meets targets, ✕ not. Each option is numbered on the chart and named in full in the legend
    (names beside the points overlapped and ran off the chart), each in its own colour."""
    data = chartdata.cost_vs_downtime(runs)
    currency = runs[0][1].costs.currency if runs else "USD"
    decision_cost = {label: r.costs.premium_usd_per_month + r.costs.expected_outage_usd_per_month for label, r in runs}
    xs = [p["total_usd_per_month"] for p in data["points"]] or [0.0]
    ys = [p["downtime_h_per_year"] for p in data["points"]] or [0.0]
    pad_x = 0.08 * ((max(xs) - min(xs)) or max(abs(max(xs)), 1.0))  # room for the markers at the edges
    x_range, y_range = [min(xs) - pad_x, max(xs) + pad_x], [0, max(max(ys) * 1.25, 0.1)]
    numbers = _shared_numbers(xs, ys, x_range, y_range)
    traces = []
    for number, point in enumerate(data["points"], start=1):
        met = point["targets_met"]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers+text",
                "name": f"{number}. {point['label']}: {'meets the targets' if met else 'misses a target'}",
                "x": [point["total_usd_per_month"]],
                "y": [point["downtime_h_per_year"]],
                "text": [numbers[number - 1]],
                "textposition": "top center",
                "customdata": [
                    [
                        format_money(point["total_usd_per_month"], currency),
                        format_duration(point["downtime_h_per_year"] * 3600),
                        format_money(decision_cost[point["label"]], currency),
                    ]
                ],
                "hovertemplate": f"{number}. {plotly_text(point['label'])}<br>total %{{customdata[0]}}/month"
                "<br>downtime %{customdata[1]}/year<br>premium + expected outage %{customdata[2]}/month<extra></extra>",
                "marker": {
                    "size": 18,
                    "symbol": "circle" if met else "x",
                    "color": PALETTE[(number - 1) % len(PALETTE)],
                    "line": {"width": 2, "color": "#1b1f24"},
                },
            }
        )
    layout = _layout(
        x_title=data["x_title"], y_title=data["y_title"], height=460, legend_rows=max(len(traces), 1), showlegend=True
    )
    layout["xaxis"].update({"tickformat": ",.0f", "zeroline": True, "range": x_range})
    layout["yaxis"].update({"range": y_range})
    return {"data": traces, "layout": layout}


NEAR_SHARE = (0.05, 0.08)  # of the x and y ranges: points closer than this would have their numbers overlap


def _shared_numbers(xs: list[float], ys: list[float], x_range: list[float], y_range: list[float]) -> list[str]:
    """The number written above each point: points (nearly) on top of each other show theirs once, together
    ("1, 3" above the first of them, nothing above the others)."""
    width, height = (x_range[1] - x_range[0]) or 1.0, (y_range[1] - y_range[0]) or 1.0
    texts = [str(i + 1) for i in range(len(xs))]
    for i in range(len(xs)):
        for j in range(i):
            near = abs(xs[i] - xs[j]) < NEAR_SHARE[0] * width and abs(ys[i] - ys[j]) < NEAR_SHARE[1] * height
            if near and texts[j]:
                texts[j], texts[i] = f"{texts[j]}, {i + 1}", ""
                break
    return texts


def results_figures(results: RunResults, replay_type: str | None = "db_primary_failure") -> dict[str, Figure | None]:
    """Every chart of the results page, keyed by the id of its place on the page (``None``: nothing to draw)."""
    figures: dict[str, Figure | None] = {
        "chart-rto": ecdf_figure(results, "rto_s"),
        "chart-data-loss": ecdf_figure(results, "data_loss_s"),
        "chart-downtime": downtime_figure(results),
        "chart-cost": cost_figure(results),
    }
    for which in ("p50", "p95"):
        figures[f"chart-replay-{which}"] = replay_figure(results, replay_type, which) if replay_type else None
    return _escaped(figures)


def compare_figures(runs: list[tuple[str, chartdata.Results]], target_rto_s: float | None) -> dict[str, Figure]:
    """The compare page's charts: overlaid ECDF per incident type any option has, and the cost frontier."""
    figures: dict[str, Figure] = {"chart-frontier": cost_vs_downtime_figure(runs)}
    types = list(dict.fromkeys(t for _, results in runs for t in chartdata.active_types(results)))
    for incident_type in types:
        figure = overlay_ecdf_figure(runs, incident_type, target_rto_s)
        if figure is not None:
            figures[f"chart-ecdf-{incident_type}"] = figure
    return _escaped(figures)


NUMBER_ARRAYS = ("x", "y", "base", "width")


def _escaped(figures: dict[str, Figure | None]) -> dict[str, Figure | None]:
    """``plotly_escaped`` of the figures, with the traces' arrays of numbers set aside meanwhile: they hold no
    text, and looking at each of their tens of thousands of numbers was a third of a compare page's figures."""
    numbers = {}
    for key, figure in figures.items():
        for index, trace in enumerate(figure["data"] if figure else []):
            for name in NUMBER_ARRAYS:
                values = trace.get(name)
                if isinstance(values, list) and all(isinstance(v, (int, float)) for v in values):
                    numbers[key, index, name] = trace.pop(name)
    escaped = plotly_escaped(figures)
    for (key, index, name), values in numbers.items():
        figures[key]["data"][index][name] = escaped[key]["data"][index][name] = values
    return escaped
