"""The engine's layers: imports point one way only, model ← incidents ← engine ← analysis ← present ← cli.

Read from the source with ``ast`` (every import statement, also those inside
functions), so a lazy import cannot hide an upward dependency.
"""

import ast
from pathlib import Path

import pytest

import simulation

PACKAGE = Path(simulation.__path__[0])
# Rank of each top-level part of the package; a module may import only from its own rank or below.
BASE = ("version", "units", "limits")  # constants: importable from every layer
LAYERS = ("model", "incidents", "engine", "analysis", "present", "cli")
RANK = {**{name: 0 for name in BASE}, **{name: i + 1 for i, name in enumerate(LAYERS)}}
TOP = len(LAYERS) + 1  # simulation/__init__ and __main__: the public API over every layer


def _layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "simulation" else None


def _rank(module: str) -> int:
    layer = _layer_of(module)
    if layer is None:
        return TOP
    assert layer in RANK, f"simulation.{layer}: not in a layer; add it to LAYERS or BASE"
    return RANK[layer]


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(source: str, where: str) -> list[tuple[int, str]]:
    """(line, imported module) of every import of ``simulation…`` in ``source``; ``from simulation import x``
    counts as importing ``simulation.x`` when x is a module, else the package's public API."""
    out = []
    for node in ast.walk(ast.parse(source, where)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "simulation"]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{where}:{node.lineno}: relative import; the engine imports absolutely"
            if node.module == "simulation":
                for alias in node.names:
                    sub = PACKAGE / alias.name
                    is_module = sub.is_dir() or sub.with_suffix(".py").exists()
                    out.append((node.lineno, f"simulation.{alias.name}" if is_module else "simulation"))
            elif node.module and node.module.split(".")[0] == "simulation":
                out.append((node.lineno, node.module))
    return out


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_it_knows_every_part_of_the_package():
    parts = {p.name.removesuffix(".py") for p in PACKAGE.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    assert parts - {"__init__", "__main__"} == set(RANK)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_it_imports_only_from_its_own_layer_or_below(path):
    name = _module_name(path)
    own = TOP if name == "simulation" or path.name == "__main__.py" else _rank(name)
    upward = [f"line {line}: {target}" for line, target in _imports(path.read_text(), str(path)) if _rank(target) > own]
    assert not upward, f"{name} imports from a higher layer: {upward}"


def test_it_fails_an_import_that_points_up():
    """The check itself: a lazy import of the engine inside a model module is caught."""
    source = "def f():\n    from simulation.engine.plan import plan_run\n    return plan_run\n"
    upward = [t for _, t in _imports(source, "probe") if _rank(t) > _rank("simulation.model.probe")]
    assert upward == ["simulation.engine.plan"]
