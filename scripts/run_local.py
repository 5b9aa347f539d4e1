"""`make run`: migrate, load the demo, collect static files, then the web server and a Celery worker.

Both servers are child processes in their own process groups. Ctrl-C (or TERM)
stops both: TERM to each group, a bounded wait, then KILL. If one of them dies,
the other is stopped too and the script exits non-zero.

Environment: HOST (127.0.0.1), PORT (8000), WORKER_CONCURRENCY (2), DEMO_TRIALS
(300), plus everything config/settings.py reads (DATABASE_URL, CELERY_BROKER_URL …);
DEBUG is on unless the environment says otherwise (settings default it to off).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
STOP_WAIT_S = 10.0


def manage(*args: str) -> None:
    """Run a management command to completion; stop everything if it fails."""
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, check=True)


def static_is_stale() -> bool:
    """True when a file under static/ is newer than the last collectstatic."""
    stamp = ROOT / "staticfiles" / ".collected"
    if not stamp.exists():
        return True
    newest = max((p.stat().st_mtime for p in (ROOT / "static").rglob("*") if p.is_file()), default=0.0)
    return newest > stamp.stat().st_mtime


def collect_static() -> None:
    if static_is_stale():
        manage("collectstatic", "--noinput", "--verbosity", "0")
        (ROOT / "staticfiles" / ".collected").touch()


def start(command: list[str]) -> subprocess.Popen:
    """A child in its own session, so a terminal's Ctrl-C reaches only us and we stop it in order."""
    return subprocess.Popen(command, cwd=ROOT, start_new_session=True)


def stop(processes: list[subprocess.Popen]) -> None:
    """TERM each child (a worker then shuts its pool down warmly), wait a bounded time, then KILL its group."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_WAIT_S
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # grandchildren left behind, if any


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "true")  # a developer's machine; the children inherit it
    os.environ.setdefault("STATIC_MANIFEST", "true")  # hashed, compressed static files, as in production
    host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "8000")
    manage("migrate", "--noinput", "--verbosity", "0")
    manage("load_demo", "--trials", os.environ.get("DEMO_TRIALS", "300"))
    collect_static()

    processes = [
        start([PYTHON, "manage.py", "runserver", f"{host}:{port}", "--noreload"]),
        start(
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={os.environ.get('WORKER_CONCURRENCY', '2')}",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ]
        ),  # no broadcast: quick shutdown
    ]
    stopping = {"signal": None}

    def on_signal(signum, frame):
        stopping["signal"] = signum

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(
        f"\nResilience Planner: http://{host}:{port}/  (log in with the demo account above; Ctrl-C stops)\n", flush=True
    )
    exit_code = 0
    try:
        while stopping["signal"] is None:
            dead = [p for p in processes if p.poll() is not None]
            if dead:
                print(f"A child process exited (code {dead[0].returncode}); stopping.", file=sys.stderr)
                exit_code = 1
                break
            time.sleep(0.2)
    finally:
        print("Stopping the web server and the worker…", flush=True)
        stop(processes)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
