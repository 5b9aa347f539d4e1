"""`python -m simulation remote check` against a live server with a real Celery worker: exit 0, 1 or 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from api_helpers import new_key

from planner.services.workspaces import workspace_update

from celery_worker import filesystem_worker

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _check(live_server, key: str, workspace_id: int, *what: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "simulation", "remote", "check", "--url", live_server.url, "--token", key]
    command += ["--workspace", str(workspace_id), "--trials", "200", "--seed", "3", "--wait", "120", *what]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=180)


def test_the_gate_exits_0_1_and_2(live_server, owner, workspace, scenario, tmp_path):
    key = new_key(owner, [workspace], "write")
    with filesystem_worker(tmp_path, tmp_path / "worker.log", "api"):
        workspace_update(
            workspace=workspace,
            name=workspace.name,
            targets={"rto_s": 10**7, "rpo_s": 10**7, "availability": 0.5, "confidence": 0.5},
        )
        met = _check(live_server, key, workspace.pk, "--scenario", str(scenario.pk))
        assert met.returncode == 0, met.stdout + met.stderr + (tmp_path / "worker.log").read_text()[-3000:]
        assert "All targets met." in met.stdout and "[   met]" in met.stdout

        workspace_update(
            workspace=workspace,
            name=workspace.name,
            targets={"rto_s": 1, "rpo_s": 0, "availability": 0.999999, "confidence": 0.95},
        )
        scenario_file = tmp_path / "option.yaml"
        scenario_file.write_text("name: From CI\npattern: single-region\n")
        missed = _check(live_server, key, workspace.pk, "--file", str(scenario_file))
        assert missed.returncode == 1, missed.stdout + missed.stderr
        assert "[MISSED]" in missed.stdout and "From CI" in missed.stdout

    bad_file = tmp_path / "bad.yaml"
    bad_file.write_text("pattern: sideways\n")
    invalid = _check(live_server, key, workspace.pk, "--file", str(bad_file))
    assert invalid.returncode == 2 and "pattern" in invalid.stderr
    refused = _check(live_server, "rp_not-a-token", workspace.pk, "--scenario", str(scenario.pk))
    assert refused.returncode == 2 and "401" in refused.stderr
    unreachable = _check(type("S", (), {"url": "http://127.0.0.1:9"})(), key, workspace.pk, "--scenario", "1")
    assert unreachable.returncode == 2 and "cannot reach" in unreachable.stderr
