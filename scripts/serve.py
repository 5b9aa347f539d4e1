"""`make serve`: the production start for a team — web (gunicorn), a Celery worker and Celery beat.

Meant for PostgreSQL and Redis (``DATABASE_URL``, ``CELERY_BROKER_URL``) and the production environment of
docs/web.md (``DEBUG`` off, a ``SECRET_KEY``, ``ALLOWED_HOSTS`` …). Migrates, collects the static files
when they changed (hashed names, gzip and brotli copies), then starts the three processes, each in its own
process group. A process that dies is started again (waiting 1 s, doubling up to 30 s while it keeps
dying); TERM or Ctrl-C stops them all: TERM, a bounded wait, then KILL of their groups.

Environment: HOST (0.0.0.0), PORT (8000), WEB_CONCURRENCY and WEB_THREADS (config/gunicorn.conf.py),
WORKER_CONCURRENCY (cores), BEAT (true: start ``celery beat`` for the periodic tasks the config schedules),
BEAT_SCHEDULE_FILE (var/celerybeat-schedule).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from run_local import start, stop  # same folder: the same way of starting and stopping children

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
RESTART_WAIT_S = (1.0, 30.0)  # first wait before restarting a dead process, and the longest


def manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, check=True)


def collect_static() -> None:
    """collectstatic when a file under static/ is newer than the last collection into STATIC_ROOT."""
    root = Path(os.environ.get("STATIC_ROOT", ROOT / "staticfiles"))
    stamp = root / ".collected"
    newest = max((p.stat().st_mtime for p in (ROOT / "static").rglob("*") if p.is_file()), default=0.0)
    if not stamp.exists() or newest > stamp.stat().st_mtime:
        manage("collectstatic", "--noinput", "--verbosity", "0")
        stamp.touch()


def commands() -> dict[str, list[str]]:
    var = Path(os.environ.get("VAR_DIR", ROOT / "var"))
    schedule = os.environ.get("BEAT_SCHEDULE_FILE", str(var / "celerybeat-schedule"))
    celery = [PYTHON, "-m", "celery", "-A", "config"]
    out = {
        "web": [PYTHON, "-m", "gunicorn", "-c", str(ROOT / "config" / "gunicorn.conf.py"), "config.wsgi:application"],
        "worker": [
            *celery,
            "worker",
            "--loglevel=INFO",
            f"--concurrency={os.environ.get('WORKER_CONCURRENCY', os.cpu_count())}",
        ],
    }
    if os.environ.get("BEAT", "true").lower() in ("1", "true", "yes", "on"):
        out["beat"] = [*celery, "beat", "--loglevel=INFO", f"--schedule={schedule}"]
    return out


def trial_environment(*, port: int, folder: Path, database_url: str, broker_url: str) -> dict[str, str]:
    """The production environment for a throw-away start on this machine (the test of `make serve`, the
    load benchmark): DEBUG off, a random key, 127.0.0.1 only, static files and var/ under ``folder``."""
    import secrets

    env = {key: value for key, value in os.environ.items() if key not in ("DEBUG", "STATIC_MANIFEST")}
    return env | {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_QUEUE": f"trial-{secrets.token_hex(5)}",
        "STATIC_ROOT": str(folder / "static"),
        "VAR_DIR": str(folder / "var"),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WORKER_CONCURRENCY": "1",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    Path(os.environ.get("VAR_DIR", ROOT / "var")).mkdir(parents=True, exist_ok=True)
    manage("migrate", "--noinput", "--verbosity", "0")
    collect_static()
    plan = commands()
    running = {name: start(command) for name, command in plan.items()}
    waits = dict.fromkeys(plan, RESTART_WAIT_S[0])
    due: dict[str, float] = {}
    stopping = {"signal": None}

    def on_signal(signum, frame):
        stopping["signal"] = signum

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(f"Resilience Planner: serving {', '.join(plan)} (TERM or Ctrl-C stops)", flush=True)
    try:
        while stopping["signal"] is None:
            now = time.monotonic()
            for name, process in running.items():
                if process.poll() is not None and name not in due:
                    print(f"{name} exited (code {process.returncode}); restarting in {waits[name]:.0f} s", flush=True)
                    stop([process])  # whatever it left in its process group
                    due[name] = now + waits[name]
                    waits[name] = min(2 * waits[name], RESTART_WAIT_S[1])
            for name in [n for n, at in due.items() if at <= now]:
                running[name] = start(plan[name])
                del due[name]
            time.sleep(0.2)
    finally:
        print("Stopping web, worker and beat…", flush=True)
        stop(list(running.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
