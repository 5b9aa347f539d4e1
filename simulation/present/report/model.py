"""The content of a decision report, as plain data every format renders the same way.

``build_report`` takes the options compared (label, scenario document, results
per docs/results.md) and an optional decision record, and returns a plain dict:
the cover's verdict summary, the targets, each option's key figures with their
confidence intervals, verdicts, cost breakdown and checklist, a comparison
table, the assumptions (every parameter that differs from the schema's
defaults), the reproducibility appendix and the chart data
(``simulation.present.chartdata``, the same series the web pages draw).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from simulation.analysis.verdicts import rejudged
from simulation.engine.results import RunResults
from simulation.limits import MAX_OPTIONS
from simulation.model.incident_types import incident_label
from simulation.model.loading import canonical_sha256
from simulation.present import chartdata
from simulation.present.format import (
    format_availability,
    format_count,
    format_duration,
    format_interval,
    format_money,
    format_percent,
    verdict_text,
)
from simulation.present.report.option import Option, OptionTuple
from simulation.present.report.tables import assumptions, comparison_table
from simulation.version import REPORT_SCHEMA

TARGET_LABELS = {
    "rto_s": "Recovery time (RTO)",
    "rpo_s": "Data loss (RPO)",
    "availability": "Availability",
    "monthly_budget_usd": "Monthly budget",
    "confidence": "Confidence required",
}


# -- per option ----------------------------------------------------------------------------
def incident_rows(results: RunResults) -> list[dict[str, Any]]:
    """Per active incident type: rate, RTO p50 / p95 (with CI) / p99, data loss p95, humans needed."""
    rows = []
    for incident_type in chartdata.active_types(results):
        block = results.incident_types[incident_type]
        rto, loss = block.rto_s, block.data_loss_s
        rows.append(
            {
                "incident_type": incident_type,
                "label": incident_label(incident_type),
                "rate_per_year": f"{block.rate_per_year:g}",
                "rto_p50": format_duration(rto.p50),
                "rto_p95": format_duration(rto.p95),
                "rto_p95_ci": format_interval(rto.p95_ci),
                "rto_p99": format_duration(rto.p99),
                "data_loss_p95": format_duration(loss.p95),
                "data_loss_p95_ci": format_interval(loss.p95_ci),
                "humans_needed": format_percent(block.humans_needed_share, 0),
            }
        )
    return rows


def annual_rows(results: RunResults) -> list[dict[str, Any]]:
    annual = results.annual
    downtime, availability, lost = annual.downtime_s, annual.availability, annual.lost_tx
    return [
        {
            "label": "Downtime per year (mean)",
            "value": format_duration(downtime.mean),
            "ci": format_interval(downtime.mean_ci),
        },
        {
            "label": "Downtime per year (p95)",
            "value": format_duration(downtime.p95),
            "ci": format_interval(downtime.p95_ci),
        },
        {
            "label": "Availability (mean)",
            "value": format_availability(availability.mean),
            "ci": format_interval(availability.mean_ci, "ratio"),
        },
        {
            "label": "Lost transactions per year (mean)",
            "value": format_count(lost.mean),
            "ci": format_interval(lost.mean_ci, unit="tx"),
        },
        {
            "label": "Conflicting transactions per year (mean)",
            "value": format_count(annual.conflicting_tx.mean),
            "ci": format_interval(annual.conflicting_tx.mean_ci, unit="tx"),
        },
        {"label": "Incidents per year (mean)", "value": f"{annual.incidents.mean:.1f}", "ci": ""},
    ]


def cost_rows(results: RunResults) -> dict[str, Any]:
    costs = results.costs
    currency = costs.currency
    breakdown = chartdata.cost_breakdown(results)
    return {
        "currency": currency,
        "items": [
            {"label": i["label"], "value": format_money(i["usd_per_month"], currency)}
            for i in breakdown["items"]
            if i["kind"] == "infrastructure"
        ],
        "infrastructure": format_money(costs.infrastructure_usd_per_month, currency),
        "baseline": format_money(costs.baseline_usd_per_month, currency),
        "premium": format_money(costs.premium_usd_per_month, currency),
        "expected_outage": format_money(costs.expected_outage_usd_per_month, currency),
        "total": format_money(costs.total_usd_per_month, currency),
    }


def checklist_rows(results: RunResults, currency: str) -> list[dict[str, Any]]:
    return [
        {
            "number": item.number,
            "question": item.question,
            "answer": bool(item.answer),
            "reason": item.reason,
            "cost": format_money(item.cost_usd_per_month, currency) if item.cost_usd_per_month is not None else "",
        }
        for item in results.checklist
    ]


def target_differences(document: dict[str, Any], targets: dict[str, Any]) -> list[str]:
    """Targets in force that the option's scenario proposes differently (its verdicts use those in force)."""
    own = document.get("targets", {})
    return [TARGET_LABELS[key] for key in TARGET_LABELS if key in targets and key in own and own[key] != targets[key]]


def option_context(option: Option, chosen: str | None, targets: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the report says about one option."""
    results = option.results
    verdicts = results.verdicts
    costs = cost_rows(results)
    return {
        "label": option.label,
        "scenario_name": option.document.get("name", ""),
        "pattern": option.document.get("pattern", ""),
        "chosen": option.label == chosen,
        "targets_differ": target_differences(option.document, targets or {}),
        "judged_by_own_targets": bool(target_differences(results.scenario or {}, targets or {})),
        "targets_met": bool(results.targets_met),
        "verdicts": [
            {
                "text": verdict_text(v, results.costs.currency, results.costs.infrastructure_usd_per_month),
                "met": bool(v.met),
                "target": v.target,
                "incident_type": v.incident_type,
            }
            for v in verdicts
        ],
        "met_count": sum(1 for v in verdicts if v.met),
        "verdict_count": len(verdicts),
        "incidents": incident_rows(results),
        "annual": annual_rows(results),
        "costs": costs,
        "checklist": checklist_rows(results, costs["currency"]),
        "charts": {"ecdf": chartdata.ecdf(results, "rto_s"), "cost_breakdown": chartdata.cost_breakdown(results)},
    }


def reproducibility(options: list[Option]) -> list[dict[str, Any]]:
    """What re-running each option needs: engine version, seed, trials, years and the snapshot's hash."""
    out = []
    for o in options:
        r = o.results
        digest = canonical_sha256(o.document)
        out.append(
            {
                "label": o.label,
                "engine_version": r.engine_version,
                "seed": r.seed,
                "trials_per_type": r.trials_per_type,
                "years": r.years,
                "chunk_size": r.chunk_size,
                "scenario_sha256": digest,
                "results_scenario_sha256": r.scenario_sha256,
            }
        )
    return out


def _targets(decision: dict[str, Any], options: list[Option]) -> dict[str, Any]:
    if decision.get("targets"):
        return dict(decision["targets"])
    return dict(options[0].document.get("targets", {})) if options else {}


def target_rows(targets: dict[str, Any], currency: str) -> list[dict[str, Any]]:
    rows = []
    for key, label in TARGET_LABELS.items():
        if key not in targets:
            continue
        value = targets[key]
        if key in ("rto_s", "rpo_s"):
            text = format_duration(value)
        elif key == "availability":
            text = format_availability(value)
        elif key == "confidence":
            text = format_percent(value, 0)
        else:
            text = "none set" if value is None else format_money(value, currency)
        rows.append({"key": key, "label": label, "value": text})
    return rows


def _lines(value: Any) -> list[str]:
    """Follow-ups as a list of lines, whether given as a list or as text with one per line."""
    if value is None:
        return []
    if isinstance(value, str):
        return [line.strip(" -•\t") for line in value.splitlines() if line.strip(" -•\t")]
    return [str(v) for v in value]


def normalize_decision(decision: dict[str, Any] | None, labels: list[str]) -> dict[str, Any]:
    """The decision record with every field present (empty when not given)."""
    d = dict(decision or {})
    chosen = d.get("chosen")
    if chosen is not None and chosen not in labels:
        raise ValueError(f"chosen: {chosen!r} is not one of the options {labels}")
    return {
        "title": str(d.get("title") or "Resilience decision"),
        "context": str(d.get("context") or ""),
        "chosen": chosen,
        "rationale": str(d.get("rationale") or ""),
        "consequences": str(d.get("consequences") or ""),
        "follow_ups": _lines(d.get("follow_ups")),
        "sign_offs": [
            {"name": str(s.get("name", "")), "signed_at": str(s.get("signed_at", ""))} for s in d.get("sign_offs", [])
        ],
        "status": str(d.get("status") or "draft"),
        "version": int(d.get("version") or 1),
        "targets": d.get("targets"),
        "baseline": _baseline(d.get("baseline")),
    }


def _baseline(value: Any) -> dict[str, str] | None:
    """The baseline premiums are measured against, as the report prints it: amount and assumptions."""
    if not isinstance(value, dict) or not value.get("text"):
        return None
    return {"text": str(value["text"]), "assumptions": str(value.get("assumptions") or "")}


def _summary(options: list[dict[str, Any]], chosen: str | None) -> str:
    met = [o["label"] for o in options if o["targets_met"]]
    parts = [f"{len(met)} of {len(options)} options meet every target."]
    pick = next((o for o in options if o["chosen"]), None)
    if pick:
        verb = (
            "meets every target"
            if pick["targets_met"]
            else f"meets {pick['met_count']} of {pick['verdict_count']} targets"
        )
        parts.append(f"Chosen: {pick['label']}, which {verb} for a premium of {pick['costs']['premium']} a month.")
    elif chosen is None:
        parts.append("No option has been chosen yet.")
    return " ".join(parts)


def _held_to(option: Option, targets: dict[str, Any]) -> Option:
    """The option with its results re-judged against ``targets``; as it is when its results keep no
    ECDF to re-judge from (results of an old schema: the report then says whose targets judged it)."""
    try:
        return dataclasses.replace(option, results=rejudged(option.results, targets))
    except ValueError:
        return option


def held_options(options: list[Option], targets: dict[str, Any] | None) -> list[Option]:
    """Every option judged by the same targets: ``targets`` (a decision's) or else the first option's."""
    if not targets:
        targets = dict(options[0].document.get("targets", {})) if options else {}
    return [_held_to(o, targets) for o in options]


def build_report(
    options: Iterable[Option | OptionTuple],
    decision: dict[str, Any] | None = None,
    *,
    generated_at: datetime | None = None,
) -> dict[str, Any]:
    """The report's whole content from 1–5 options and an optional decision record."""
    opts = [o if isinstance(o, Option) else Option(*o) for o in options]
    if not 1 <= len(opts) <= MAX_OPTIONS:
        raise ValueError(f"options: a report compares 1 to {MAX_OPTIONS} options, got {len(opts)}")
    labels = [o.label for o in opts]
    if len(set(labels)) != len(labels):
        raise ValueError("options: labels must be unique")
    record = normalize_decision(decision, labels)
    currency = opts[0].results.costs.currency
    targets = _targets(record, opts)
    opts = held_options(opts, targets)
    per_option = [option_context(o, record["chosen"], targets) for o in opts]
    runs = [(o.label, o.results) for o in opts]
    overlay_types = [
        t
        for t in ("db_primary_failure", "region_outage", "zone_outage")
        if any(t in chartdata.active_types(o.results) for o in opts)
    ]
    when = generated_at or datetime.now(UTC)
    return {
        "report_schema": REPORT_SCHEMA,
        "title": record["title"],
        "generated_at": when.strftime("%Y-%m-%d %H:%M UTC"),
        "decision": record,
        "currency": currency,
        "targets": target_rows(targets, currency),
        "targets_raw": targets,
        "cover": {"summary": _summary(per_option, record["chosen"]), "options": per_option},
        "options": per_option,
        "comparison": comparison_table(opts),
        "assumptions": [{"label": o.label, "items": assumptions(o.document)} for o in opts],
        "reproducibility": reproducibility(opts),
        "charts": {
            "cost_vs_downtime": chartdata.cost_vs_downtime(runs),
            "overlays": [chartdata.overlay_ecdf(runs, t) for t in overlay_types] if len(opts) > 1 else [],
        },
    }
