"""Interactive charts for the standalone HTML report: Plotly figure dicts from ``simulation.present.chartdata``.

Figures are plain ``{"data": [...], "layout": {...}}`` dicts (no plotly import
needed to build them); the page draws them with the plotly.js it inlines.
Plotly renders names, titles and hover text as a little HTML (``<a href>``,
``<b>``): every text of a figure is escaped (``plotly_escaped``), so a scenario
or option name shows as typed and can never become a link.
"""

from __future__ import annotations

import html
from typing import Any

from simulation.present.format import format_duration
from simulation.present.report.charts_svg import PALETTE, TARGET_COLOUR, ecdf_scale, scaled

_BASE_LAYOUT: dict[str, Any] = {
    "margin": {"l": 60, "r": 20, "t": 30, "b": 50},
    "height": 320,
    "font": {"family": "DejaVu Sans, Verdana, sans-serif", "size": 12},
    "legend": {"orientation": "h", "y": -0.25},
    "plot_bgcolor": "#ffffff",
    "xaxis": {"gridcolor": "#dddddd"},
    "yaxis": {"gridcolor": "#dddddd"},
}


TEMPLATE_KEYS = frozenset({"hovertemplate", "texttemplate"})  # ours, deliberately HTML; names go in escaped


def plotly_text(text: str) -> str:
    """Text Plotly shows as typed: ``<``, ``>`` and ``&`` become entities, which Plotly displays as such."""
    return html.escape(text, quote=False)


def plotly_escaped(node: Any) -> Any:
    """A figure (or any part of one) with every string escaped for Plotly, except the hover/text templates."""
    if isinstance(node, str):
        return plotly_text(node)
    if isinstance(node, dict):
        return {key: value if key in TEMPLATE_KEYS else plotly_escaped(value) for key, value in node.items()}
    if isinstance(node, (list, tuple)):
        return [plotly_escaped(value) for value in node]
    return node


def _layout(**extra: Any) -> dict[str, Any]:
    layout = {k: (dict(v) if isinstance(v, dict) else v) for k, v in _BASE_LAYOUT.items()}
    for key, value in extra.items():
        layout[key] = {**layout.get(key, {}), **value} if isinstance(value, dict) else value
    return layout


def _ecdf_figure(
    series: list[dict[str, Any]], divisor: float, target_s: float | None, x_title: str, y_title: str, title: str = ""
) -> dict[str, Any]:
    scale = ecdf_scale(series, divisor, target_s)
    traces = [
        {
            "type": "scatter",
            "mode": "lines",
            "line": {"shape": "hv", "color": PALETTE[i % len(PALETTE)]},
            "name": s["label"],
            "x": scaled(s["x_s"], scale),
            "y": [100 * y for y in s["y"]],
        }
        for i, s in enumerate(series)
    ]
    if target_s is not None:
        x = scaled([target_s], scale)[0]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"Target ({format_duration(target_s)})",
                "x": [x, x],
                "y": [0, 100],
                "line": {"color": TARGET_COLOUR, "dash": "dash"},
                "hoverinfo": "skip",
            }
        )
    xaxis = {"title": {"text": x_title}, "type": "linear"}
    if scale["log"]:
        xaxis = {
            "title": {
                "text": "Recovery time — log scale" if x_title.startswith("Recovery") else "Data loss — log scale"
            },
            "type": "log",
            "tickvals": scale["ticks"],
            "ticktext": scale["tick_labels"],
        }
    return {
        "data": traces,
        "layout": _layout(
            title={"text": title, "font": {"size": 13}} if title else {"text": ""},
            xaxis=xaxis,
            yaxis={"title": {"text": y_title}, "range": [0, 100]},
        ),
    }


def ecdf_figure(data: dict[str, Any]) -> dict[str, Any]:
    return _ecdf_figure(data["series"], data["divisor"], data["target_s"], data["x_title"], data["y_title"])


def overlay_figure(data: dict[str, Any], target_s: float | None) -> dict[str, Any]:
    return _ecdf_figure(data["series"], data["divisor"], target_s, data["x_title"], data["y_title"], data["title"])


def cost_vs_downtime_figure(data: dict[str, Any]) -> dict[str, Any]:
    traces = [
        {
            "type": "scatter",
            "mode": "markers+text",
            "name": p["label"],
            "text": [str(i + 1)],
            "textposition": "top right",
            "x": [p["total_usd_per_month"]],
            "y": [p["downtime_h_per_year"]],
            "marker": {"size": 14, "color": PALETTE[i % len(PALETTE)], "symbol": "circle" if p["targets_met"] else "x"},
        }
        for i, p in enumerate(data["points"])
    ]
    return {
        "data": traces,
        "layout": _layout(
            xaxis={"title": {"text": data["x_title"]}, "rangemode": "tozero"},
            yaxis={"title": {"text": data["y_title"]}, "rangemode": "tozero"},
        ),
    }


def cost_breakdown_figure(data: dict[str, Any]) -> dict[str, Any]:
    items = data["items"][::-1]
    trace = {
        "type": "bar",
        "orientation": "h",
        "x": [i["usd_per_month"] for i in items],
        "y": [i["label"] for i in items],
        "showlegend": False,
        "marker": {"color": [TARGET_COLOUR if i["kind"] == "outage" else PALETTE[0] for i in items]},
    }
    return {
        "data": [trace],
        "layout": _layout(
            height=60 + 26 * len(items), margin={"l": 170, "t": 10, "b": 40}, xaxis={"title": {"text": data["y_title"]}}
        ),
    }


def report_figures(report: dict[str, Any]) -> dict[str, Any]:
    """Every chart of a report as a Plotly figure dict, keyed by the same ids as the PDF's SVGs."""
    target_s = report["targets_raw"].get("rto_s")
    figures = {"cost_vs_downtime": cost_vs_downtime_figure(report["charts"]["cost_vs_downtime"])}
    for data in report["charts"]["overlays"]:
        figures[f"overlay_{data['incident_type']}"] = overlay_figure(data, target_s)
    for i, option in enumerate(report["options"]):
        figures[f"ecdf_{i}"] = ecdf_figure(option["charts"]["ecdf"])
        figures[f"costs_{i}"] = cost_breakdown_figure(option["charts"]["cost_breakdown"])
    escaped: dict[str, Any] = plotly_escaped(figures)
    return escaped
