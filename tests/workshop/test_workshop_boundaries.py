"""The workshop writes planner rows (runs, scenarios) only through the planner's services."""

from __future__ import annotations

import ast
from pathlib import Path

from django.apps import apps

WORKSHOP = Path(__file__).resolve().parents[2] / "workshop"
WRITES = {"create", "bulk_create", "get_or_create", "update_or_create", "update", "delete"}


def _model_of(node: ast.AST) -> str:
    """``Run`` for ``Run.objects.filter(...).update``: the name a manager call chain starts from."""
    while isinstance(node, (ast.Attribute, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


def _planner_writes(path: Path) -> list[str]:
    planner_models = {model.__name__ for model in apps.get_app_config("planner").get_models()}
    return [
        f"{path.name}:{node.lineno} {_model_of(node.func)}….{node.func.attr}"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in WRITES
        and ".objects" in ast.unparse(node.func)
        and _model_of(node.func) in planner_models
    ]


def test_it_writes_no_planner_rows_itself():
    assert [write for path in sorted(WORKSHOP.glob("*.py")) for write in _planner_writes(path)] == []
