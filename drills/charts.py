"""Plotly figures of the drill page: measured percentiles per phase, and the calibration plot."""

from __future__ import annotations

from typing import Any

from planner.charts import FONT, PALETTE, TICK_LABELS
from simulation.analysis.drill_compare import BAND

Figure = dict[str, Any]
MAX_DRILLS_CHARTED = 12  # the most recent ones


def _layout(x_title: str, y_title: str, **extra: Any) -> dict[str, Any]:
    grid = {"gridcolor": "#e3e6ea", "zeroline": False, **TICK_LABELS}
    return {
        "font": FONT,
        "height": 440,
        "margin": {"l": 80, "r": 30, "t": 20, "b": 110},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "legend": {"orientation": "h", "x": 0, "y": -0.3, "font": {"size": 14}},
        "xaxis": {"title": {"text": x_title}, **grid},
        "yaxis": {"title": {"text": y_title}, **grid},
        **extra,
    }


def percentile_figure(comparison: dict) -> Figure:
    """Each drill's phases at their percentile of the model's distribution; the 5–95 % band shaded."""
    drills = comparison["drills"][-MAX_DRILLS_CHARTED:]
    traces = []
    for i, drill in enumerate(drills):
        phases = drill["phases"]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers+lines",
                "name": f"{drill['date']} {drill['drill_type']}",
                "x": [p["label"] for p in phases],
                "y": [round(100 * p["percentile"], 1) for p in phases],
                "text": [
                    f"measured {p['measured_s']:.0f} s; model p5–p95 {p['p5_s']:.0f}–{p['p95_s']:.0f} s" for p in phases
                ],
                "hovertemplate": "%{x}: %{y} %<br>%{text}<extra></extra>",
                "marker": {"size": 12, "color": PALETTE[i % len(PALETTE)]},
                "line": {"width": 1, "dash": "dot", "color": PALETTE[i % len(PALETTE)]},
            }
        )
    band = {
        "type": "rect",
        "xref": "paper",
        "x0": 0,
        "x1": 1,
        "y0": 100 * BAND[0],
        "y1": 100 * BAND[1],
        "fillcolor": "rgba(0,158,115,0.12)",
        "line": {"width": 0},
        "layer": "below",
    }
    yaxis = {
        "title": {"text": "percentile in the model's distribution (%)"},
        "range": [-3, 103],
        "gridcolor": "#e3e6ea",
    }
    return {"data": traces, "layout": _layout("phase", "", yaxis=yaxis, shapes=[band])}


def calibration_figure(comparison: dict) -> Figure:
    """Sorted total-RTO percentiles against the uniform's quantiles: on the diagonal when the model is right."""
    values = sorted(100 * p for p in comparison["rto_percentiles"])
    n = len(values)
    expected = [round(100 * (i + 1) / (n + 1), 1) for i in range(n)]
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "name": "a calibrated model",
                "x": [0, 100],
                "y": [0, 100],
                "line": {"color": "#8C8C8C", "dash": "dash", "width": 2},
            },
            {
                "type": "scatter",
                "mode": "markers+lines",
                "name": "drills (total RTO)",
                "x": expected,
                "y": [round(v, 1) for v in values],
                "marker": {"size": 11, "color": PALETTE[0]},
                "line": {"color": PALETTE[0], "width": 2},
            },
        ],
        "layout": _layout(
            "expected percentile if the model is right (%)",
            "measured percentile (%)",
            xaxis={"title": {"text": "expected percentile if the model is right (%)"}, "range": [0, 100]},
            yaxis={"title": {"text": "measured percentile (%)"}, "range": [0, 100]},
        ),
    }


def drill_figures(comparison: dict | None) -> dict[str, Figure]:
    if not comparison:
        return {}
    return {"chart-percentiles": percentile_figure(comparison), "chart-calibration": calibration_figure(comparison)}
