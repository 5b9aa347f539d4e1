"""gunicorn's settings for `make serve` (scripts/serve.py), all from the environment.

WEB_CONCURRENCY: worker processes (default 2 × cores + 1); WEB_THREADS: threads per process (default 4:
a request mostly waits on the database); HOST / PORT: where to listen. Requests are logged by the app's
own middleware (one JSON line each), so gunicorn writes no access log.
"""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("WEB_TIMEOUT_S", "30"))  # a request longer than this is a bug: the worker is replaced
graceful_timeout = 10
keepalive = 5
max_requests = 2000  # recycle a process now and then, with jitter so they do not all restart at once
max_requests_jitter = 200
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
