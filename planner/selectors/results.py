"""What the results page shows, read from ``RunResults`` (docs/results.md) as display-ready values.

Every number leaves here already formatted with its unit, so the templates
only lay it out. Charts come from ``planner.charts``; the key-figures table
here is their text alternative.
"""

from __future__ import annotations

from typing import Any

from planner import charts
from simulation.analysis.variants import RunFigures
from simulation.engine.results import AnnualResults, RunResults, Verdict
from simulation.present.chartdata import active_types, incident_label
from simulation.present.format import (
    format_availability,
    format_count,
    format_duration,
    format_interval,
    format_monthly,
    format_percent,
    format_sample_size,
    format_share,
    verdict_text,
)

TARGET_ORDER = ("rto", "rpo", "availability", "budget")
REPLAY_TYPE = "db_primary_failure"


def _interval_text(verdict: Verdict) -> str:
    lo, hi = verdict.ci
    return f"{format_percent(lo)} – {format_percent(hi)}"


def _share_line(verdict: Verdict) -> dict[str, Any]:
    """One line of a card: the incident type (or 'simulated years'), the probability and its interval."""
    who = incident_label(verdict.incident_type) if verdict.incident_type else "Simulated years"
    return {
        "label": who,
        "probability": format_share(verdict.probability, verdict.ci),
        "interval": _interval_text(verdict),
        "met": verdict.met,
        "text": verdict_text(verdict),
    }


def target_title(target: str, targets: dict, currency: str) -> str:
    """'Recovery time ≤ 5.0 min', 'Availability ≥ 99.90 %', 'Budget ≤ 40,000 USD/month': a target as people read it."""
    if target == "rto":
        return f"Recovery time ≤ {format_duration(targets['rto_s'])}"
    if target == "rpo":
        return f"Data loss ≤ {format_duration(targets['rpo_s'])}"
    if target == "availability":
        return f"Availability ≥ {format_availability(targets['availability'])}"
    budget = targets.get("monthly_budget_usd")
    return f"Budget ≤ {format_monthly(budget, currency)}" if budget is not None else "Budget"


def _card_summary(target: str, verdicts: list[Verdict], confidence: float, costs: Any) -> str:
    """The card's sentence under its title: what 'met' means here and how many parts meet it."""
    if target == "budget":
        return verdict_text(verdicts[0], costs.currency, costs.infrastructure_usd_per_month)
    if target == "availability":
        return (
            f"Met when at least {format_percent(confidence, 0)} of simulated years reach it; "
            f"here {format_percent(verdicts[0].probability)}."
        )
    met = sum(v.met for v in verdicts)
    return (
        f"Met for {met} of {len(verdicts)} incident types (each needs "
        f"{format_percent(confidence, 0)} of its incidents within the target)."
    )


def verdict_cards(results: RunResults | RunFigures) -> list[dict[str, Any]]:
    """One card per target (RTO, RPO, availability, budget): met or not, with a line per incident type."""
    targets = (results.scenario or {})["targets"]
    currency = results.costs.currency
    active = set(active_types(results))
    cards = []
    for target in TARGET_ORDER:
        verdicts = [
            v for v in results.verdicts if v.target == target and (v.incident_type is None or v.incident_type in active)
        ]
        card = {"target": target, "title": target_title(target, targets, currency), "lines": []}
        if not verdicts:
            card.update(
                met=None,
                status="Not set",
                summary="No monthly budget is set for this workspace."
                if target == "budget"
                else "No incident of this kind is simulated.",
            )
        else:
            met = all(v.met for v in verdicts)
            card.update(
                met=met,
                status="Met" if met else "Missed",
                summary=_card_summary(target, verdicts, targets.get("confidence", 0.95), results.costs),
                lines=[] if target == "budget" else [_share_line(v) for v in verdicts],
            )
        if target in ("rto", "rpo"):
            judged = {v.incident_type for v in verdicts}
            outside = [incident_label(t) for t in active_types(results) if t not in judged]
            card["not_judged"] = ("The targets do not apply to: " + ", ".join(outside) + ".") if outside else ""
        cards.append(card)
    return cards


def key_figures(results: RunResults) -> list[dict[str, str]]:
    """Per active incident type the headline numbers — also the text alternative of the charts."""
    rows = []
    for incident_type in active_types(results):
        block = results.incident_types[incident_type]
        rto = block.rto_s
        rows.append(
            {
                "incident_type": incident_type,
                "label": incident_label(incident_type),
                "rate": f"{block.rate_per_year:g} per year",
                "rto_p50": format_duration(rto.p50),
                "rto_p95": format_duration(rto.p95),
                "rto_p95_interval": format_interval(rto.p95_ci),
                "rate_short": f"{block.rate_per_year:g}/year",
                "rto_p99": format_duration(rto.p99),
                "data_loss_p95": format_duration(block.data_loss_s.p95),
                "impact_mean": format_duration(block.impact_s.mean),
                "humans": format_percent(block.humans_needed_share, 0),
            }
        )
    return rows


def annual_figures(results: RunResults) -> list[dict[str, str]]:
    """Simulated-year figures: downtime, availability, lost and conflicting transactions, incidents."""
    annual = results.annual
    downtime, availability = annual.downtime_s, annual.availability
    return [
        {
            "label": "Downtime per year (mean)",
            "value": format_duration(downtime.mean),
            "detail": f"95 % interval {format_interval(downtime.mean_ci)}",
        },
        {
            "label": "Downtime in a bad year (p95)",
            "value": format_duration(downtime.p95),
            "detail": f"worst simulated year {format_duration(downtime.max)}",
        },
        {
            "label": "Availability (mean)",
            "value": format_availability(availability.mean),
            "detail": _availability_tail(annual),
        },
        {
            "label": "Lost transactions per year (mean)",
            "value": format_count(annual.lost_tx.mean),
            "detail": f"p95 {format_count(annual.lost_tx.p95)}",
        },
        {
            "label": "Conflicting transactions per year (mean)",
            "value": format_count(annual.conflicting_tx.mean),
            "detail": f"p95 {format_count(annual.conflicting_tx.p95)}; written on both sides of a split brain, "
            "to reconcile",
        },
        {
            "label": "Incidents per year (mean)",
            "value": f"{annual.incidents.mean:.1f}",
            "detail": f"over {results.years:,} simulated years",
        },
    ]


def _availability_tail(annual: AnnualResults) -> str:
    """'1 year in 20 below …': availability's 5 % quantile, read from its ECDF (Stats keep upper tails only)."""
    quantiles = annual.ecdf.availability if annual.ecdf is not None else ()
    if not quantiles:
        return f"median {format_availability(annual.availability.p50)}"
    five_percent = quantiles[round(0.05 * (len(quantiles) - 1))]
    return f"1 year in 20 below {format_availability(five_percent)}"


def cost_summary(results: RunResults) -> list[dict[str, str]]:
    """Infrastructure, baseline, premium, expected outage cost and total, per month."""
    costs = results.costs

    def monthly(value: float) -> str:
        return format_monthly(value, costs.currency)

    return [
        {
            "label": "Infrastructure",
            "value": monthly(costs.infrastructure_usd_per_month),
            "detail": "everything in the breakdown below",
        },
        {
            "label": "Premium over the workspace baseline",
            "value": monthly(costs.premium_usd_per_month),
            "detail": f"baseline {monthly(costs.baseline_usd_per_month)}: the workspace's reference option in one "
            "region, backups only",
        },
        {
            "label": "Expected outage cost",
            "value": monthly(costs.expected_outage_usd_per_month),
            "detail": f"downtime {monthly(costs.expected_downtime_usd_per_month)} + lost transactions "
            f"{monthly(costs.expected_lost_tx_usd_per_month)} + conflicting transactions "
            f"{monthly(costs.expected_conflicting_tx_usd_per_month)}",
        },
        {
            "label": "Total",
            "value": monthly(costs.total_usd_per_month),
            "detail": "infrastructure + expected outage cost",
            "total": "yes",
        },
    ]


def checklist_items(results: RunResults) -> list[dict[str, Any]]:
    """The eight questions, each 'no' with what answering 'yes' would save per month."""
    currency = results.costs.currency
    items = []
    for item in results.checklist:
        cost = item.cost_usd_per_month
        items.append(
            {
                **item.to_json(),
                "answer_text": "Yes" if item.answer else "No",
                "cost_text": format_monthly(cost, currency) if cost is not None and not item.answer else "",
            }
        )
    return items


def replay_type(results: RunResults) -> str | None:
    """The incident type replayed on the page: a primary database failure when simulated, else the first one."""
    types = [
        t
        for t in active_types(results)
        if results.incident_types[t].replays.p50 is not None or results.incident_types[t].replays.p95 is not None
    ]
    if REPLAY_TYPE in types:
        return REPLAY_TYPE
    return types[0] if types else None


def replay_summaries(results: RunResults, incident_type: str | None) -> list[dict[str, Any]]:
    """The median and p95 incidents in words and as a phase table (the replay chart's text alternative)."""
    if incident_type is None:
        return []
    summaries = []
    replays = results.incident_types[incident_type].replays
    for which, title, record in (
        ("p50", "A typical incident (median)", replays.p50),
        ("p95", "A bad incident (95th percentile)", replays.p95),
    ):
        if record is None:
            continue
        summaries.append(
            {
                "which": which,
                "title": title,
                "rto": format_duration(record.rto_s)
                if record.recovered_within_horizon
                else f"more than {format_duration(record.horizon_s)} (not recovered within the replay's horizon)",
                "impact": format_duration(record.impact_s),
                "data_loss": format_duration(record.data_loss_s),
                "humans": "People had to step in." if record.humans_needed else "Automation recovered it alone.",
                "phases": [
                    {
                        "phase": p.name,
                        "start": format_duration(p.start_s),
                        "duration": f"not over within {format_duration(record.horizon_s)}"
                        if p.name in record.unfinished and record.horizon_s is not None and p.end_s >= record.horizon_s
                        else format_duration(p.end_s - p.start_s),
                    }
                    for p in record.phases
                ],
            }
        )
    return summaries


def results_page(results: RunResults) -> dict[str, Any]:
    """Everything the results page needs, from one (already judged) ``RunResults``."""
    incident_type = replay_type(results)
    figures = charts.results_figures(results, replay_type=incident_type)
    return {
        "targets_met": results.targets_met,
        "cards": verdict_cards(results),
        "key_figures": key_figures(results),
        "annual_figures": annual_figures(results),
        "cost_summary": cost_summary(results),
        "checklist": checklist_items(results),
        "replay_type_label": incident_label(incident_type) if incident_type else None,
        "replays": replay_summaries(results, incident_type),
        "figures": figures,
        "has_data_loss_chart": figures["chart-data-loss"] is not None,
        "currency": results.costs.currency,
        "trials": f"{results.trials_per_type:,}",
        "years": f"{results.years:,}",
        "sample_size": format_sample_size(results.annual.sample_size, results.years)
        if results.annual.sample_size is not None
        else None,
    }
