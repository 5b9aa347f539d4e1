"""``python -m simulation report``: real runs into a report file; bad input exits 2 with a message."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulation.cli import report as cli

REPO = Path(__file__).resolve().parents[2]


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["report", *argv])


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture
def two_files(tmp_path) -> list[str]:
    return [
        _write(tmp_path, "a.yaml", "name: Single\npattern: single-region\n"),
        _write(tmp_path, "b.yaml", "name: Standby\npattern: active-passive\n"),
    ]


def _main(args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(args, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_it_writes_a_json_report_of_every_scenario(two_files, tmp_path):
    output = tmp_path / "report.json"
    code, out, err = _main(
        _args(
            *two_files,
            "--format",
            "json",
            "-o",
            str(output),
            "--trials",
            "60",
            "--seed",
            "9",
            "--years",
            "500",
            "--chosen",
            "Standby",
        )
    )
    assert code == 0 and err == "" and "2 options" in out
    doc = json.loads(output.read_text(encoding="utf-8"))
    assert [o["label"] for o in doc["options"]] == ["Single", "Standby"]
    assert doc["decision"]["chosen"] == "Standby" and doc["title"] == "Single vs Standby"
    assert {o["results"]["seed"] for o in doc["options"]} == {9}
    assert {o["results"]["trials_per_type"] for o in doc["options"]} == {60}


def test_it_labels_scenarios_with_the_same_name_apart():
    assert cli.unique_labels(["A", "B", "A", "A"]) == ["A", "B", "A (2)", "A (3)"]


def test_it_exits_2_naming_the_field_of_an_invalid_scenario(tmp_path, two_files):
    bad = _write(tmp_path, "bad.yaml", "pattern: multi-cloud\n")
    code, out, err = _main(_args(two_files[0], bad, "-o", str(tmp_path / "r.pdf")))
    assert code == 2 and out == "" and err.startswith(f"{bad}: pattern:")
    assert not (tmp_path / "r.pdf").exists()


def test_it_exits_2_for_a_missing_file_too_many_files_or_an_unknown_choice(tmp_path, two_files):
    code, _, err = _main(_args(str(tmp_path / "missing.yaml"), "-o", str(tmp_path / "r.csv")))
    assert code == 2 and "cannot read" in err
    code, _, err = _main(_args(*(two_files * 3), "-o", str(tmp_path / "r.csv")))
    assert code == 2 and "at most 5" in err
    code, _, err = _main(_args(*two_files, "--chosen", "Neither", "-o", str(tmp_path / "r.csv"), "--trials", "20"))
    assert code == 2 and "--chosen 'Neither'" in err


def test_it_exits_2_when_the_output_cannot_be_written(tmp_path, two_files):
    code, _, err = _main(
        _args(
            *two_files,
            "--format",
            "csv",
            "-o",
            str(tmp_path / "no" / "such" / "r.csv"),
            "--trials",
            "20",
            "--years",
            "100",
        )
    )
    assert code == 2 and err.startswith("error: cannot write")


@pytest.mark.slow
def test_it_runs_as_python_dash_m_simulation_report(two_files, tmp_path):
    output = tmp_path / "report.csv"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulation",
            "report",
            *two_files,
            "--format",
            "csv",
            "-o",
            str(output),
            "--trials",
            "30",
            "--years",
            "200",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = output.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 and lines[1].startswith("Single,")
    bad = subprocess.run(
        [sys.executable, "-m", "simulation", "report", "-o", str(output), "--format", "docx", *two_files],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "docx" in bad.stderr
