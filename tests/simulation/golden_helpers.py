"""Golden results: every example run at a small trial count, kept as a digest and a few readable figures.

``golden/<example>.json`` holds the engine version that produced it, the sha256 of the results as
canonical JSON, why they last changed (the note) and key figures, so a failure says which figure moved.
``golden/regenerate.py`` writes them; ``test_golden.py`` checks them.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import simulation

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
GOLDEN = Path(__file__).resolve().parent / "golden"
RUN = {"trials": 300, "seed": 11, "years": 2000, "chunk_size": 100}  # small: about 1 s an example
REGENERATE = "python tests/simulation/golden/regenerate.py"
SIGNIFICANT_DIGITS = 6


def example_paths() -> list[Path]:
    return sorted(EXAMPLES.glob("*.yaml"))


def golden_path(example: Path) -> Path:
    return GOLDEN / f"{example.stem}.json"


# NumPy's AVX-512 kernels of exp, log, power … round some results differently in the last bit from its AVX2 and
# baseline ones (every x86-64 CPU has the latter); without them a golden digest is the same on every such CPU.
PORTABLE_NUMPY = {"NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"}
_RUN_EXAMPLE = """
import json, sys
import simulation
results = simulation.run(simulation.load_file(sys.argv[1]), **json.loads(sys.argv[2]))
results = results.to_json() if hasattr(results, "to_json") else results
sys.stdout.write(results if isinstance(results, str) else json.dumps(results))
"""


def results_of(example: Path) -> dict:
    """The example run through the public API at the golden settings, as a plain results dict.

    In a fresh process with ``PORTABLE_NUMPY`` (it must be set before NumPy is imported), so the
    digest does not depend on the CPU the tests run on.
    """
    env = {**os.environ, **PORTABLE_NUMPY, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", _RUN_EXAMPLE, str(example), json.dumps(RUN)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{example.name}: the golden run failed\n{done.stderr[-3000:]}")
    results: dict = json.loads(done.stdout)
    return results


def digest(results: dict) -> str:
    """sha256 of the canonical JSON: sorted keys, no spaces."""
    canonical = json.dumps(results, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _rounded(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.{SIGNIFICANT_DIGITS}g}")


def key_figures(results: dict) -> dict[str, float | None]:
    """RTO p50/p95 and data loss p95 per incident type, mean annual availability, monthly total cost."""
    figures = {}
    for name, outcome in results["incident_types"].items():
        figures[f"{name}.rto_p50_s"] = outcome["rto_s"]["p50"]
        figures[f"{name}.rto_p95_s"] = outcome["rto_s"]["p95"]
        figures[f"{name}.data_loss_p95_s"] = outcome["data_loss_s"]["p95"]
    figures["annual.availability_mean"] = results["annual"]["availability"]["mean"]
    figures["costs.total_usd_per_month"] = results["costs"]["total_usd_per_month"]
    return {key: _rounded(value) for key, value in sorted(figures.items())}


def golden_record(example: Path, results: dict, note: str) -> dict:
    """What ``golden/<example>.json`` holds for these results."""
    return {
        "example": example.name,
        "engine_version": results["engine_version"],
        "note": note,
        "run": RUN,
        "scenario_sha256": results["scenario_sha256"],
        "results_sha256": digest(results),
        "figures": key_figures(results),
    }


def engine_version_file() -> str:
    """Where ENGINE_VERSION is defined, relative to the repository."""
    package = Path(simulation.__file__).resolve().parent
    path = package / "version.py"
    return str((path if path.exists() else package / "__init__.py").relative_to(REPO))


def figure_changes(old: dict, new: dict) -> list[str]:
    """One line per key figure that moved, appeared or went away: ``name: old → new``."""
    keys = sorted(set(old) | set(new))
    return [
        f"{key}: {old.get(key, 'absent')} → {new.get(key, 'absent')}"
        for key in keys
        if old.get(key, "absent") != new.get(key, "absent")
    ]


def mismatch_message(golden: dict, current: dict) -> str:
    """Why the results no longer match the golden file, and what to do about it."""
    lines = [
        f"examples/{current['example']}: results differ from tests/simulation/golden/"
        f"{Path(current['example']).stem}.json (engine {golden['engine_version']} there, "
        f"{current['engine_version']} now)"
    ]
    if golden["scenario_sha256"] != current["scenario_sha256"]:
        lines.append("  the example itself changed (its scenario sha256 differs)")
    if golden["run"] != current["run"]:
        lines.append(f"  the golden settings changed: {golden['run']} → {current['run']}")
    changes = figure_changes(golden["figures"], current["figures"])
    lines += [f"  {change}" for change in changes] or [
        f"  no key figure moved at {SIGNIFICANT_DIGITS} significant digits; something else in the results did"
    ]
    if golden["engine_version"] != current["engine_version"]:
        lines.append(
            f"ENGINE_VERSION is now {current['engine_version']}: regenerate with `{REGENERATE}` "
            "and say why in the note (--note)"
        )
    else:
        lines.append(
            f"figures changed: bump ENGINE_VERSION in {engine_version_file()}, regenerate with "
            f"`{REGENERATE}`, and say why in the note (--note)"
        )
    return "\n".join(lines)


def refusal(golden: dict | None, current: dict, *, same_version_ok: bool) -> str | None:
    """Why ``current`` must not overwrite ``golden``: changed results under an unchanged engine version."""
    if golden is None or golden["results_sha256"] == current["results_sha256"] or same_version_ok:
        return None
    if golden["engine_version"] != current["engine_version"]:
        return None
    return (
        f"{current['example']}: results changed but ENGINE_VERSION is still {current['engine_version']}; "
        f"bump it in {engine_version_file()} (or pass --same-version-ok if nothing a user sees changed)"
    )
