"""Drill records: measured failovers (rehearsed or real) and their CSV / JSON format.

A record says what was tested (``drill_type``), when (``date``), whether it ran under
production load, and the measured milestones, in seconds after the failure was
injected (or occurred): detected, decision, promotion (or restore, rollback) done,
traffic restored, back to full capacity. The phases between the milestones are
what the model is compared with (``PHASES``).

The file format (docs/cli.md, "Drill files"): one row per drill, or a JSON list of
objects with the same keys. A milestone is either an ISO 8601 timestamp (then
``injected_at`` is one too) or a duration after the injection *with its unit*
(``95 s``, ``2.5 min``, ``1 h``); a bare number is refused, as is a data loss
without ``data_loss_unit`` (``s`` or ``tx``). Optional milestones may be empty:
no decision step (automated failover) means decision = detection; no promotion
step means promotion = decision; no full-capacity time means full = restored.

``parse_drills(text, fmt)`` returns the records or raises ``DrillError`` whose
problems name the row (1 = the first drill) and the field; nothing is returned
when any row is wrong.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulation.limits import MAX_DURATION_S

MAX_DRILL_ROWS = 5_000
MAX_DRILL_TEXT_CHARS = 2_000_000
MAX_NOTES_CHARS = 2_000

DrillType = Literal["database-failover", "zone-loss", "region-evacuation", "restore-from-backup", "rollback"]

# drill type → the incident type of the model whose replays predict it
INCIDENT_TYPE_OF: dict[str, str] = {
    "database-failover": "db_primary_failure",
    "zone-loss": "zone_outage",
    "region-evacuation": "region_outage",
    "restore-from-backup": "data_corruption",
    "rollback": "bad_deploy",
}

# milestone columns, in the order they must happen
MILESTONES = ("injected_at", "detected_at", "decided_at", "promoted_at", "restored_at", "full_capacity_at")
REQUIRED_MILESTONES = ("detected_at", "restored_at")
COLUMNS = ("drill_type", "date", "kind", "under_load", *MILESTONES, "data_loss", "data_loss_unit", "notes")

# phase key → (label, the milestones it spans)
PHASES: dict[str, tuple[str, str, str]] = {
    "detect_s": ("detection", "injected_at", "detected_at"),
    "decide_s": ("decision", "detected_at", "decided_at"),
    "promote_s": ("promotion", "decided_at", "promoted_at"),
    "reroute_s": ("traffic restored", "promoted_at", "restored_at"),
    "warm_up_s": ("full capacity", "restored_at", "full_capacity_at"),
    "rto_s": ("total RTO", "injected_at", "restored_at"),
}

_UNITS_S = {"ms": 0.001, "s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0}
_DURATION = re.compile(r"^\s*\+?(\d+(?:\.\d+)?)\s*(ms|s|sec|min|h)\s*$")
_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n"}


@dataclass(frozen=True)
class DrillProblem:
    row: int  # 1 = the first drill (the line after the CSV header; the first object of a JSON list); 0 = the file
    field: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}, {self.field}" if self.row else self.field or "file"
        return f"{where}: {self.message}"


class DrillError(ValueError):
    """Every problem of a drill file, by row and field."""

    def __init__(self, problems: list[DrillProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems[:20]))


class DrillRecord(BaseModel):
    """One measured drill or incident; milestones in seconds after the injection (0)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    drill_type: DrillType
    date: date
    kind: Literal["drill", "incident"] = "drill"
    under_load: bool = False
    detected_s: float = Field(ge=0, le=MAX_DURATION_S)
    decided_s: float = Field(ge=0, le=MAX_DURATION_S)
    promoted_s: float = Field(ge=0, le=MAX_DURATION_S)
    restored_s: float = Field(ge=0, le=MAX_DURATION_S)
    full_capacity_s: float = Field(ge=0, le=MAX_DURATION_S)
    data_loss_s: float | None = Field(default=None, ge=0, le=MAX_DURATION_S)
    data_loss_tx: float | None = Field(default=None, ge=0, le=1e15)
    notes: str = Field(default="", max_length=MAX_NOTES_CHARS)

    @property
    def incident_type(self) -> str:
        return INCIDENT_TYPE_OF[self.drill_type]

    def phases_s(self) -> dict[str, float]:
        """Measured duration of each phase of ``PHASES``, seconds."""
        at = {
            "injected_at": 0.0,
            "detected_at": self.detected_s,
            "decided_at": self.decided_s,
            "promoted_at": self.promoted_s,
            "restored_at": self.restored_s,
            "full_capacity_at": self.full_capacity_s,
        }
        return {key: at[end] - at[start] for key, (_, start, end) in PHASES.items()}

    def to_row(self) -> dict[str, str]:
        """The record as a row of the file format (durations after the injection, in seconds)."""
        loss, unit = (self.data_loss_tx, "tx") if self.data_loss_tx is not None else (self.data_loss_s, "s")
        return {
            "drill_type": self.drill_type,
            "date": self.date.isoformat(),
            "kind": self.kind,
            "under_load": "yes" if self.under_load else "no",
            "injected_at": "0 s",
            "detected_at": f"{self.detected_s:g} s",
            "decided_at": f"{self.decided_s:g} s",
            "promoted_at": f"{self.promoted_s:g} s",
            "restored_at": f"{self.restored_s:g} s",
            "full_capacity_at": f"{self.full_capacity_s:g} s",
            "data_loss": "" if loss is None else f"{loss:g}",
            "data_loss_unit": "" if loss is None else unit,
            "notes": self.notes,
        }


# -- parsing one row --------------------------------------------------------------------------
def _text(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).strip()


def _instant(text: str) -> datetime | float:
    """An ISO 8601 timestamp, or a duration after the injection with its unit (seconds)."""
    match = _DURATION.match(text)
    if match:
        value = float(match.group(1)) * _UNITS_S[match.group(2)]
        if not math.isfinite(value) or value > MAX_DURATION_S:
            raise ValueError(f"must be at most {MAX_DURATION_S:g} s after the injection")
        return value
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        float(text)
    except ValueError:
        raise ValueError(f"{text[:40]!r} is neither an ISO 8601 timestamp nor a duration like '95 s'") from None
    raise ValueError(f"{text[:40]!r} has no unit: write e.g. '{text[:20]} s' or '{text[:20]} min'")


def _seconds_after(start: datetime, moment: datetime) -> float:
    if (start.tzinfo is None) != (moment.tzinfo is None):
        raise ValueError("give every timestamp of a row with a time zone, or none of them")
    return (moment - start).total_seconds()


def _milestones(row: dict[str, Any], problems: list[DrillProblem], n: int) -> dict[str, float]:
    raw = {key: _text(row, key) for key in MILESTONES}
    parsed: dict[str, datetime | float] = {}
    for key, text in raw.items():
        if not text:
            if key in REQUIRED_MILESTONES:
                problems.append(DrillProblem(n, key, "required"))
            continue
        try:
            parsed[key] = _instant(text)
        except ValueError as error:
            problems.append(DrillProblem(n, key, str(error)))
    start = parsed.get("injected_at", 0.0)
    out: dict[str, float] = {}
    for key, value in parsed.items():
        if isinstance(value, datetime):
            if not isinstance(start, datetime):
                problems.append(DrillProblem(n, key, "a timestamp needs injected_at as a timestamp too"))
                continue
            try:
                out[key] = _seconds_after(start, value)
            except ValueError as error:
                problems.append(DrillProblem(n, key, str(error)))
        elif key == "injected_at" and value != 0:
            problems.append(DrillProblem(n, key, "the injection is the origin: a timestamp or 0 s"))
        else:
            out[key] = value  # a duration after the injection
    out["injected_at"] = 0.0
    previous_key, previous = "injected_at", 0.0
    for key in MILESTONES[1:]:
        if key not in out:
            if key in REQUIRED_MILESTONES:
                continue
            out[key] = previous  # an optional step that did not happen takes no time
            continue
        if out[key] < previous:
            problems.append(DrillProblem(n, key, f"must not be before {previous_key} (times must be in order)"))
        if out[key] > MAX_DURATION_S:
            problems.append(DrillProblem(n, key, f"must be at most {MAX_DURATION_S:g} s after the injection"))
        previous_key, previous = key, out[key]
    return out


def _flag(text: str) -> bool | None:
    low = text.lower()
    return True if low in _TRUE else False if low in _FALSE else None


def parse_row(row: dict[str, Any], n: int) -> tuple[DrillRecord | None, list[DrillProblem]]:
    """One row (a mapping of column → value) as a record, or the problems naming its fields."""
    problems: list[DrillProblem] = []
    unknown = sorted(str(k) for k in row if k not in COLUMNS)
    for key in unknown[:5]:
        problems.append(DrillProblem(n, key[:40], "unknown column; known: " + ", ".join(COLUMNS)))
    at = _milestones(row, problems, n)
    values: dict[str, Any] = {
        "drill_type": _text(row, "drill_type"),
        "date": _text(row, "date"),
        "kind": _text(row, "kind") or "drill",
        "notes": _text(row, "notes"),
    }
    load = _text(row, "under_load")
    flag = _flag(load) if load else False
    if flag is None:
        problems.append(DrillProblem(n, "under_load", "must be yes or no"))
    values["under_load"] = bool(flag)
    loss, unit = _text(row, "data_loss"), _text(row, "data_loss_unit")
    if loss:
        try:
            amount = float(loss)
        except ValueError:
            amount = math.nan
        if not math.isfinite(amount) or amount < 0:
            problems.append(DrillProblem(n, "data_loss", "must be a number ≥ 0"))
        elif unit not in ("s", "tx"):
            problems.append(DrillProblem(n, "data_loss_unit", "give the unit of data_loss: s (seconds) or tx"))
        else:
            values["data_loss_s" if unit == "s" else "data_loss_tx"] = amount
    elif unit and unit not in ("s", "tx"):
        problems.append(DrillProblem(n, "data_loss_unit", "must be s (seconds) or tx"))
    names = {"detected_s": "detected_at", "decided_s": "decided_at", "promoted_s": "promoted_at"}
    names |= {"restored_s": "restored_at", "full_capacity_s": "full_capacity_at"}
    for field, column in names.items():
        values[field] = at.get(column, 0.0) if not problems else 0.0  # the other fields are checked anyway
    try:
        record = DrillRecord(**values)
    except ValidationError as error:
        for item in error.errors():
            field = str(item["loc"][0]) if item["loc"] else ""
            problems.append(DrillProblem(n, names.get(field, field), str(item["msg"])))
        return None, problems
    return (None, problems) if problems else (record, [])


# -- files ------------------------------------------------------------------------------------
def _rows_csv(text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        raise DrillError([DrillProblem(0, "header", "the file is empty: the first line names the columns")])
    missing = [c for c in ("drill_type", "date", *REQUIRED_MILESTONES) if c not in reader.fieldnames]
    if missing:
        raise DrillError([DrillProblem(0, "header", "missing column(s): " + ", ".join(missing))])
    rows: list[dict[str, Any]] = []
    for row in reader:
        if len(rows) >= MAX_DRILL_ROWS:
            raise DrillError([DrillProblem(0, "file", f"at most {MAX_DRILL_ROWS} drills per file")])
        if None in row:
            row = {k: v for k, v in row.items() if k is not None} | {"(extra values)": "x"}
        if any((v or "").strip() for v in row.values() if isinstance(v, str)):
            rows.append(row)
    return rows


def _rows_json(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise DrillError([DrillProblem(0, "file", f"not valid JSON ({str(error)[:80]})")]) from None
    if isinstance(data, dict) and "drills" in data:
        data = data["drills"]
    if not isinstance(data, list):
        raise DrillError([DrillProblem(0, "file", 'a JSON list of drills (or {"drills": [...]}) is expected')])
    if len(data) > MAX_DRILL_ROWS:
        raise DrillError([DrillProblem(0, "file", f"at most {MAX_DRILL_ROWS} drills per file")])
    problems = [DrillProblem(i, "drill", "must be an object") for i, r in enumerate(data, 1) if not isinstance(r, dict)]
    if problems:
        raise DrillError(problems[:20])
    return [{str(k): v for k, v in row.items()} for row in data]


def parse_drills(text: str, fmt: str = "csv") -> list[DrillRecord]:
    """Every drill of a CSV or JSON text; ``DrillError`` naming row and field when any row is wrong."""
    if len(text) > MAX_DRILL_TEXT_CHARS:
        raise DrillError([DrillProblem(0, "file", f"at most {MAX_DRILL_TEXT_CHARS:,} characters")])
    if fmt not in ("csv", "json"):
        raise DrillError([DrillProblem(0, "format", "must be csv or json")])
    try:
        rows = _rows_csv(text) if fmt == "csv" else _rows_json(text)
    except csv.Error as error:
        raise DrillError([DrillProblem(0, "file", f"not valid CSV ({error})")]) from None
    if not rows:
        raise DrillError([DrillProblem(0, "file", "no drills in the file")])
    records, problems = [], []
    for n, row in enumerate(rows, 1):
        record, found = parse_row(row, n)
        problems += found
        if record is not None:
            records.append(record)
    if problems:
        raise DrillError(problems)
    return records


def format_of(filename: str) -> str:
    """``json`` for a .json file name, else ``csv``."""
    return "json" if filename.lower().endswith(".json") else "csv"


def drills_to_csv(records: list[DrillRecord]) -> str:
    """The records in the CSV format (header first); an empty list gives the template's header."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(record.to_row())
    return out.getvalue()


TEMPLATE_ROWS = (
    "database-failover,2026-03-10,drill,yes,2026-03-10T14:00:00+00:00,2026-03-10T14:00:35+00:00,,"
    "2026-03-10T14:01:05+00:00,2026-03-10T14:02:10+00:00,2026-03-10T14:05:00+00:00,0,tx,quarterly failover test\n"
    "region-evacuation,2026-04-02,drill,no,0 s,90 s,6 min,12 min,15 min,40 min,3,s,game day\n"
)


def drills_template() -> str:
    """A CSV template: the header and two example rows (timestamps, and durations with units)."""
    return drills_to_csv([]) + TEMPLATE_ROWS
