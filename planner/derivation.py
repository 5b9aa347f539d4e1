"""A new option derived from a base scenario: a redundancy pattern or a preset applied to it, changing only
what the pattern or preset needs, and the diff against the base with a reason for every field that differs.

``pattern_changes`` turns the base's regions and replicas into what the pattern needs (the primary region
stays; the other regions take the pattern's role; a multi-region pattern gets a second region when the base
has one region, and an async cross-region replica when it has none, as the engine's default). A preset sets
the fields its file writes (its targets are a proposal: the workspace's targets judge, so they are left
out); a preset of another pattern that writes no regions reshapes the base's as the pattern needs.
``origin`` lists every field of the created document that differs from the base, each with its reason.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from simulation.present.report.tables import only_differences

PATTERNS = ("single-region", "active-passive", "active-active-read", "active-active-full")
OTHER_ROLE = {"active-passive": "standby", "active-active-read": "read-replica", "active-active-full": "primary"}
ROLE_WHY = {
    "standby": "in active-passive the other regions stand by and take over when the primary region fails",
    "read-replica": "in active-active (read) the other regions serve reads from a local replica",
    "primary": "in active-active (full) every region reads and writes",
}
NOT_FROM_PRESET = ("name", "schema", "targets")  # targets: the workspace's judge; a preset's are a proposal


@dataclass
class Derivation:
    """The document being derived and why each path was set (path prefix → reason)."""

    document: dict[str, Any]
    reasons: dict[str, str] = field(default_factory=dict)

    def set(self, path: str, value: Any, reason: str) -> None:
        target = self.document
        parts = path.split(".")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
        self.reasons[path] = reason  # the last change of a path says why it is so

    def reason_for(self, path: str) -> str:
        """The reason recorded for ``path`` or the nearest path above it."""
        best = ""
        for prefix in self.reasons:
            if (path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[")) and len(prefix) > len(
                best
            ):
                best = prefix
        return self.reasons[best] if best else "follows from the changes above (the engine's default)"


def _primary(regions: list[dict]) -> dict:
    return next(r for r in regions if r.get("role", "primary") == "primary")


def _new_region_name(taken: set[str]) -> str:
    return next(f"region-{c}" for c in "bcdefghijklmnopqrstuvwxyz" if f"region-{c}" not in taken)


def pattern_changes(derivation: Derivation, pattern: str) -> None:
    """Reshape the document's regions and replicas for ``pattern``; nothing else changes."""
    doc = derivation.document
    if doc.get("pattern") != pattern:
        derivation.set("pattern", pattern, f"the chosen redundancy pattern is {pattern}")
    regions = copy.deepcopy(doc["regions"])
    primary = _primary(regions)
    if pattern == "single-region":
        if len(regions) > 1:
            derivation.set(
                "regions", [primary], f"a single-region system keeps only its primary region {primary['name']}"
            )
        _fit_replicas(derivation)
        return
    role = OTHER_ROLE[pattern]
    others = [r for r in regions if r is not primary]
    if not others:
        name = _new_region_name({r["name"] for r in regions})
        extra = {"name": name, "role": role, "app_instances": primary["app_instances"], "zones": primary["zones"]}
        if role == "standby":
            extra["warmth"] = "warm"
        derivation.set(
            "regions",
            [primary, extra],
            f"{pattern} needs a second region: {name}, with the primary's app instances and zones"
            + (" (a warm standby)" if role == "standby" else ""),
        )
    elif any(r.get("role") != role for r in others):
        for region in others:
            region["role"] = role
        derivation.set("regions", [primary, *others], ROLE_WHY[role])
    _fit_replicas(derivation)


def _fit_replicas(derivation: Derivation) -> None:
    """Replicas follow the regions: those in a removed region go; a multi-region pattern without a
    cross-region replica gets an async one in its second region (the engine's default)."""
    doc = derivation.document
    names = [r["name"] for r in doc["regions"]]
    primary = _primary(doc["regions"])["name"]
    replicas = [r for r in doc["database"].get("replicas", []) if r.get("region") in names]
    if doc["pattern"] == "single-region":
        replicas = [r for r in replicas if r.get("region") == primary]
        reason = "a single-region system has no cross-region replica"
    else:
        reason = "the other region needs a copy of the data to take over: an async replica, the engine's default"
        if not any(r.get("region") != primary for r in replicas):
            other = next(n for n in names if n != primary)
            replicas.append({"region": other, "mode": "async"})
    if replicas != doc["database"].get("replicas", []):
        derivation.set("database.replicas", replicas, reason)


def _written(value: Any, path: str = "") -> dict[str, Any]:
    """The fields a preset file writes, by dotted path (distributions and lists whole)."""
    if not isinstance(value, dict) or "kind" in value:
        return {path: value}
    return {p: v for key, item in value.items() for p, v in _written(item, f"{path}.{key}" if path else key).items()}


def preset_changes(derivation: Derivation, preset_name: str, preset_document: dict[str, Any]) -> None:
    """Set the fields the preset writes (not its name, format version or targets) on the document."""
    written = {k: v for k, v in preset_document.items() if k not in NOT_FROM_PRESET}
    pattern = written.get("pattern", derivation.document.get("pattern"))
    if "regions" not in written and pattern in PATTERNS:
        pattern_changes(derivation, pattern)
    for path, value in _written(written).items():
        derivation.set(path, copy.deepcopy(value), f"the preset “{preset_name}” sets it")
    if "regions" in written and "replicas" not in written.get("database", {}):
        _fit_replicas(derivation)


def origin(
    *, base_name: str, base_id: int | None, how: str, base: dict[str, Any], created: dict[str, Any], derivation
) -> dict[str, Any]:
    """What the created option is: its base, how it was made, and every field that differs from the base
    (the base's value, the new value, the reason)."""
    rows = only_differences([base, created])
    paths = [row["path"] for row in rows]
    # a list empty on one side shows as its items on the other: the row of the empty list says nothing more
    rows = [row for row in rows if not any(p.startswith(row["path"] + "[") for p in paths)]
    return {
        "base_id": base_id,
        "base_name": base_name,
        "how": how,
        "changes": [
            {
                "path": row["path"],
                "base": row["values"][0],
                "new": row["values"][1],
                "reason": derivation.reason_for(row["path"]),
            }
            for row in rows
        ],
    }
