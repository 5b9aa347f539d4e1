import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import simulation

ROOT = Path(__file__).resolve().parents[2]


def _submodules() -> list[str]:
    names = ["simulation"]
    for info in pkgutil.walk_packages(simulation.__path__, "simulation."):
        if info.name != "simulation.__main__":
            names.append(info.name)
    return names


def test_it_finds_the_engine_modules_to_check():
    names = _submodules()
    assert {"simulation.engine.runner", "simulation.cli.main", "simulation.incidents.outcomes"} <= set(names)


def test_it_imports_the_engine_without_django():
    code = (
        "import importlib, json, sys\n"
        f"for name in {_submodules()!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []


def test_it_uses_no_global_random_state():
    for path in Path(simulation.__path__[0]).rglob("*.py"):
        text = path.read_text()
        assert "np.random.seed(" not in text and "random.seed(" not in text, path
        assert "import random\n" not in text, path


def test_it_draws_random_numbers_only_from_generators_passed_in():
    allowed = {"default_rng", "SeedSequence", "Generator"}
    for path in Path(simulation.__path__[0]).rglob("*.py"):
        used = set(re.findall(r"np\.random\.(\w+)", path.read_text()))
        assert used <= allowed, (path, used - allowed)
