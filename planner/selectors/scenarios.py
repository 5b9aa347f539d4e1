"""Reads about scenarios: lists, presets, YAML export."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from django.conf import settings
from django.db.models import QuerySet

import simulation
from planner.models import Scenario, Workspace


@dataclass(frozen=True)
class Preset:
    """A ready-made scenario from ``examples/`` (the brief's tiers and reference cases)."""

    slug: str
    name: str
    document: dict


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
