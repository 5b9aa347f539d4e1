"""Import boundaries of the web apps: services import their tasks at the top, tasks import services in
their bodies, and no module of planner, decisions or workshop takes part in an import cycle."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("planner", "decisions", "workshop")
SERVICE_TASK_PAIRS = [("planner.services.runs", "planner.tasks"), ("decisions.services", "decisions.tasks")]


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    base = ROOT.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _load_time_imports(tree: ast.AST):
    """Import statements that run when the module is imported (not those inside functions)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield from _load_time_imports(node)


def _imported(module: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The project modules one import statement loads."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if _is_module(alias.name)}
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = (
        ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
        if node.level
        else node.module
    )
    found = {f"{base}.{alias.name}" for alias in node.names if _is_module(f"{base}.{alias.name}")}
    return found | ({base} if _is_module(base) else set())


def _import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            module = _module_name(path)
            tree = ast.parse(path.read_text(encoding="utf-8"))
            edges: set[str] = set()
            for node in _load_time_imports(tree):
                edges |= _imported(module, path.name == "__init__.py", node)
            graph[module] = edges - {module}
    return graph


def _cycle_from(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    """A path of load-time imports from ``start`` back to itself, if there is one."""
    stack, seen = [(start, [start])], set()
    while stack:
        module, path = stack.pop()
        for target in graph.get(module, ()):
            if target == start:
                return path + [start]
            if target not in seen:
                seen.add(target)
                stack.append((target, path + [target]))
    return None


def test_it_finds_no_import_cycle_in_the_web_apps():
    graph = _import_graph()
    assert "planner.tasks" in graph and "decisions.services" in graph
    cycles = [cycle for module in sorted(graph) if (cycle := _cycle_from(module, graph))]
    assert cycles == []


@pytest.mark.parametrize("services, tasks", SERVICE_TASK_PAIRS)
def test_it_imports_the_tasks_at_the_top_of_the_services(services, tasks):
    graph = _import_graph()
    assert tasks in graph[services]
    assert services not in graph[tasks]


@pytest.mark.parametrize("first, second", SERVICE_TASK_PAIRS + [pair[::-1] for pair in SERVICE_TASK_PAIRS])
def test_it_imports_services_and_tasks_in_either_order(first, second):
    code = f"import django; django.setup(); import {first}; import {second}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
