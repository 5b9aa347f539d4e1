"""The Celery app. Settings come from Django settings prefixed ``CELERY_``.

Tasks take ids and call services; progress and results live in our own rows,
so there is no result backend.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# one OpenBLAS thread per process, as in the CLI (simulation/__main__.py): the engine uses no BLAS
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
