"""`make run`'s process handling: children stop on TERM, or are killed with their group after a bounded wait."""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "run_local.py"


@pytest.fixture
def run_local(monkeypatch):
    spec = importlib.util.spec_from_file_location("run_local", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "STOP_WAIT_S", 1.0)
    return module


def test_it_stops_a_child_that_honours_term(run_local):
    child = run_local.start([sys.executable, "-c", "import time; time.sleep(60)"])
    started = time.monotonic()
    run_local.stop([child])
    assert child.returncode is not None and time.monotonic() - started < 1.0


def test_it_kills_a_child_and_its_group_when_term_is_ignored(run_local, tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    script = (
        "import os, signal, subprocess, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        f"open({str(pid_file)!r}, 'w').write(str(p.pid)); time.sleep(60)"
    )
    child = run_local.start([sys.executable, "-c", script])
    while not pid_file.exists() or not pid_file.read_text():
        time.sleep(0.05)
    grandchild = int(pid_file.read_text())
    started = time.monotonic()
    run_local.stop([child])
    assert child.returncode is not None and time.monotonic() - started < 3.0
    time.sleep(0.2)
    assert not Path(f"/proc/{grandchild}").exists() or "Z" in Path(f"/proc/{grandchild}/stat").read_text().split()[2]


def test_it_collects_static_files_only_when_they_changed(run_local, monkeypatch, tmp_path):
    (tmp_path / "static").mkdir()
    (tmp_path / "staticfiles").mkdir()
    (tmp_path / "static" / "a.css").write_text("a {}")
    monkeypatch.setattr(run_local, "ROOT", tmp_path)
    assert run_local.static_is_stale()
    (tmp_path / "staticfiles" / ".collected").touch()
    assert not run_local.static_is_stale()


def test_it_runs_with_debug_on_unless_the_environment_says_otherwise(run_local, monkeypatch):
    monkeypatch.delenv("DEBUG", raising=False)
    seen = []

    def first_command(*args):
        seen.append(os.environ.get("DEBUG"))
        raise SystemExit(0)

    monkeypatch.setattr(run_local, "manage", first_command)
    with pytest.raises(SystemExit):
        run_local.main()
    assert seen == ["true"]


def test_it_restarts_a_dead_child_with_backoff_and_keeps_the_others(run_local, monkeypatch, tmp_path):
    """A worker that dies (say, after a broker outage) is started again; the web server keeps running."""
    monkeypatch.setattr(run_local, "RESTART_FIRST_S", 0.2)
    starts = tmp_path / "starts"
    dying = run_local.Child("worker", [sys.executable, "-c", f"open({str(starts)!r}, 'a').write('x'); exit(3)"])
    steady = run_local.Child("web server", [sys.executable, "-c", "import time; time.sleep(60)"])
    stopping = {"signal": None}
    monkeypatch.setattr(run_local.time, "sleep", _stop_after(stopping, seconds=1.6))
    try:
        run_local.supervise([dying, steady], stopping)
        assert steady.process.poll() is None and steady.restarts == 0
        # exits at once; restarts after 0.2, 0.4, 0.8 … s: the backoff doubles with each exit noticed
        exits = dying.restarts + (dying.restart_at is not None)
        assert dying.restarts >= 2 and dying.restarts <= len(starts.read_text()) <= dying.restarts + 1
        assert dying.backoff_s == pytest.approx(0.2 * 2**exits)
    finally:
        run_local.stop([c.process for c in (dying, steady)])


def test_make_run_starts_web_worker_and_beat(run_local):
    names = [c.name for c in run_local.children("127.0.0.1", "8601")]
    commands = [" ".join(c.command) for c in run_local.children("127.0.0.1", "8601")]
    assert names == ["web server", "worker", "beat"]
    assert "runserver 127.0.0.1:8601" in commands[0] and " worker " in commands[1]
    assert commands[2].endswith("beat --loglevel=INFO")


def _stop_after(stopping: dict, *, seconds: float):
    """A ``time.sleep`` that really sleeps, then sets the stop signal once ``seconds`` have passed."""
    real_sleep, deadline = time.sleep, time.monotonic() + seconds

    def sleep(duration: float) -> None:
        real_sleep(duration)
        if time.monotonic() >= deadline:
            stopping["signal"] = 15

    return sleep
