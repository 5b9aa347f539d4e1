"""No dead reads or writes: every public selector and service of the web apps is used by the web apps."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("planner", "decisions", "workshop", "drills", "api")


def _sources() -> dict[Path, str]:
    return {
        path: path.read_text(encoding="utf-8")
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
    }


def test_it_uses_every_public_selector_and_service():
    sources = _sources()
    unused = []
    for path, text in sources.items():
        if not {"selectors", "services"} & {path.parent.name, path.stem}:
            continue
        for node in ast.parse(text).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                word = re.compile(rf"\b{node.name}\b")
                if sum(len(word.findall(other)) for other in sources.values()) < 2:  # its definition only
                    unused.append(f"{path.relative_to(ROOT)}::{node.name}")
    assert unused == []
