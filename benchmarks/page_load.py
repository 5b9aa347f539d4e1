"""Results, compare and workshop pages in Chromium on `make serve`: cold (empty cache) and warm load to charts drawn.

Starts the production start on the demo workspace like benchmarks/load.py, logs in once, then for each page
opens it in a fresh browser context (empty cache: every static file fetched) and again in the same context
(warm: the hashed static files come from the cache), timing from navigation to the charts of the first
screen drawn (results, compare: ``data-first-screen-drawn``, what a visitor sees; the charts further down
follow one at a time, and the time until every chart is drawn, ``data-charts-drawn``, is printed too) or to
the workshop's first chart drawn (``data-ws-renders``: the workshop page of the first scenario, and a room of
three options). Prints the median and the worst of ``--repeat`` rounds, the bytes transferred cold, and the
load average. The times are taken here, so they include Playwright's polling (it looks again after 20, 50,
100, 100, then every 500 ms, each look waiting for the page's current task); the results and compare pages also
mark both moments in the page (``performance.mark``), and those times from the navigation's start are printed
as "in the page". The web processes share a cache (``--cache``, by default the ``--redis`` URL), as docs/web.md
asks of several processes: the workshop's figures are cached.
Chromium: CHROMIUM_PATH or /usr/bin/chromium; no throttling. Targets: cold < 1.5 s, warm < 0.5 s.

    .venv/bin/python benchmarks/page_load.py [--repeat 5] [--database …] [--redis …] [--cache …]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import demo_server

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
TRANSFERRED = "performance.getEntriesByType('resource').reduce((s, e) => s + e.transferSize, 0)"


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/load_bench")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--cache", default=None, help="CACHE_URL shared by the web processes (default: --redis)")
    options = parser.parse_args()
    options.port, options.web_concurrency, options.web_threads = 0, None, None
    return options


WORKSHOP_DRAWN = "() => Number(document.body.dataset.wsRenders || 0) >= 1"
MARKS = "['first-screen-drawn', 'charts-drawn'].map(n => performance.getEntriesByName(n)[0].startTime / 1000)"


def _timed(page, url: str, every: list[float], marked: list[tuple[float, float]]) -> float:
    """Seconds from navigation to the first screen's charts drawn; appends to ``every`` the seconds until
    every chart of a results or compare page is drawn, and to ``marked`` both as the page marked them."""
    started = time.perf_counter()
    page.goto(url)
    if "/workshop/" in url:
        page.wait_for_function(WORKSHOP_DRAWN, timeout=30_000)
        return time.perf_counter() - started
    page.wait_for_selector("body[data-first-screen-drawn='true']", timeout=30_000)
    first = time.perf_counter() - started
    page.wait_for_selector("body[data-charts-drawn='true']", timeout=30_000)
    every.append(time.perf_counter() - started)
    marked.append(tuple(page.evaluate(MARKS)))
    return first


def _workshop_pages(username: str) -> list[tuple[str, str]]:
    """The demo workspace's workshop page and a room of its first three scenarios (made here)."""
    from django.contrib.auth import get_user_model

    from planner.models import Scenario
    from workshop.sessions import session_create

    user = get_user_model().objects.get(username=username)
    scenarios = list(Scenario.objects.filter(workspace__memberships__user=user).order_by("id")[:3])
    workspace = scenarios[0].workspace
    session = session_create(workspace=workspace, user=user, name="Page load", options=[s.pk for s in scenarios])
    return [
        ("workshop", f"/w/{workspace.pk}/workshop/"),
        ("room", f"/w/{workspace.pk}/workshop/sessions/{session.pk}/"),
    ]


def main() -> int:
    options = _options()
    os.environ.setdefault("CACHE_URL", options.cache or options.redis)  # as docs/web.md asks of several processes
    with demo_server(options) as (base, username, password, pages, _):
        timed = [("results", pages[0]), ("compare", pages[-1]), *_workshop_pages(username)]  # before the event loop
        with sync_playwright() as playwright:
            _measure(playwright, base, username, password, timed, options.repeat)
    return 0


def _measure(playwright, base: str, username: str, password: str, timed: list[tuple[str, str]], repeat: int) -> None:
    browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH)
    login = browser.new_context()
    page = login.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state()
    state = login.storage_state()
    login.close()
    print(
        f"Chromium, `make serve`, {repeat} rounds (median / worst), no throttling, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    for name, path in timed:
        cold, warm, sent, cold_all, warm_all, cold_marked, warm_marked = [], [], 0, [], [], [], []
        for _ in range(repeat):
            context = browser.new_context(storage_state=state)
            tab = context.new_page()
            cold.append(_timed(tab, base + path, cold_all, cold_marked))
            sent = tab.evaluate(TRANSFERRED)
            warm.append(_timed(tab, base + path, warm_all, warm_marked))
            context.close()
        every = ""
        if cold_all:
            every = f" (every chart: cold {1000 * statistics.median(cold_all):.0f}, "
            every += f"warm {1000 * statistics.median(warm_all):.0f} ms)"
            every += f"\n           in the page: {_marked('cold', cold_marked)}; {_marked('warm', warm_marked)}"
        print(
            f"  {name:8s} cold {1000 * statistics.median(cold):5.0f} / {1000 * max(cold):5.0f} ms, "
            f"warm {1000 * statistics.median(warm):5.0f} / {1000 * max(warm):5.0f} ms{every}, "
            f"cold transfer {sent / 1024:.0f} KiB [load average {os.getloadavg()[0]:.2f}]",
            flush=True,
        )
    browser.close()


def _marked(name: str, marked: list[tuple[float, float]]) -> str:
    """'cold 420 / 510 ms (every chart 1300)': first screen median / worst, every chart median, as marked."""
    first, every = [m[0] for m in marked], [m[1] for m in marked]
    return (
        f"{name} {1000 * statistics.median(first):.0f} / {1000 * max(first):.0f} ms "
        f"(every chart {1000 * statistics.median(every):.0f})"
    )


if __name__ == "__main__":
    sys.exit(main())
