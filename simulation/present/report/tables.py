"""The report's tables that read several things at once: the assumptions (what differs from the schema's
defaults) and the comparison of options (metrics as rows, options as columns)."""

from __future__ import annotations

from typing import Any, TypedDict

from simulation.engine.results import Verdict
from simulation.model.incident_types import incident_label
from simulation.model.loading import ScenarioError, dump_document, load_scenario
from simulation.present import chartdata
from simulation.present.format import format_availability, format_duration, format_money, format_percent
from simulation.present.report.option import Option

SKIPPED_PATHS = {"schema", "name"}  # not assumptions: the format version and the option's own name


# -- assumptions: what differs from the defaults -------------------------------------------
def value_text(value: Any) -> str:
    """A scenario value as people write it: distributions as 'lognormal(median=120, p95=600)'."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict) and "kind" in value:
        params = ", ".join(f"{k}={value_text(v)}" for k, v in value.items() if k != "kind" and v is not None)
        return f"{value['kind']}({params})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {value_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    return str(value)


def differences(document: Any, defaults: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """(field path, value, default) of every leaf where ``document`` differs from ``defaults``.

    Distributions are leaves (shown whole); lists of equal length are compared
    item by item, otherwise the whole list is one difference.
    """
    if isinstance(document, dict) and "kind" not in document and isinstance(defaults, dict):
        out = []
        for key, value in document.items():
            sub = f"{path}.{key}" if path else key
            if sub in SKIPPED_PATHS:
                continue
            out += differences(value, defaults.get(key), sub)
        return out
    if isinstance(document, list) and isinstance(defaults, list) and len(document) == len(defaults):
        out = []
        for i, (value, default) in enumerate(zip(document, defaults)):
            out += differences(value, default, f"{path}[{i}]")
        return out
    return [] if document == defaults else [(path, document, defaults)]


def default_document(pattern: str) -> dict[str, Any]:
    """The full document of a minimal scenario with this pattern (regions default by pattern)."""
    return dump_document(load_scenario({"pattern": pattern}))


def assumptions(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every parameter of ``document`` that differs from the schema's defaults, with the default."""
    pattern = document.get("pattern", "active-passive")
    try:
        defaults = default_document(pattern)
    except ScenarioError:
        defaults = default_document("active-passive")
    items = []
    overall_default = dump_document(load_scenario({}))["pattern"]
    if pattern != overall_default:
        items.append({"path": "pattern", "value": value_text(pattern), "default": value_text(overall_default)})
    for path, value, default in differences(document, defaults):
        if path != "pattern":
            items.append({"path": path, "value": value_text(value), "default": value_text(default)})
    return items


# -- across options ------------------------------------------------------------------------
def _verdict_key(verdict: Verdict) -> tuple[str, str | None]:
    return verdict.target, verdict.incident_type


def _verdict_row_label(target: str, incident_type: str | None) -> str:
    base = {
        "rto": "RTO target",
        "rpo": "RPO target",
        "availability": "Availability target",
        "budget": "Budget target",
    }.get(target, target)
    return f"{base} — {incident_label(incident_type)}" if incident_type else base


class Cell(TypedDict):
    """One cell of the comparison table: its text and, for a verdict, whether it is met."""

    text: str
    met: bool | None


class Row(TypedDict):
    label: str
    cells: list[Cell]


def comparison_table(options: list[Option]) -> dict[str, Any]:
    """Metrics as rows, options as columns; verdict cells carry pass/fail."""

    def row(label: str, cells: list[Cell]) -> Row:
        return {"label": label, "cells": cells}

    def plain(text: str) -> Cell:
        return {"text": text, "met": None}

    rows: list[Row] = [
        row("Pattern", [plain(o.document.get("pattern", "")) for o in options]),
        row(
            "All targets met",
            [{"text": "yes" if o.results.targets_met else "no", "met": bool(o.results.targets_met)} for o in options],
        ),
    ]
    keys: list[tuple[str, str | None]] = []
    for o in options:
        for v in o.results.verdicts:
            if _verdict_key(v) not in keys:
                keys.append(_verdict_key(v))
    for key in keys:
        cells: list[Cell] = []
        for o in options:
            found = next((v for v in o.results.verdicts if _verdict_key(v) == key), None)
            cells.append(
                plain("—")
                if found is None
                else {
                    "text": f"{format_percent(found.probability)} ({'met' if found.met else 'missed'})",
                    "met": bool(found.met),
                }
            )
        rows.append(row(_verdict_row_label(*key), cells))
    money = [
        ("Premium over single region / month", "premium_usd_per_month"),
        ("Infrastructure / month", "infrastructure_usd_per_month"),
        ("Expected outage cost / month", "expected_outage_usd_per_month"),
        ("Total / month", "total_usd_per_month"),
    ]
    for label, attribute in money:
        rows.append(
            row(
                label,
                [plain(format_money(getattr(o.results.costs, attribute), o.results.costs.currency)) for o in options],
            )
        )
    rows.append(
        row("Downtime per year (mean)", [plain(format_duration(o.results.annual.downtime_s.mean)) for o in options])
    )
    rows.append(
        row("Availability (mean)", [plain(format_availability(o.results.annual.availability.mean)) for o in options])
    )
    for label, figure in (
        ("Lost transactions per year (mean)", "lost_tx"),
        ("Conflicting transactions per year (mean)", "conflicting_tx"),
    ):
        means = [getattr(o.results.annual, figure).mean for o in options]
        rows.append(row(label, [plain(f"{m:,.0f} tx") for m in means]))
    types: list[str] = []
    for o in options:
        types += [t for t in chartdata.active_types(o.results) if t not in types]
    for metric, name in (("rto_s", "RTO p95"), ("data_loss_s", "Data loss p95")):
        for t in types:
            blocks = [o.results.incident_types.get(t) for o in options]
            values = [getattr(b, metric).p95 if b is not None and b.rate_per_year > 0 else None for b in blocks]
            if metric == "data_loss_s" and not any(values):
                continue  # no option loses data in this kind of incident: a row of zeros says nothing
            rows.append(row(f"{name} — {incident_label(t)}", [plain(format_duration(v)) for v in values]))
    return {"columns": [o.label for o in options], "rows": rows}


def _leaves(value: Any, path: str = "") -> dict[str, Any]:
    """Every leaf of a document by path (distributions whole, list items by index)."""
    if isinstance(value, dict) and "kind" not in value:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_leaves(item, f"{path}.{key}" if path else str(key)))
        return out
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        out = {}
        for index, item in enumerate(value):
            out.update(_leaves(item, f"{path}[{index}]"))
        return out
    return {path: value}


def only_differences(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The scenario fields whose values differ between the documents: path and one text per document
    ("—" where a document has no such field), in the first document's order; names are left out."""
    flat = [_leaves(document) for document in documents]
    paths = list(dict.fromkeys(path for leaves in flat for path in leaves))
    missing = object()
    rows = []
    for path in paths:
        if path in ("name", "schema") or path in SKIPPED_PATHS:
            continue
        values = [leaves.get(path, missing) for leaves in flat]
        if all(v == values[0] for v in values[1:]):
            continue
        rows.append({"path": path, "values": ["—" if v is missing else value_text(v) for v in values]})
    return rows
