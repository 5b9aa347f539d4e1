"""The scenario schema seen as form fields: walks the engine's pydantic models.

Each leaf of a section becomes a ``FieldSpec`` (its document path, kind, label,
unit and help text); nested models become groups; lists of models (regions,
replicas) become table rows. Distributions are edited as short text — see
``dist_to_text`` / ``dist_from_text``.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, Union

from pydantic import BaseModel

from simulation.model import distributions as dists
from simulation.model.scenario import Scenario

# (key, title, top-level document keys) in the order the edit page shows them
SECTIONS: list[tuple[str, str, list[str]]] = [
    ("topology", "Topology", ["pattern", "regions"]),
    ("database", "Database and replication", ["database"]),
    ("failover", "Failover", ["failover"]),
    ("app", "Application tier", ["app"]),
    ("deployment", "Deployments", ["deployment"]),
    ("traffic", "Traffic", ["traffic"]),
    ("incidents", "Incidents", ["incidents"]),
    ("costs", "Costs and business", ["costs", "business"]),
    ("targets", "Targets", ["targets", "simulation"]),
]
SECTION_KEYS = [key for key, _, _ in SECTIONS]
_TOP_LEGENDS = {"app": "Application tier", "database": "Database", "deployment": "Deployments"}
EXTRA_LIST_ROWS = 2  # blank rows offered under a list of regions / replicas

# name suffix → unit; "{cur}" is replaced by the scenario's currency (longest suffix wins)
_UNITS = [
    ("_usd_per_gb_month", "{cur}/GB·month"),
    ("_usd_per_gb", "{cur}/GB"),
    ("_usd_per_month", "{cur}/month"),
    ("_usd_per_hour", "{cur}/hour"),
    ("_usd", "{cur}"),
    ("_gb_per_s", "GB/s"),
    ("_hours_per_month", "hours/month"),
    ("_rps_per_instance", "req/s per instance"),
    ("_per_year", "/year"),
    ("_per_month", "/month"),
    ("_per_day", "/day"),
    ("_tps", "tx/s"),
    ("_rps", "req/s"),
    ("_pct", "%"),
    ("_gb", "GB"),
    ("_s", "s"),
]
_RATIO_NAMES = ("probability", "share", "availability", "confidence", "threshold_ratio", "recovery_threshold")

Kind = Literal["int", "float", "str", "bool", "choice", "dist", "float_list"]


@dataclass(frozen=True)
class FieldSpec:
    """One editable leaf of the scenario document."""

    path: tuple[str | int, ...]  # document path, e.g. ("regions", 0, "name")
    kind: Kind
    label: str
    unit: str = ""
    help: str = ""
    optional: bool = False  # blank means null (e.g. "no max lifetime")
    choices: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """Django form field name: the path joined with ``__``."""
        return "__".join(str(p) for p in self.path)


@dataclass
class Group:
    """Fields shown together under one legend; ``columns`` set means a table of list rows."""

    legend: str
    fields: list[FieldSpec] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[FieldSpec]] = field(default_factory=list)
    path: tuple[str | int, ...] = ()


def unit_for(name: str, currency: str = "USD") -> str:
    """The unit shown beside a field, derived from its name's suffix."""
    for suffix, unit in _UNITS:
        if name.endswith(suffix):
            return unit.replace("{cur}", currency)
    if name.endswith(_RATIO_NAMES) or name == "write_share":
        return "0–1"
    return ""


def label_for(name: str) -> str:
    """``restore_throughput_gb_per_s`` → "Restore throughput" (the unit is shown apart)."""
    base = name.rstrip("_")
    for suffix, _ in _UNITS:
        if base.endswith(suffix) and base != suffix.lstrip("_"):
            base = base[: -len(suffix)]
            break
    text = base.replace("_", " ").strip()
    text = re.sub(r"\b(db|dns|tcp|lb|ttl|http|oltp|llm|fte|gb|rto|rpo)\b", lambda m: m.group(1).upper(), text)
    return text[:1].upper() + text[1:]


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    if typing.get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) < len(typing.get_args(annotation)) and len(args) == 1:
            return args[0], True
    return annotation, False


def _is_dist(annotation: Any) -> bool:
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return typing.get_origin(annotation) in (Union, types.UnionType) and dists.Fixed in typing.get_args(annotation)


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _leaf(path: tuple, name: str, annotation: Any, info, currency: str) -> FieldSpec | None:
    annotation, optional = _strip_optional(annotation)
    common = dict(
        path=path,
        label=info.title or label_for(name),
        unit=unit_for(name, currency),
        help=info.description or "",
        optional=optional,
    )
    if _is_dist(annotation):
        return FieldSpec(kind="dist", **common)
    if typing.get_origin(annotation) is Literal:
        return FieldSpec(kind="choice", choices=tuple(str(a) for a in typing.get_args(annotation)), **common)
    if typing.get_origin(annotation) is list and typing.get_args(annotation)[0] in (float, int):
        return FieldSpec(kind="float_list", **common)
    kinds = {bool: "bool", int: "int", float: "float", str: "str"}
    return FieldSpec(kind=kinds[annotation], **common) if annotation in kinds else None


def _walk(model: type[BaseModel], path: tuple, legend: str, document: dict, currency: str) -> list[Group]:
    """The groups of one model: its own leaves first, then nested models and lists of models."""
    own = Group(legend=legend, path=path)
    nested: list[Group] = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        annotation, _ = _strip_optional(info.annotation)
        sub_path = path + (key,)
        if _is_model(annotation):
            title = f"{legend} › {label_for(key)}" if legend else label_for(key)
            nested += _walk(annotation, sub_path, title, (document or {}).get(key) or {}, currency)
        elif typing.get_origin(annotation) is list and _is_model(typing.get_args(annotation)[0]):
            nested.append(
                _rows(
                    typing.get_args(annotation)[0],
                    sub_path,
                    label_for(key),
                    len((document or {}).get(key) or []),
                    currency,
                )
            )
        else:
            spec = _leaf(sub_path, key, info.annotation, info, currency)
            if spec is not None:
                own.fields.append(spec)
    return ([own] if own.fields else []) + nested


def _rows(model: type[BaseModel], path: tuple, legend: str, count: int, currency: str) -> Group:
    group = Group(legend=legend, path=path)
    for index in range(count + EXTRA_LIST_ROWS):
        row = [
            s
            for name, info in model.model_fields.items()
            if (s := _leaf(path + (index, name), name, info.annotation, info, currency)) is not None
        ]
        group.rows.append(row)
    group.columns = [f"{s.label} ({s.unit})" if s.unit else s.label for s in group.rows[0]]
    return group


def model_leaves(model: type[BaseModel], currency: str = "USD") -> dict[str, FieldSpec]:
    """The editable leaves of one flat model by key, each a top-level field (``Targets`` → a workspace's targets)."""
    leaves = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        if (spec := _leaf((key,), key, info.annotation, info, currency)) is not None:
            leaves[key] = spec
    return leaves


def section_groups(section: str, document: dict) -> list[Group]:
    """The field groups of a section, shaped by the current document (one row per region, ...)."""
    keys = dict((k, keys) for k, _, keys in SECTIONS)[section]
    currency = str((document.get("costs") or {}).get("currency") or "USD")
    groups: list[Group] = []
    top = Group(legend="", path=())
    for key in keys:
        info = Scenario.model_fields.get(key) or Scenario.model_fields[f"{key}_"]
        annotation, _ = _strip_optional(info.annotation)
        if _is_model(annotation):
            legend = _TOP_LEGENDS.get(key, label_for(key))
            groups += _walk(annotation, (key,), legend, document.get(key) or {}, currency)
        elif typing.get_origin(annotation) is list and _is_model(typing.get_args(annotation)[0]):
            groups.append(
                _rows(typing.get_args(annotation)[0], (key,), label_for(key), len(document.get(key) or []), currency)
            )
        elif (spec := _leaf((key,), key, info.annotation, info, currency)) is not None:
            top.fields.append(spec)
    return ([top] if top.fields else []) + groups


# --- distributions as short text ------------------------------------------------------------
DIST_HELP = (
    "A number (fixed), or a kind and its parameters: 'uniform low=10 high=30', "
    "'triangular low=1 mode=2 high=5', 'normal mean=10 sd=2', 'lognormal median=300 p95=900' "
    "(or p99=…), 'exponential mean=60', 'empirical 40, 55, 90'."
)
_DIST_PARAMS = {
    "fixed": ("value",),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "normal": ("mean", "sd"),
    "lognormal": ("median", "p95", "p99"),
    "exponential": ("mean",),
}


def _num(value: Any) -> str:
    return f"{float(value):g}" if isinstance(value, (int, float)) else str(value)


def dist_to_text(value: Any) -> str:
    """A distribution (dict from the document, or a bare number) → its short text."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _num(value)
    if not isinstance(value, dict):
        return str(value)
    kind = value.get("kind", "fixed")
    if kind == "fixed":
        return _num(value.get("value"))
    if kind == "empirical":
        return "empirical " + ", ".join(_num(v) for v in value.get("values", []))
    params = [f"{p}={_num(value[p])}" for p in _DIST_PARAMS.get(kind, ()) if value.get(p) is not None]
    return " ".join([kind] + params)


def _float(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"{text!r} is not a finite number")
    return number


def dist_from_text(text: str) -> dict:
    """Short text → a distribution mapping for the document; ``ValueError`` with a readable reason."""
    text = text.strip()
    if not text:
        raise ValueError("give a number or a distribution")
    head, _, rest = text.partition(" ")
    kind = head.lower()
    if kind not in _DIST_PARAMS and kind != "empirical":
        return {"kind": "fixed", "value": _float(text)}
    if kind == "empirical":
        values = [_float(v) for v in re.split(r"[,\s]+", rest.strip()) if v]
        if not values:
            raise ValueError("empirical needs at least one observed value")
        return {"kind": "empirical", "values": values}
    out: dict[str, Any] = {"kind": kind}
    for token in rest.split():
        name, sep, number = token.partition("=")
        if not sep or name not in _DIST_PARAMS[kind]:
            raise ValueError(f"{kind} takes {', '.join(p + '=…' for p in _DIST_PARAMS[kind])}")
        out[name] = _float(number)
    return out
