"""Vector charts for the PDF report: matplotlib (Agg) → inline SVG, from ``simulation.present.chartdata`` series.

matplotlib is imported on first use only. Each chart gets its own hash salt,
so the ids inside the SVGs are stable (same input, same bytes) and distinct
when several charts share one HTML page.
"""

from __future__ import annotations

import io
import re
import threading
from types import ModuleType
from typing import TYPE_CHECKING, Any

from simulation.present.format import format_duration

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000")  # Okabe–Ito
TARGET_COLOUR = "#C0392B"
WIDTH_IN = 6.7  # A4 text width at the report's margins
PDF_OVERLAY_TYPES = ("db_primary_failure", "region_outage")
_LOCK = threading.Lock()  # pyplot's state is global: one chart at a time


def _pyplot() -> ModuleType:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    return pyplot


def _svg(fig: Figure, salt: str) -> str:
    """The figure as an ``<svg>`` element (no XML prolog), text kept as text (DejaVu Sans, as in the page)."""
    pyplot = _pyplot()
    buf = io.StringIO()
    with pyplot.rc_context({"svg.hashsalt": salt, "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    pyplot.close(fig)
    text = buf.getvalue()
    return _prefix_ids(text[text.index("<svg") :], salt)


def _prefix_ids(svg: str, prefix: str) -> str:
    """Prefix every id and reference to it, so several SVGs can share one HTML document."""
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    return re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', svg)


def _margins(fig: Figure, *, legend_rows: int = 0, title: bool = False, left_in: float = 0.6) -> None:
    """Fixed margins in inches (cheaper than a tight bounding box, which draws the figure twice)."""
    width, height = fig.get_size_inches()
    bottom_in = 0.45 + (0.12 + 0.15 * legend_rows if legend_rows else 0.0)
    top_in = 0.3 if title else 0.1
    fig.subplots_adjust(
        left=left_in / width, right=1 - 0.15 / width, bottom=bottom_in / height, top=1 - top_in / height
    )


def _figure(height_in: float) -> tuple[Figure, Axes]:
    pyplot = _pyplot()
    fig, ax = pyplot.subplots(figsize=(WIDTH_IN, height_in))
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    for item in [ax.xaxis.label, ax.yaxis.label, *ax.get_xticklabels(), *ax.get_yticklabels()]:
        item.set_fontsize(8)
    ax.tick_params(labelsize=8)
    return fig, ax


def _log_axis(values: list[float]) -> bool:
    """Log scale when the positive values span more than two decades."""
    positive = [v for v in values if v > 0]
    return bool(positive) and max(positive) / min(positive) > 100


NICE_TICKS_S = {
    0.1: "0.1 s",
    1: "1 s",
    10: "10 s",
    30: "30 s",
    60: "1 min",
    300: "5 min",
    600: "10 min",
    1800: "30 min",
    3600: "1 h",
    4 * 3600: "4 h",
    12 * 3600: "12 h",
    86_400: "1 d",
    7 * 86_400: "7 d",
    30 * 86_400: "30 d",
}


def duration_ticks(low_s: float, high_s: float) -> tuple[list[float], list[str]]:
    """Tick positions (s) and labels ('30 s', '5 min', '4 h') for a log time axis from low to high."""
    values = [t for t in NICE_TICKS_S if low_s <= t <= high_s]
    if len(values) < 2:
        return [low_s, high_s], [format_duration(low_s), format_duration(high_s)]
    return values, [NICE_TICKS_S[t] for t in values]


def ecdf_scale(series: list[dict[str, Any]], divisor: float, target_s: float | None) -> dict[str, Any]:
    """How to draw ECDFs: linear in the chart's unit, or log in seconds with duration ticks."""
    xs_all = [x for s in series for x in s["x_s"]]
    if not _log_axis(xs_all + ([target_s] if target_s else [])):
        return {"log": False, "divisor": divisor, "floor": None}
    floor = min((x for x in xs_all if x > 0), default=1.0)
    high = max(xs_all + ([target_s] if target_s else []))
    ticks, labels = duration_ticks(floor, high)
    return {"log": True, "divisor": 1.0, "floor": floor, "ticks": ticks, "tick_labels": labels}


def scaled(xs: list[float], scale: dict[str, Any]) -> list[float]:
    if scale["log"]:
        return [max(x, scale["floor"]) for x in xs]
    return [x / scale["divisor"] for x in xs]


def _ecdf_axes(
    ax: Axes, series: list[dict[str, Any]], divisor: float, target_s: float | None, x_title: str, y_title: str
) -> int:
    """Draw ECDF steps and the target line; the legend goes below the axes. Returns its rows."""
    scale = ecdf_scale(series, divisor, target_s)
    for i, s in enumerate(series):
        ax.step(
            scaled(s["x_s"], scale),
            [100 * y for y in s["y"]],
            where="post",
            color=PALETTE[i % len(PALETTE)],
            linewidth=1.4,
            label=s["label"],
        )
    if target_s is not None:
        ax.axvline(
            scaled([target_s], scale)[0],
            color=TARGET_COLOUR,
            linestyle="--",
            linewidth=1.2,
            label=f"Target ({format_duration(target_s)})",
        )
    if scale["log"]:
        ax.set_xscale("log")
        ax.set_xticks(scale["ticks"], scale["tick_labels"])
        ax.minorticks_off()
        x_title = "Recovery time — log scale" if x_title.startswith("Recovery") else "Data loss — log scale"
    ax.set_ylim(0, 100)
    ax.set_xlabel(x_title, fontsize=8)
    ax.set_ylabel(y_title, fontsize=8)
    return _legend_below(ax)


def _legend_below(ax: Axes) -> int:
    """The legend under the axes, in as many columns as its labels' length allows; returns its rows."""
    handles, labels = ax.get_legend_handles_labels()
    longest = max((len(label) for label in labels), default=0)
    columns = 3 if longest <= 30 else 2 if longest <= 48 else 1
    labels = [label if len(label) <= 95 else label[:94] + "…" for label in labels]
    ax.figure.legend(
        handles, labels, fontsize=7, frameon=False, loc="lower center", ncol=columns, bbox_to_anchor=(0.5, 0.0)
    )
    return -(-len(labels) // columns)


def ecdf_svg(data: dict[str, Any], salt: str) -> str:
    """RTO (or data-loss) ECDF of every incident type of one option, with the target line."""
    with _LOCK:
        fig, ax = _figure(3.0)
        rows = _ecdf_axes(ax, data["series"], data["divisor"], data["target_s"], data["x_title"], data["y_title"])
        _margins(fig, legend_rows=rows)
        return _svg(fig, salt)


def overlay_svg(data: dict[str, Any], salt: str, target_s: float | None = None) -> str:
    """One incident type's RTO ECDF for every option, with the target line."""
    with _LOCK:
        fig, ax = _figure(3.0)
        rows = _ecdf_axes(ax, data["series"], data["divisor"], target_s, data["x_title"], data["y_title"])
        ax.set_title(data["title"], fontsize=9)
        _margins(fig, legend_rows=rows, title=True)
        return _svg(fig, salt)


def cost_vs_downtime_svg(data: dict[str, Any], salt: str) -> str:
    """Total monthly cost (infrastructure + expected outage) against expected downtime, one point per option."""
    with _LOCK:
        fig, ax = _figure(3.0)
        for i, p in enumerate(data["points"]):
            marker = "o" if p["targets_met"] else "X"
            ax.scatter(
                [p["total_usd_per_month"]],
                [p["downtime_h_per_year"]],
                s=50,
                marker=marker,
                color=PALETTE[i % len(PALETTE)],
                zorder=3,
                label=f"{i + 1}. {p['label']} ({'meets targets' if p['targets_met'] else 'misses targets'})",
            )
            ax.annotate(f" {i + 1}", (p["total_usd_per_month"], p["downtime_h_per_year"]), fontsize=8)
        ax.set_xlabel(data["x_title"], fontsize=8)
        ax.set_ylabel(data["y_title"], fontsize=8)
        ax.set_xlim(left=min(0.0, ax.get_xlim()[0]))
        ax.set_ylim(bottom=0)
        _margins(fig, legend_rows=_legend_below(ax))
        return _svg(fig, salt)


def cost_breakdown_svg(data: dict[str, Any], salt: str) -> str:
    """Horizontal bars: monthly infrastructure items, then the expected outage cost."""
    items = data["items"]
    with _LOCK:
        fig, ax = _figure(0.35 + 0.24 * max(len(items), 1))
        labels = [i["label"] for i in items][::-1]
        values = [i["usd_per_month"] for i in items][::-1]
        colours = [TARGET_COLOUR if i["kind"] == "outage" else PALETTE[0] for i in items][::-1]
        ax.barh(labels, values, color=colours, height=0.6)
        top = max(values, default=0.0)
        for y, v in enumerate(values):
            ax.text(v + top * 0.01, y, f"{v:,.0f}", va="center", fontsize=7)
        ax.set_xlim(0, top * 1.15 if top > 0 else 1)
        ax.set_xlabel(data["y_title"], fontsize=8)
        ax.grid(axis="y", visible=False)
        _margins(fig, left_in=1.5)
        return _svg(fig, salt)


def report_svgs(report: dict[str, Any]) -> dict[str, Any]:
    """The PDF's charts (``build_report``'s output) as SVG text, keyed by chart id.

    Fewer than the HTML report draws, to keep a 3-option PDF quick: the cost
    breakdown is a table in the PDF, and only the failures that decide most
    designs (primary database, region) are overlaid across options.
    """
    target_s = report["targets_raw"].get("rto_s")
    charts = {"cost_vs_downtime": cost_vs_downtime_svg(report["charts"]["cost_vs_downtime"], "cost_vs_downtime")}
    for data in report["charts"]["overlays"]:
        if data["incident_type"] in PDF_OVERLAY_TYPES:
            key = f"overlay_{data['incident_type']}"
            charts[key] = overlay_svg(data, key, target_s)
    for i, option in enumerate(report["options"]):
        charts[f"ecdf_{i}"] = ecdf_svg(option["charts"]["ecdf"], f"ecdf_{i}")
    return charts


__all__ = ["cost_breakdown_svg", "cost_vs_downtime_svg", "ecdf_svg", "overlay_svg", "report_svgs"]
