"""/healthz answers fast (p99 < 200 ms) while visitors keep the workshop computing, on a live server."""

from __future__ import annotations

import http.cookiejar
import json
import threading
import time
import urllib.error
import urllib.request

import pytest
from django.urls import reverse

from simulation.analysis.variants import QUICK
from workshop import services

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HAMMERS = 6  # threads posting evaluations back to back, more than the process computes at once
HAMMER_S = 6.0
PROBE_EVERY_S = 0.03


def _opener() -> tuple[urllib.request.OpenerDirector, http.cookiejar.CookieJar]:
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)), jar


def _hammer(base: str, token: str, stop: threading.Event, statuses: list[int]) -> None:
    opener, jar = _opener()
    opener.open(base + reverse("shared_workshop", args=[token]), timeout=30).read()
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    url = base + reverse("shared_evaluate", args=[token])
    body = json.dumps({"overrides": {"failover.mode": "manual"}}).encode()
    while not stop.is_set():
        request = urllib.request.Request(
            url, data=body, headers={"Content-Type": "application/json", "X-CSRFToken": csrf, "Referer": base}
        )
        try:
            with opener.open(request, timeout=60) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)
            time.sleep(0.5)  # impatient: a browser would wait the Retry-After of 5 s


def test_healthz_p99_stays_under_200_ms_while_the_workshop_computes(live_server, share_link, monkeypatch, settings):
    monkeypatch.setattr(services, "QUICK", QUICK)  # the real quick settings: about a second a variant
    settings.WORKSHOP_RATE_PER_MINUTE = 10_000
    settings.WORKSHOP_CONCURRENT_PER_ACTOR = HAMMERS  # one link, many visitors: the per-process cap decides
    stop, statuses = threading.Event(), []
    hammers = [
        threading.Thread(target=_hammer, args=(live_server.url, share_link.token, stop, statuses), daemon=True)
        for _ in range(HAMMERS)
    ]
    for thread in hammers:
        thread.start()
    time.sleep(1.0)  # let the computations start
    latencies_ms = []
    deadline = time.monotonic() + HAMMER_S
    while time.monotonic() < deadline:
        started = time.perf_counter()
        with urllib.request.urlopen(live_server.url + "/healthz", timeout=10) as response:
            assert response.status == 200
        latencies_ms.append((time.perf_counter() - started) * 1000)
        time.sleep(PROBE_EVERY_S)
    stop.set()
    for thread in hammers:
        thread.join(timeout=60)
    latencies_ms.sort()
    p99 = latencies_ms[int(0.99 * (len(latencies_ms) - 1))]
    assert statuses.count(200) >= 2, statuses  # the workshop really computed meanwhile
    assert set(statuses) <= {200, 429}, statuses  # and turned away what waited too long for its turn
    # without the per-process cap (6 at once) this measured p99 784 ms; with 2 at once, 135-377 ms; with one
    # at a time (the default), under 200 ms with a load average of 18 on the 2 cores
    assert p99 < 200, f"healthz p99 {p99:.0f} ms over {len(latencies_ms)} probes; statuses {statuses}"
