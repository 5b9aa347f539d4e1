"""A real Celery worker subprocess for tests, and this process's Celery app pointed at it.

Used by the planner's worker tests and the browser tests. The worker uses the
test database; it is always stopped: TERM to its process group, a bounded
wait, then KILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import kombu.pools

REPO = Path(__file__).resolve().parents[1]
STOP_WAIT_S = 10


def worker_database_url() -> str:
    """The URL of the database the tests run on (the test database), for the worker."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def filesystem_broker(folder: Path) -> dict:
    """Create a private filesystem broker under ``folder``; its transport options."""
    for name in ("queue", "processed", "control"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }


@contextmanager
def worker(env: dict, queue: str, log_path: Path, node: str = ""):
    """A prefork worker (one child) consuming ``queue``, its output in ``log_path``; ``node`` tells two apart."""
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--loglevel=INFO",
        "--concurrency=1",
        "-Q",
        queue,
        "-n",
        f"{queue}{node}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    """TERM the worker's process group, wait a bounded time, then KILL it."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_WAIT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_WAIT_S)


@contextmanager
def producer(broker_url: str, transport_options: dict, queue: str):
    """Point this process's Celery app at the test broker and queue (not eager); restore it afterwards.

    Celery reads the ``CELERY_BROKER_URL`` environment variable before its configuration, so that changes too.
    """
    from config.celery import app

    keys = ("broker_url", "broker_transport_options", "task_default_queue", "task_always_eager")
    saved = {k: app.conf[k] for k in keys}
    saved_env = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = broker_url
    app.conf.update(
        broker_url=broker_url,
        broker_transport_options=transport_options,
        task_default_queue=queue,
        task_always_eager=False,
    )
    app._pool = None  # connections and producers are cached per broker
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env
        app.conf.update(saved)
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None
        kombu.pools.reset()  # kombu keeps producer pools per broker URL too: the next test starts afresh


@contextmanager
def filesystem_worker(folder: Path, log_path: Path, prefix: str, **extra_env: str):
    """A worker on a private filesystem broker under ``folder``, and this process's app sending to it."""
    options = filesystem_broker(folder / "broker")
    queue = f"{prefix}-{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": "filesystem://",
        "BROKER_DIR": str(folder / "broker"),
        "CELERY_QUEUE": queue,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **extra_env,
    }
    with worker(env, queue, log_path) as process, producer("filesystem://", options, queue):
        yield process
