"""Golden results: every example, run at a small trial count, gives the results recorded in golden/.

A figure may only move with a new ENGINE_VERSION: the failure names the figures that moved and how to
record the new ones (tests/simulation/golden/regenerate.py).
"""

from __future__ import annotations

import json

import pytest

from golden_helpers import GOLDEN, RUN, example_paths, golden_path, golden_record, mismatch_message, refusal, results_of


def _golden(example) -> dict:
    return json.loads(golden_path(example).read_text(encoding="utf-8"))


def test_it_keeps_one_golden_file_per_example():
    assert sorted(p.name for p in GOLDEN.glob("*.json")) == sorted(golden_path(p).name for p in example_paths())


@pytest.mark.parametrize("example", example_paths(), ids=lambda p: p.stem)
def test_it_reproduces_the_golden_results_of_every_example(example):
    golden = _golden(example)
    current = golden_record(example, results_of(example), golden["note"])
    assert current["results_sha256"] == golden["results_sha256"], mismatch_message(golden, current)


def _record(version: str, sha: str, rto_p95_s: float) -> dict:
    return {
        "example": "x.yaml",
        "engine_version": version,
        "note": "",
        "run": RUN,
        "scenario_sha256": "s",
        "results_sha256": sha,
        "figures": {"region_outage.rto_p95_s": rto_p95_s},
    }


def test_it_names_the_figure_that_moved_and_asks_for_a_version_bump():
    message = mismatch_message(_record("0.1.0", "a", 114.5), _record("0.1.0", "b", 120.0))
    assert "region_outage.rto_p95_s: 114.5 → 120.0" in message
    assert "figures changed: bump ENGINE_VERSION in simulation/" in message and "regenerate.py" in message


def test_it_refuses_to_overwrite_changed_results_of_the_same_engine_version():
    old = _record("0.1.0", "a", 114.5)
    assert "ENGINE_VERSION is still 0.1.0" in refusal(old, _record("0.1.0", "b", 120.0), same_version_ok=False)
    assert refusal(old, _record("0.1.0", "b", 120.0), same_version_ok=True) is None
    assert refusal(old, _record("0.2.0", "b", 120.0), same_version_ok=False) is None
    assert refusal(old, _record("0.1.0", "a", 114.5), same_version_ok=False) is None
    assert refusal(None, _record("0.1.0", "b", 120.0), same_version_ok=False) is None
