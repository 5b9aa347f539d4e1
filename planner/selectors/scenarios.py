"""Reads about scenarios: lists, presets, YAML export."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from django.conf import settings
from django.db.models import QuerySet

import simulation
from planner.models import Scenario, Workspace
from simulation.analysis.costs import platform_fte
from simulation.present.format import format_availability, format_duration


@dataclass(frozen=True)
class Preset:
    """A ready-made scenario from ``examples/`` (the brief's tiers and reference cases)."""

    slug: str
    name: str
    document: dict

    @property
    def assumptions(self) -> str:
        """What the preset assumes, in one sentence: staffing (platform team, people paged), detection, DNS TTL
        and the targets it proposes."""
        s = simulation.load_scenario(self.document)
        fo, humans, t = s.failover, s.failover.humans, s.targets
        people = (
            f"a platform team of {platform_fte(s):g} FTE; "
            f"people paged within about {format_duration(_typical(humans.page_s))} and acknowledging within "
            f"{format_duration(_typical(humans.acknowledge_s))} (typical)"
        )
        return (
            f"{s.pattern}; {fo.mode} failover, {people}; detection every "
            f"{format_duration(fo.detection.interval_s)} × {fo.detection.failure_threshold} failed checks; "
            f"DNS TTL {format_duration(fo.dns_ttl_s)}; proposed targets RTO {format_duration(t.rto_s)}, "
            f"RPO {format_duration(t.rpo_s)}, availability {format_availability(t.availability)}."
        )


def _typical(distribution) -> float:
    """A distribution's median when it has one, else its mean."""
    median = getattr(distribution, "median", None)
    return float(median if median is not None else distribution.mean)


def scenario_list(*, workspace: Workspace) -> QuerySet[Scenario]:
    return workspace.scenarios.order_by("name", "id")


def preset_list(*, examples_dir: Path | None = None) -> list[Preset]:
    """Every valid ``*.yaml`` in the examples folder, sorted by file name."""
    folder = Path(examples_dir or settings.EXAMPLES_DIR)
    presets = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = simulation.parse_text(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, simulation.ScenarioError):
            continue
        if isinstance(data, dict) and not simulation.validate_document(data):
            presets.append(Preset(slug=path.stem, name=str(data.get("name") or path.stem), document=data))
    return presets


def preset_get(*, slug: str) -> Preset | None:
    return next((p for p in preset_list() if p.slug == slug), None)


def scenario_yaml(*, document: dict) -> str:
    """The document as YAML, sections in schema order."""
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False)
