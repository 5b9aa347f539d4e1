"""`make serve` (scripts/serve.py) started for real: gunicorn, a Celery worker and beat, DEBUG off.

On this test's database and broker (PostgreSQL and Redis when `make test` runs the planner's tests on
them), on a free port. It answers /healthz and a page, the page links hashed static files served
compressed and cached for good, and TERM stops every process.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from celery_worker import filesystem_broker, worker_database_url

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 240  # migrate and the first collectstatic (brotli) on a busy 2-core machine
STOP_TIMEOUT_S = 30

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


def _environment(tmp_path: Path, port: int) -> dict:
    sys.path.insert(0, str(REPO / "scripts"))
    from serve import trial_environment

    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith("redis"):
        broker = "filesystem://"
        filesystem_broker(tmp_path / "broker")
    env = trial_environment(port=port, folder=tmp_path, database_url=worker_database_url(), broker_url=broker)
    return env | {"BROKER_DIR": str(tmp_path / "broker"), "WEB_CONCURRENCY": "2", "WEB_THREADS": "2"}


def _children(pid: int) -> list[str]:
    """Command lines of the processes started by ``pid`` (their own sessions, same parent)."""
    out = subprocess.run(["ps", "-o", "args=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return out.splitlines()


def test_make_serve_answers_and_serves_compressed_hashed_static_files_then_stops(tmp_path):
    port = _free_port()
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "scripts/serve.py"],
            cwd=REPO,
            env=_environment(tmp_path, port),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                if _get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"make serve did not answer /healthz:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.5)
        children = " ".join(_children(process.pid))
        assert "gunicorn" in children and " worker" in children and " beat" in children, children

        status, _, page = _get(f"{base}/accounts/login/")
        assert status == 200 and b"csrfmiddlewaretoken" in page
        stylesheet = re.search(rb'href="(/static/css/planner\.[0-9a-f]{12}\.css)"', page)
        assert stylesheet, page[:2000]
        for encoding in ("br", "gzip"):
            status, headers, _ = _get(base + stylesheet[1].decode(), {"Accept-Encoding": encoding})
            assert status == 200 and headers.get("Content-Encoding") == encoding, headers
            assert "immutable" in headers["Cache-Control"] and "max-age=315360000" in headers["Cache-Control"]
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            pytest.fail(f"make serve did not stop on TERM:\n{log_path.read_text()[-4000:]}")
    assert process.returncode == 0, log_path.read_text()[-4000:]
    assert _children(process.pid) == []
    with pytest.raises(OSError):
        _get(f"{base}/healthz")
