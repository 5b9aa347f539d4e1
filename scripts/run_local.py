"""`make run`: migrate, load the demo, collect static files, then the web server, a Celery worker and
Celery beat (which queues the run watchdog).

Each is a child process in its own process group. Ctrl-C (or TERM) stops them
all: TERM to each group, a bounded wait, then KILL. A child that dies is started
again after a backoff (1, 2, 4 … up to 30 s; back to 1 s once it has stayed up a
minute); the others keep running.

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
RESTART_FIRST_S = 1.0
RESTART_MAX_S = 30.0
HEALTHY_AFTER_S = 60.0  # a child up this long starts its backoff afresh when it dies


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


class Child:
    """One supervised command: started again with backoff whenever it exits."""

    def __init__(self, name: str, command: list[str]) -> None:
        self.name, self.command = name, command
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0
        self.backoff_s = RESTART_FIRST_S
        self.restart_at: float | None = None
        self.restarts = 0

    def launch(self) -> None:
        self.process, self.started_at, self.restart_at = start(self.command), time.monotonic(), None

    def check(self, now: float) -> None:
        """Notice an exit (schedule the restart) or, when its time came, restart."""
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.restarts += 1
                print(f"Restarting the {self.name} (restart {self.restarts}).", file=sys.stderr, flush=True)
                self.launch()
            return
        if self.process is None or self.process.poll() is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)  # what is left of its group
        if now - self.started_at >= HEALTHY_AFTER_S:
            self.backoff_s = RESTART_FIRST_S
        print(
            f"The {self.name} exited (code {self.process.returncode}); restarting it in {self.backoff_s:.1f} s.",
            file=sys.stderr,
            flush=True,
        )
        self.restart_at = now + self.backoff_s
        self.backoff_s = min(self.backoff_s * 2, RESTART_MAX_S)


def celery(*args: str) -> list[str]:
    return [PYTHON, "-m", "celery", "-A", "config", *args]


def children(host: str, port: str) -> list[Child]:
    return [
        Child("web server", [PYTHON, "manage.py", "runserver", f"{host}:{port}", "--noreload"]),
        Child(
            "worker",
            celery(
                "worker",
                "--loglevel=INFO",
                f"--concurrency={os.environ.get('WORKER_CONCURRENCY', '2')}",
                "--without-gossip",  # no broadcast: quick shutdown
                "--without-mingle",
                "--without-heartbeat",
            ),
        ),
        Child("beat", celery("beat", "--loglevel=INFO")),
    ]


def supervise(supervised: list[Child], stopping: dict) -> None:
    """Keep every child running until a signal arrives."""
    for child in supervised:
        child.launch()
    while stopping["signal"] is None:
        now = time.monotonic()
        for child in supervised:
            child.check(now)
        time.sleep(0.2)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "true")  # a developer's machine; the children inherit it
    os.environ.setdefault("STATIC_MANIFEST", "true")  # hashed, compressed static files, as in production
    host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "8000")
    manage("migrate", "--noinput", "--verbosity", "0")
    manage("load_demo", "--trials", os.environ.get("DEMO_TRIALS", "300"))
    collect_static()

    stopping: dict = {"signal": None}

    def on_signal(signum, frame):
        stopping["signal"] = signum

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(
        f"\nResilience Planner: http://{host}:{port}/  (log in with the demo account above; Ctrl-C stops)\n", flush=True
    )
    supervised = children(host, port)
    try:
        supervise(supervised, stopping)
    finally:
        print("Stopping the web server, the worker and beat…", flush=True)
        stop([c.process for c in supervised if c.process is not None])
    return 0


if __name__ == "__main__":
    sys.exit(main())
