"""What the workshop page draws and shows for one quick run, and the cost frontier across options."""

from __future__ import annotations

from typing import Any

from planner.charts import FONT, PALETTE, TICK_LABELS, X_TICK_LABELS, ecdf_figure
from planner.selectors.results import verdict_cards
from simulation.model.incident_types import incident_label
from simulation.present import chartdata
from simulation.present.chartdata import Results
from simulation.present.format import format_count, format_duration, format_money, format_percent
from simulation.present.report.charts_plotly import plotly_escaped, plotly_text

PROJECTOR_FONT_SIZE = 20


def _layout(*, x_title: str, y_title: str, height: int) -> dict[str, Any]:
    return {
        "font": {**FONT, "size": PROJECTOR_FONT_SIZE},
        "height": height,
        "margin": {"l": 90, "r": 30, "t": 30, "b": 90},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "hovermode": "closest",
        "legend": {"orientation": "h", "y": -0.25, "x": 0},
        "xaxis": {"title": {"text": x_title}, "gridcolor": "#d0d4d9", **X_TICK_LABELS},
        "yaxis": {"title": {"text": y_title}, "gridcolor": "#d0d4d9", **TICK_LABELS},
    }


def _projector(figure: dict | None) -> dict | None:
    """Bigger type and thicker lines for a room full of people looking at a wall; every text escaped."""
    if figure is None:
        return None
    layout = figure["layout"]
    layout["font"] = {**layout.get("font", {}), "size": PROJECTOR_FONT_SIZE}
    layout["height"] = max(layout.get("height", 0), 500)
    if "Share of incidents" in str(layout.get("yaxis", {}).get("title", "")):
        layout["yaxis"]["title"] = {"text": "Incidents at or below (%)"}
    layout.setdefault("legend", {})["font"] = {"size": PROJECTOR_FONT_SIZE - 2}
    for trace in figure["data"]:
        if trace.get("mode") == "lines" and "line" in trace:
            trace["line"]["width"] = max(trace["line"].get("width", 2), 4)
    return plotly_escaped(figure)


def targets_text(scenario) -> list[str]:
    """The scenario's targets in words, for the page's header."""
    targets = scenario.targets
    out = [
        f"recovery ≤ {format_duration(targets.rto_s)}",
        f"data loss ≤ {format_duration(targets.rpo_s)}",
        f"availability ≥ {format_percent(targets.availability, 2)}",
    ]
    if targets.monthly_budget_usd is not None:
        out.append(f"budget ≤ {format_money(targets.monthly_budget_usd, scenario.costs.currency)}/month")
    out.append(f"each met in {format_percent(targets.confidence, 0)} of incidents or years")
    return out


def figures_of(results: Results) -> dict[str, str]:
    """Headline numbers of a run, formatted with their units."""
    annual, costs = results.annual, results.costs
    currency = costs.currency
    worst_loss = max((b.data_loss_s.p95 for b in results.incident_types.values() if b.rate_per_year > 0), default=0.0)
    return {
        "downtime": f"{format_duration(annual.downtime_s.mean)} / year",
        "availability": format_percent(annual.availability.mean, 3),
        "data_loss": format_duration(worst_loss),
        "lost_tx": f"{format_count(annual.lost_tx.mean)} / year",
        "conflicting_tx": f"{format_count(annual.conflicting_tx.mean)} / year",
        "premium": f"{format_money(costs.premium_usd_per_month, currency)} / month",
        "total": f"{format_money(costs.total_usd_per_month, currency)} / month",
    }


def rto_rows(results: Results) -> list[dict[str, str]]:
    """RTO p95 per incident type: the numbers behind the chart, for the table under it."""
    return [
        {
            "label": incident_label(t),
            "rto_p95": format_duration(results.incident_types[t].rto_s.p95),
            "data_loss_p95": format_duration(results.incident_types[t].data_loss_s.p95),
        }
        for t in chartdata.active_types(results)
    ]


def key_figures(results: Results) -> dict[str, Any]:
    """The presenter's three numbers: RTO p95 of the incident types the RTO target judges (the worst of
    them), the worst data loss p95, and the total monthly cost including the expected outage cost."""
    judged = {v.incident_type for v in results.verdicts if v.target == "rto" and v.incident_type}
    active = [t for t in chartdata.active_types(results) if t in judged] or list(chartdata.active_types(results))
    rto_s = max((results.incident_types[t].rto_s.p95 for t in active), default=0.0)
    loss_s = max((results.incident_types[t].data_loss_s.p95 for t in chartdata.active_types(results)), default=0.0)
    costs = results.costs
    targets = (results.scenario or {}).get("targets", {})
    return {
        "rto_p95_s": rto_s,
        "rto_p95": format_duration(rto_s),
        "rto_target_s": targets.get("rto_s"),
        "data_loss_p95_s": loss_s,
        "data_loss_p95": format_duration(loss_s),
        "rpo_target_s": targets.get("rpo_s"),
        "total_usd_per_month": costs.total_usd_per_month,
        "total": f"{format_money(costs.total_usd_per_month, costs.currency)} / month",
    }


def room_payload(results: Results, elapsed_s: float) -> dict[str, Any]:
    """What the room draws of one option: verdict cards, key figures (its chart is one bar of them)."""
    return {
        "targets_met": bool(results.targets_met),
        "cards": [
            {k: card[k] for k in ("target", "title", "status", "met", "summary")} for card in verdict_cards(results)
        ],
        "key": key_figures(results),
        "elapsed_ms": round(elapsed_s * 1000),
        "settings": {"trials": results.trials_per_type, "years": results.years, "seed": results.seed},
    }


def variant_payload(results: Results, elapsed_s: float) -> dict[str, Any]:
    """The evaluate endpoint's answer: ``room_payload``, and the RTO ECDF figure, headline numbers, frontier point."""
    point = chartdata.cost_vs_downtime([("variant", results)])["points"][0]
    return {
        **room_payload(results, elapsed_s),
        "figure": _projector(ecdf_figure(results, "rto_s")),
        "figures": figures_of(results),
        "rto_rows": rto_rows(results),
        "point": {
            k: point[k]
            for k in (
                "premium_usd_per_month",
                "total_usd_per_month",
                "downtime_h_per_year",
                "lost_tx_per_year",
                "targets_met",
            )
        },
        "currency": results.costs.currency,
    }


def pareto_front(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The points no other point beats on both cost (x) and harm (y), by rising cost."""
    front: list[tuple[float, float]] = []
    for x, y in sorted(set(points)):
        if not front or y < front[-1][1]:
            front.append((x, y))
    return front


def frontier_figures(runs: list[tuple[str, Results]]) -> dict[str, Any]:
    """Premium vs expected annual downtime and vs expected lost transactions, one legend entry per option:
    ● meets the targets, ✕ misses one, ★ the cheapest (total cost) that meets them. Names sit in the
    legend, not on the points, so options with the same price stay readable."""
    data = chartdata.cost_vs_downtime(runs)
    currency = runs[0][1].costs.currency if runs else "USD"
    cheapest = data["cheapest_meeting_targets"]
    out = {"cheapest": cheapest, "points": data["points"]}
    for key, y_field, y_title, fmt in (
        (
            "downtime",
            "downtime_h_per_year",
            data["y_title"],
            lambda p: format_duration(p["downtime_h_per_year"] * 3600),
        ),
        (
            "data_loss",
            "lost_tx_per_year",
            "Expected lost transactions (per year)",
            lambda p: f"{p['lost_tx_per_year']:,.0f}",
        ),
    ):
        traces = []
        for i, p in enumerate(data["points"]):
            best = p["label"] == cheapest
            mark = "★ cheapest, meets" if best else ("✔ meets" if p["targets_met"] else "✘ misses")
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": f"{p['label']} ({mark})",
                    "x": [p["premium_usd_per_month"]],
                    "y": [p[y_field]],
                    "customdata": [
                        [
                            format_money(p["premium_usd_per_month"], currency),
                            fmt(p),
                            format_money(p["total_usd_per_month"], currency),
                        ]
                    ],
                    "hovertemplate": f"{plotly_text(p['label'])}<br>premium %{{customdata[0]}}/month"
                    "<br>%{customdata[1]}"
                    "<br>total %{customdata[2]}/month<extra></extra>",
                    "marker": {
                        "size": 30 if best else 22,
                        "symbol": "star" if best else ("circle" if p["targets_met"] else "x"),
                        "color": PALETTE[i % len(PALETTE)],
                        "line": {"width": 2, "color": "#111111"},
                    },
                }
            )
        front = pareto_front([(p["premium_usd_per_month"], p[y_field]) for p in data["points"]])
        if len(front) > 1:
            traces.insert(
                0,
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": "Frontier: nothing cheaper does better",
                    "x": [x for x, _ in front],
                    "y": [y for _, y in front],
                    "hoverinfo": "skip",
                    "line": {"color": "#555555", "width": 3, "dash": "dash", "shape": "hv"},
                },
            )
        layout = _layout(x_title=data["x_title"], y_title=y_title, height=520)
        layout["xaxis"].update({"tickformat": ",.0f", "zeroline": True, "rangemode": "tozero"})
        layout["yaxis"].update({"rangemode": "tozero"})
        layout["legend"] = {"orientation": "v", "x": 0, "y": -0.22, "yanchor": "top"}
        layout["height"] = 520 + 34 * len(traces)
        layout["margin"]["b"] = 90 + 34 * len(traces)
        out[key] = _projector({"data": traces, "layout": layout})
    return out
