"""Workshop benchmarks (not tests): prints the figures the workshop promises.

1. Quick run of a variant (the evaluate endpoint's engine work), worked-active-passive.yaml.
2. Full tornado of worked-active-passive.yaml on one core and with two worker processes (target < 10 s).
3. Slider change → updated chart in Chromium, p50 / p95 over repeated changes (target < 1 s), against a
   real server (a throw-away SQLite database under a temporary VAR_DIR).
4. The workshop room (a saved session) with 1 and with 3 options live: one control move → every option
   re-simulated and the chart redrawn, p50 / p95 (target p50 < 300 ms, p95 < 500 ms over ≥ 50 moves).
   "new positions" walks a path on which every position is new (nothing cached); "revisited" moves one
   slider back and forth (the per-scenario-hash cache answers). ``--think-ms``: the pause after each chart
   is drawn before the next move (a room reads the chart; positions computed ahead use it); 0 by default:
   the next move at once, so nothing computed ahead is ready unless it was computed during the move.

Every figure line ends with the load average (1 min) when it was printed: the machine may be busy.
The server runs with ``WORKSHOP_RATE_PER_MINUTE`` raised (unless set): the benchmark times the answers,
not the per-user limit, which 50 moves in a minute would meet.

Run: ``.venv/bin/python benchmarks/workshop.py [--changes 20] [--skip-browser] [--room-only] [--think-ms 0]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EXAMPLE = ROOT / "examples" / "worked-active-passive.yaml"


# a function, not an expression: the page's CSP forbids eval
RENDERED = "(before) => Number(document.body.dataset.wsRenders) > before && document.body.dataset.wsState === 'ready'"


def _load() -> str:
    return f"[load average {os.getloadavg()[0]:.2f}]"


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def engine_figures(repeats: int) -> None:
    from simulation import load_file
    from simulation.analysis.sensitivity import tornado
    from simulation.analysis.variants import QUICK, run_figures
    from simulation.model.overrides import apply_overrides

    scenario = load_file(EXAMPLE)
    run_figures(scenario, ecdf=True)  # warm up imports and caches
    times = []
    for i in range(repeats):
        variant = apply_overrides(scenario, {"failover.detection.interval_s": 5 + 5 * (i % 6)})
        started = time.perf_counter()
        run_figures(variant, ecdf=True)  # what the evaluate endpoint computes
        times.append(time.perf_counter() - started)
    print(
        f"quick run ({QUICK.trials} incidents per type, {QUICK.years} years): "
        f"p50 {statistics.median(times) * 1000:.0f} ms, p95 {_p95(times) * 1000:.0f} ms over {repeats} variants "
        f"{_load()}"
    )
    for workers in (1, 2):
        started = time.perf_counter()
        result = tornado(scenario, workers=workers)
        elapsed = time.perf_counter() - started
        print(
            f"tornado, {len(result['parameters'])} parameters, workers={workers}: {elapsed:.1f} s "
            f"(target < 10 s on one core) {_load()}"
        )


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


def _start_server():
    """A throw-away database and a threaded WSGI server on a free port: (base URL, server)."""
    os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="workshop-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("WORKSHOP_RATE_PER_MINUTE", "100000")
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    call_command("migrate", verbosity=0)
    server = make_server(
        "127.0.0.1", 0, get_wsgi_application(), server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def _fixture() -> tuple[int, object]:
    from django.contrib.auth import get_user_model

    from planner.services.scenarios import scenario_create
    from planner.services.workspaces import workspace_create
    from simulation import parse_text

    user = get_user_model().objects.create_user(username=f"bench{time.time_ns()}", password="x")
    workspace = workspace_create(name="Benchmark", user=user)
    scenario_create(workspace=workspace, name="Worked example", document=parse_text(EXAMPLE.read_text()), user=user)
    return workspace.pk, user


def browser_figures(changes: int) -> None:
    from playwright.sync_api import sync_playwright

    base_url, server = _start_server()
    workspace_id, user = _fixture()
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base_url}])
        page = context.new_page()
        page.goto(f"{base_url}/w/{workspace_id}/workshop/")
        page.wait_for_function("() => Number(document.body.dataset.wsRenders || 0) >= 1", timeout=30_000)
        slider = page.locator("#c-detection_interval")
        for i in range(changes):
            renders = int(page.evaluate("document.body.dataset.wsRenders"))
            slider.focus()
            page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
            page.wait_for_function(RENDERED, arg=renders, timeout=30_000)
        timings = page.evaluate("window.workshopTimings")
        browser.close()
    server.shutdown()
    print(
        f"slider change → chart drawn in Chromium (incl. 150 ms debounce): p50 {statistics.median(timings):.0f} ms, "
        f"p95 {_p95(timings):.0f} ms over {len(timings)} changes (target < 1000 ms) {_load()}"
    )


ROOM_OPTIONS = ["worked-active-passive.yaml", "active-active-read.yaml", "opener-fixed.yaml"]
ROOM_PATH = ("detection_interval", "query_timeout", "max_lifetime")  # a snake through their positions


def _room_session(user, options: int) -> str:
    from planner.services.scenarios import scenario_create
    from planner.services.workspaces import workspace_create
    from simulation import parse_text
    from workshop.sessions import session_create

    workspace = workspace_create(name=f"Room {options}", user=user)
    files = [ROOT / "examples" / name for name in ROOM_OPTIONS[:options]]
    scenarios = [
        scenario_create(workspace=workspace, name=f.stem, document=parse_text(f.read_text()), user=user) for f in files
    ]
    session = session_create(workspace=workspace, user=user, name="Benchmark", options=[s.pk for s in scenarios])
    return f"/w/{workspace.pk}/workshop/sessions/{session.pk}/"


def _snake_moves(page, changes: int) -> list[tuple[str, str]]:
    """Key presses that visit a new position of the three sliders at every move."""
    sizes = [int(page.locator(f"#c-{key}").get_attribute("max")) for key in ROOM_PATH]
    values = [int(page.locator(f"#c-{key}").input_value()) for key in ROOM_PATH]
    directions = [1, 1, 1]
    moves = []
    for _ in range(changes):
        for level, key in enumerate(ROOM_PATH):
            step = values[level] + directions[level]
            if 0 <= step <= sizes[level]:
                values[level] = step
                moves.append((key, "ArrowRight" if directions[level] > 0 else "ArrowLeft"))
                break
            directions[level] = -directions[level]
        else:
            break
    return moves


def room_figures(options: int, changes: int, base_url: str, cookie: dict, user, think_ms: int = 0) -> None:
    from django.core.cache import cache
    from playwright.sync_api import sync_playwright

    url = base_url + _room_session(user, options)
    cache.clear()
    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        context.add_cookies([cookie])
        page = context.new_page()
        page.goto(url)
        page.wait_for_function("() => Number(document.body.dataset.wsRenders || 0) >= 1", timeout=60_000)
        for label, moves in (
            ("new positions", _snake_moves(page, changes)),
            ("revisited", [("detection_interval", "ArrowRight" if i % 2 else "ArrowLeft") for i in range(changes)]),
        ):
            page.evaluate("window.workshopTimings = []")
            for key, press in moves:
                if think_ms:
                    page.wait_for_timeout(think_ms)
                renders = int(page.evaluate("document.body.dataset.wsRenders"))
                page.locator(f"#c-{key}").focus()
                page.keyboard.press(press)
                page.wait_for_function(RENDERED, arg=renders, timeout=60_000)
            timings = page.evaluate("window.workshopTimings")
            print(
                f"room, {options} option(s) live, {label}, think {think_ms} ms: control move → every option "
                f"redrawn p50 {statistics.median(timings):.0f} ms, p95 {_p95(timings):.0f} ms over {len(timings)} "
                f"moves (target p50 < 300 ms, p95 < 500 ms) {_load()}",
                flush=True,
            )
        browser.close()


def room_benchmark(changes: int, think_ms: int = 0) -> None:
    base_url, server = _start_server()
    _, user = _fixture()
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}
    for options in (1, 3):
        room_figures(options, changes, base_url, {**cookie, "url": base_url}, user, think_ms)
    server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=20, help="slider changes in the browser")
    parser.add_argument("--repeats", type=int, default=10, help="quick runs timed")
    parser.add_argument("--skip-browser", action="store_true")
    parser.add_argument("--think-ms", type=int, default=0, help="pause after each chart drawn in the room")
    parser.add_argument("--room-only", action="store_true", help="only the room (1 and 3 options live)")
    args = parser.parse_args()
    if args.room_only:
        room_benchmark(max(args.changes, 50), args.think_ms)
        return
    engine_figures(args.repeats)
    if not args.skip_browser:
        browser_figures(args.changes)
        room_benchmark(max(args.changes, 50), args.think_ms)


if __name__ == "__main__":
    main()
