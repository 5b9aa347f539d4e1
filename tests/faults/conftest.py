"""Fault tests: real Redis, PostgreSQL and Celery processes that the tests stop, kill and restart.

They need PostgreSQL (``DATABASE_URL=postgres://…``; `make test` runs them in its PostgreSQL pass) and a
``redis-server`` binary. Under CI=true a missing prerequisite fails the test; elsewhere it skips.
"""

from __future__ import annotations

import os
import uuid

import pytest

from celery_worker import producer, worker_database_url
from fault_services import RedisServer, TcpProxy, Worker

pytestmark = [pytest.mark.slow]

# Quick watchdog settings for the worker (production: docs/web.md): a pass every second; a run silent
# for 3 s (or 5 chunks' time) has lost its worker; a queued run 3 s old with an empty queue lost its message.
FAST_WATCHDOG = {
    "RUN_WATCHDOG_INTERVAL_S": "1",
    "RUN_STALE_MIN_S": "3",
    "RUN_STALE_FACTOR": "5",
    "RUN_QUEUED_STALE_S": "3",
    "RUN_HEARTBEAT_S": "0.5",
    "RUN_MAX_ATTEMPTS": "3",
}


def missing(message: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def postgres(transactional_db):
    """The test database, which must be PostgreSQL (the worker subprocess shares it)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        missing("the fault tests need PostgreSQL: run them with DATABASE_URL=postgres://…")
    return connection.settings_dict


@pytest.fixture
def redis_server(tmp_path):
    try:
        server = RedisServer(tmp_path)
    except FileNotFoundError as error:
        missing(str(error))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def queue() -> str:
    return f"fault-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def worker_env(postgres, redis_server, queue):
    return {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": redis_server.url,
        "CELERY_QUEUE": queue,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "true",
        "LOG_LEVEL": "INFO",
        **FAST_WATCHDOG,
    }


@pytest.fixture
def make_worker(tmp_path, queue):
    """Start workers (``make_worker(env, name)``); every one is stopped at the end."""
    started: list[Worker] = []

    def make(env: dict, name: str = "worker") -> Worker:
        worker = Worker(env, queue, tmp_path, name)
        started.append(worker)
        worker.start()
        return worker

    yield make
    for worker in started:
        if worker.alive():
            worker.kill_group()  # nothing left to finish warmly: the test is over


@pytest.fixture
def sending(redis_server, queue):
    """This process sends runs to the test's own Redis."""
    with producer(redis_server.url, {"socket_connect_timeout": 2, "socket_timeout": 5}, queue):
        yield


@pytest.fixture
def db_proxy(postgres):
    """A TCP proxy in front of PostgreSQL: workers that connect through it lose the database when it stops."""
    proxy = TcpProxy(postgres["HOST"] or "127.0.0.1", int(postgres["PORT"] or 5432))
    proxy.start()
    yield proxy
    proxy.close()
