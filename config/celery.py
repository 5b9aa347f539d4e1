"""The Celery app. Settings come from Django settings prefixed ``CELERY_``.

Tasks take ids and call services; progress and results live in our own rows,
so there is no result backend.
"""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# one OpenBLAS thread per process, as in the CLI (simulation/__main__.py): the engine uses no BLAS
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _connections_checked(task=None, **kwargs) -> None:
    """Around each task on a worker, what Django does around each request: close a database connection that
    is unusable or older than ``CONN_MAX_AGE`` and health-check the others before their next use (Celery's
    Django fixup no longer closes them after every task: ``CELERY_DB_REUSE_MAX``). Not for a task run
    eagerly, inside its caller's own work (and perhaps its transaction)."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
