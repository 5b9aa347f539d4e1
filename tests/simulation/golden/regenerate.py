"""Write the golden results of the examples: ``golden/<example>.json``, checked by tests/simulation/test_golden.py.

    python tests/simulation/golden/regenerate.py [EXAMPLE.yaml ...] --note "why the figures moved"

With no example named, every example is regenerated and golden files of examples that are gone are
removed. It refuses (exit 1, nothing written) to overwrite a golden file whose engine version equals the
current ENGINE_VERSION but whose digest differs, unless ``--same-version-ok``; a changed golden needs a
``--note`` (exit 2 without one). Unchanged golden files are left as they are, note included.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[2]), str(HERE.parent)]  # the repository (simulation) and golden_helpers


def main(argv: list[str] | None = None) -> int:
    golden = importlib.import_module("golden_helpers")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("examples", nargs="*", help="example file names (default: every examples/*.yaml)")
    parser.add_argument("--note", default="", help="why the figures changed (stored in each file written)")
    parser.add_argument(
        "--same-version-ok", action="store_true", help="overwrite changed results although ENGINE_VERSION is unchanged"
    )
    args = parser.parse_args(argv)

    paths = golden.example_paths()
    if args.examples:
        known = {path.name: path for path in paths}
        unknown = [name for name in args.examples if Path(name).name not in known]
        if unknown:
            parser.error(f"no such example: {', '.join(unknown)}")
        paths = [known[Path(name).name] for name in args.examples]

    writes, refusals = [], []
    for path in paths:
        target = golden.golden_path(path)
        old = json.loads(target.read_text(encoding="utf-8")) if target.exists() else None
        new = golden.golden_record(path, golden.results_of(path), args.note or "first recorded")
        if old is not None and old["results_sha256"] == new["results_sha256"]:
            print(f"unchanged  {target.name}")
            continue
        reason = golden.refusal(old, new, same_version_ok=args.same_version_ok)
        if reason:
            refusals.append(reason)
        writes.append((target, old, new))

    if refusals:
        print("\n".join(["refused, nothing written:", *refusals]), file=sys.stderr)
        return 1
    if any(old is not None for _, old, _ in writes) and not args.note:
        print('results changed: say why with --note "..." (nothing written)', file=sys.stderr)
        return 2
    for target, old, new in writes:
        target.write_text(json.dumps(new, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        changes = golden.figure_changes(old["figures"], new["figures"]) if old else []
        print(f"{'changed' if old else 'new':<10} {target.name}" + "".join(f"\n  {c}" for c in changes))
    if not args.examples:
        wanted = {golden.golden_path(path) for path in paths}
        for stale in sorted(set(golden.GOLDEN.glob("*.json")) - wanted):
            stale.unlink()
            print(f"removed    {stale.name} (no such example)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
