"""Chart data shared by the web pages (Plotly) and the reports (matplotlib).

Plain series built from results (``RunResults``, docs/results.md; or the lean
``RunFigures`` of the workshop where they hold the figures a chart needs), with
the unit of every axis spelled out, so both renderers draw the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from simulation.analysis.variants import RunFigures
from simulation.engine.replays import HORIZON_S, clip_to_horizon
from simulation.engine.results import RunResults
from simulation.model.incident_types import INCIDENT_TYPES, incident_label
from simulation.present.format import format_duration, time_unit
from simulation.units import SECONDS_PER_YEAR

Results = RunResults | RunFigures


def active_types(results: Results) -> list[str]:
    """Incident types that happen in this scenario (rate > 0), in the engine's order."""
    blocks = results.incident_types
    order = {t: i for i, t in enumerate(INCIDENT_TYPES)}  # stored JSON (PostgreSQL jsonb) may reorder keys
    return sorted((t for t, r in blocks.items() if r.rate_per_year > 0), key=lambda t: (order.get(t, len(order)), t))


def _quantile_levels(n_points: int) -> list[float]:
    return [i / (n_points - 1) for i in range(n_points)]


def _ecdf_of(block: Any, metric: str) -> list[float]:
    """The ECDF quantiles of one incident type's ``rto_s`` or ``data_loss_s`` (none when not kept)."""
    return [] if block.ecdf is None else list(getattr(block.ecdf, metric))


def _targets(results: Results) -> dict[str, Any]:
    return dict((results.scenario or {}).get("targets", {}))


def ecdf(results: Results, metric: str = "rto_s") -> dict[str, Any]:
    """ECDF per incident type: x = the metric (s), y = share of incidents at or below it."""
    series: list[dict[str, Any]] = []
    for incident_type in active_types(results):
        quantiles = _ecdf_of(results.incident_types[incident_type], metric)
        series.append(
            {
                "incident_type": incident_type,
                "label": incident_label(incident_type),
                "x_s": quantiles,
                "y": _quantile_levels(len(quantiles)),
            }
        )
    targets = _targets(results)
    target = targets["rto_s"] if metric == "rto_s" else targets["rpo_s"]
    longest = max((max(s["x_s"]) for s in series), default=0.0)
    divisor, unit = time_unit(max(longest, target))
    return {
        "metric": metric,
        "series": series,
        "target_s": target,
        "divisor": divisor,
        "unit": unit,
        "x_title": f"{'Recovery time' if metric == 'rto_s' else 'Data loss'} ({unit})",
        "y_title": "Share of incidents at or below (%)",
    }


def overlay_ecdf(runs: Sequence[tuple[str, Results]], incident_type: str, metric: str = "rto_s") -> dict[str, Any]:
    """One incident type's ECDF for several options (label, results) on one chart."""
    series: list[dict[str, Any]] = []
    for label, results in runs:
        block = results.incident_types.get(incident_type)
        if block is not None and block.rate_per_year > 0:
            quantiles = _ecdf_of(block, metric)
            series.append({"label": label, "x_s": quantiles, "y": _quantile_levels(len(quantiles))})
    longest = max((max(s["x_s"]) for s in series), default=1.0)
    divisor, unit = time_unit(longest)
    return {
        "incident_type": incident_type,
        "title": incident_label(incident_type),
        "series": series,
        "divisor": divisor,
        "unit": unit,
        "x_title": f"Recovery time ({unit})",
        "y_title": "Share of incidents at or below (%)",
    }


def downtime_histogram(results: RunResults) -> dict[str, Any]:
    """Annual downtime histogram, with the downtime the availability target allows."""
    hist = results.annual.downtime_histogram
    allowed_s = (1 - _targets(results)["availability"]) * SECONDS_PER_YEAR
    divisor, unit = time_unit(max(max(hist.edges_s, default=0.0), allowed_s))
    return {
        "edges_s": list(hist.edges_s),
        "counts": list(hist.counts),
        "allowed_s": allowed_s,
        "divisor": divisor,
        "unit": unit,
        "x_title": f"Downtime per year ({unit})",
        "y_title": "Simulated years",
    }


COST_LABELS = {
    "app_instances": "App instances",
    "db_nodes": "Database nodes",
    "storage": "Storage",
    "backups": "Backups",
    "cross_region": "Cross-region transfer",
    "dns_health_checks": "DNS health checks",
    "engineering": "Engineering",
    "chaos_testing": "Chaos testing",
}


def cost_breakdown(results: Results) -> dict[str, Any]:
    """Monthly cost bars: infrastructure items, then the expected outage cost."""
    costs = results.costs
    items = [
        {"label": COST_LABELS.get(k, k), "usd_per_month": v, "kind": "infrastructure"}
        for k, v in costs.breakdown_usd_per_month.items()
        if v
    ]
    items.append(
        {"label": "Expected outage cost", "usd_per_month": costs.expected_outage_usd_per_month, "kind": "outage"}
    )
    return {
        "items": items,
        "currency": costs.currency,
        "total_usd_per_month": costs.total_usd_per_month,
        "premium_usd_per_month": costs.premium_usd_per_month,
        "y_title": f"{costs.currency} per month",
    }


def replay(results: RunResults, incident_type: str, which: str = "p50") -> dict[str, Any] | None:
    """Phase timeline and served-fraction curve of the median ('p50') or 'p95' incident."""
    block = results.incident_types.get(incident_type)
    rec = None if block is None else getattr(block.replays, which)
    if rec is None:
        return None
    # nothing beyond the replay's horizon (results stored before it existed are clipped here)
    horizon_s = rec.horizon_s if rec.horizon_s is not None else HORIZON_S
    phases, served, cut = clip_to_horizon(rec.phases, rec.served, horizon_s)
    unfinished = set(rec.unfinished) | set(cut)
    recovered = rec.rto_s <= horizon_s
    end_s = max([p[2] for p in phases] + [t for t, _ in served] + [min(rec.rto_s, horizon_s), 1.0])
    divisor, unit = time_unit(end_s)
    # the served curve is a step function: repeat each value until the next change, then hold to the end
    t_s, fraction = [], []
    for point, next_t in zip(served, [t for t, _ in served[1:]] + [min(end_s * 1.05, horizon_s)]):
        t_s += [point[0], next_t]
        fraction += [point[1], point[1]]
    return {
        "incident_type": incident_type,
        "which": which,
        "title": f"{incident_label(incident_type)} — {'median' if which == 'p50' else '95th percentile'} incident",
        "phases": [
            {"phase": name, "start_s": start, "end_s": end, "unfinished": name in unfinished and end >= horizon_s}
            for name, start, end in phases
        ],
        "served": {"t_s": t_s, "fraction": fraction},
        "horizon_s": horizon_s,
        "recovered_within_horizon": recovered,
        "not_recovered_label": f"not recovered within {format_duration(horizon_s)}",
        "rto_s": rec.rto_s,
        "data_loss_s": rec.data_loss_s,
        "humans_needed": rec.humans_needed,
        "divisor": divisor,
        "unit": unit,
        "x_title": f"Time since failure ({unit})",
    }


def cost_vs_downtime(runs: Sequence[tuple[str, Results]]) -> dict[str, Any]:
    """One point per option: total monthly cost (infrastructure + expected outage) vs expected annual downtime."""
    points: list[dict[str, Any]] = []
    for label, results in runs:
        costs = results.costs
        points.append(
            {
                "label": label,
                "premium_usd_per_month": costs.premium_usd_per_month,
                "total_usd_per_month": costs.total_usd_per_month,
                "downtime_h_per_year": results.annual.downtime_s.mean / 3600,
                "lost_tx_per_year": results.annual.lost_tx.mean,
                "conflicting_tx_per_year": results.annual.conflicting_tx.mean,
                "targets_met": bool(results.targets_met),
            }
        )
    met = [p for p in points if p["targets_met"]]
    cheapest = min(met, key=lambda p: p["total_usd_per_month"])["label"] if met else None
    currency = runs[0][1].costs.currency if runs else "USD"
    return {
        "points": points,
        "cheapest_meeting_targets": cheapest,
        "x_title": f"Total cost: infrastructure + expected outage ({currency}/month)",
        "y_title": "Expected downtime (h/year)",
    }
