"""Load on the production start: 20 concurrent clients on the results and compare pages for 30 s.

Starts `make serve` (scripts/serve.py: gunicorn, a Celery worker, beat; DEBUG off) on a free port against
PostgreSQL (the database is created if missing) and Redis, loads the demo workspace, logs in once and
shares the session between the clients (threads with urllib, each request a fresh connection as a
browser tab's first request would be). Prints requests per second, p50 / p95 / p99 and the errors
(a status other than 200, or no answer within 10 s). Exit code 1 on any error.

    .venv/bin/python benchmarks/load.py [--clients 20] [--seconds 30] [--web-concurrency N]
        [--database postgres://postgres@127.0.0.1:5432/load_bench] [--redis redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import itertools
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TIMEOUT_S = 10


def _options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--web-concurrency", type=int, default=None, help="gunicorn processes (default: its own)")
    parser.add_argument("--web-threads", type=int, default=None, help="threads per gunicorn process")
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/load_bench")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="the broker")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    return parser.parse_args(argv)


def _database_create(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _environment(options: argparse.Namespace, port: int, folder: Path) -> dict[str, str]:
    sys.path.insert(0, str(ROOT / "scripts"))
    from serve import trial_environment

    env = trial_environment(port=port, folder=folder, database_url=options.database, broker_url=options.redis)
    env["BEAT"] = "false"
    if options.web_concurrency:
        env["WEB_CONCURRENCY"] = str(options.web_concurrency)
    if options.web_threads:
        env["WEB_THREADS"] = str(options.web_threads)
    return env


def _demo(env: dict[str, str]) -> tuple[str, str]:
    """Load the demo workspace (a finished run per example); its user name and password."""
    password = secrets.token_urlsafe(16)
    command = [sys.executable, "manage.py", "load_demo", "--username", "load-bench", f"--password={password}"]
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return "load-bench", password


def _pages(env: dict[str, str]) -> list[str]:
    """The results page of every demo run and the compare page of the demo runs."""
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE")})
    import django

    django.setup()
    from planner.models import Run

    runs = list(Run.objects.filter(status=Run.Status.DONE, created_by__username="load-bench").order_by("id"))
    workspace = runs[0].workspace_id
    results = [f"/w/{workspace}/runs/{run.pk}/results/" for run in runs]
    compare = f"/w/{workspace}/compare/?" + urllib.parse.urlencode([("runs", run.pk) for run in runs[:3]], doseq=True)
    return [*results, compare]


def _opener(base: str, username: str, password: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/accounts/login/", timeout=TIMEOUT_S).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    form = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
    request = urllib.request.Request(f"{base}/accounts/login/", data=form.encode(), headers={"Referer": base})
    opener.open(request, timeout=TIMEOUT_S).read()
    if not any(cookie.name == "sessionid" for cookie in jar):
        raise SystemExit("could not log in")
    return opener


def _load(opener, base: str, pages: list[str], clients: int, seconds: float) -> tuple[list[float], list[str]]:
    timings: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    counter = itertools.count()

    def client() -> None:
        while time.monotonic() < stop_at:
            url = base + pages[next(counter) % len(pages)]
            started = time.perf_counter()
            try:
                with opener.open(url, timeout=TIMEOUT_S) as response:
                    response.read()
                    ok = response.status == 200 and response.url == url
                    problem = "" if ok else f"{response.status} {response.url}"
            except Exception as error:  # any failure counts as an error
                problem = f"{url}: {error.__class__.__name__}: {error}"
            elapsed = time.perf_counter() - started
            with lock:
                (errors.append(problem) if problem else timings.append(elapsed))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings, errors


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


@contextmanager
def demo_server(options: argparse.Namespace) -> Iterator[tuple[str, str, str, list[str], dict[str, str]]]:
    """`make serve` on the demo workspace: (base URL, user name, password, pages, environment)."""
    _database_create(options.database)
    port = options.port or _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as folder:
        env = _environment(options, port, Path(folder))
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
        username, password = _demo(env)
        pages = _pages(env)
        log = open(Path(folder) / "serve.log", "wb")  # noqa: SIM115  (open while the server runs)
        server = subprocess.Popen(
            [sys.executable, "scripts/serve.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 300
            while True:
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit((Path(folder) / "serve.log").read_text()[-3000:]) from None
                    time.sleep(0.5)
            yield base, username, password, pages, env
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
            log.close()


def main() -> int:
    options = _options()
    with demo_server(options) as (base, username, password, pages, env):
        opener = _opener(base, username, password)
        _load(opener, base, pages, 2, 3.0)  # warm up: every process, its connections, its caches
        timings, errors = _load(opener, base, pages, options.clients, options.seconds)
    workers = env.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1) + 1))  # gunicorn.conf.py's default
    print(f"{options.clients} clients for {options.seconds:.0f} s on {len(pages)} pages (results ×{len(pages) - 1},")
    print(
        f"compare of 3 runs), gunicorn {workers} processes × {env.get('WEB_THREADS', '4')} threads,",
        f"{os.cpu_count()} cores",
    )
    if timings:
        print(f"  requests: {len(timings)} ok, {len(errors)} errors, {len(timings) / options.seconds:.1f} req/s")
        print(
            f"  latency: p50 {1000 * statistics.median(timings):.0f} ms,",
            f"p95 {1000 * _percentile(timings, 0.95):.0f} ms,",
            f"p99 {1000 * _percentile(timings, 0.99):.0f} ms, max {1000 * max(timings):.0f} ms",
        )
    for problem in errors[:5]:
        print("  error:", problem)
    return 1 if errors or not timings else 0


if __name__ == "__main__":
    sys.exit(main())
