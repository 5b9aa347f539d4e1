"""Report rendering speed: prints figures (not a test). ``python benchmarks/reports.py``.

- 3-option PDF (WeasyPrint, matplotlib SVG charts): target < 3 s;
- 3-option standalone HTML (plotly.js inlined): target < 1 s;
- JSON and CSV for comparison.
Each format is rendered once to warm up (imports, font cache), then timed as the
best of ``--repeat`` renders of fresh exporters (no cached report content). CPU
time is printed beside wall time: on a shared machine the wall time also counts
waiting for a core.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulation import dump_document, load_file, load_scenario, run
from simulation.present.report import Option
from simulation.present.report.exporters import EXPORTERS

TARGETS_S = {"pdf": 3.0, "html": 1.0}
EXAMPLES = ("opener-incident.yaml", "worked-active-passive.yaml", "active-active-read.yaml")
FALLBACK = (
    ("Single region", {"name": "Single region", "pattern": "single-region"}),
    ("Active-passive", {"name": "Active-passive", "pattern": "active-passive"}),
    ("Active-active read", {"name": "Active-active read", "pattern": "active-active-read"}),
)


def three_options(trials: int) -> list[Option]:
    """Three real runs: the examples' reference cases when present, else three patterns."""
    examples = [ROOT / "examples" / name for name in EXAMPLES]
    scenarios = (
        [load_file(p) for p in examples]
        if all(p.exists() for p in examples)
        else [load_scenario(raw) for _, raw in FALLBACK]
    )
    labels = []
    for s in scenarios:
        labels.append(s.name if s.name not in labels else f"{s.name} ({len(labels) + 1})")
    return [
        Option(label, dump_document(s), run(s, trials=trials, seed=1, years=10_000))
        for label, s in zip(labels, scenarios)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    options = three_options(args.trials)
    decision = {"title": "Benchmark decision", "chosen": options[1].label, "rationale": "Speed check."}
    print(f"3 options: {', '.join(o.label for o in options)} ({args.trials} trials per type)")
    for identifier, exporter in EXPORTERS.items():
        exporter(options, decision).render()  # warm-up
        best, best_cpu, size = float("inf"), float("inf"), 0
        for _ in range(args.repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            _, _, content = exporter(options, decision).render()
            best = min(best, time.perf_counter() - start)
            best_cpu = min(best_cpu, time.process_time() - start_cpu)
            size = len(content)
        target = TARGETS_S.get(identifier)
        verdict = "" if target is None else f"  (target < {target:.0f} s: {'met' if best < target else 'MISSED'})"
        print(f"{identifier:>5}: {best:6.3f} s wall, {best_cpu:6.3f} s CPU, {size / 1e6:6.2f} MB{verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
