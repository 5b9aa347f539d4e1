"""/readyz stays 200 under ordinary load: 20 clients probing at once against a live server."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CLIENTS = 20
PROBES_PER_CLIENT = 10


def _probe(url: str) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.perf_counter() - started


def test_readyz_answers_200_to_20_concurrent_clients(live_server):
    url = f"{live_server.url}/readyz"
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(_probe, [url] * (CLIENTS * PROBES_PER_CLIENT)))
    statuses = [status for status, _ in results]
    slowest_s = max(seconds for _, seconds in results)
    assert statuses.count(200) == len(statuses), f"{statuses.count(503)} of {len(statuses)} answered 503"
    assert slowest_s < 5, f"slowest probe took {slowest_s:.2f} s"
