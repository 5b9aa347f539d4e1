"""The Celery app. Settings come from Django settings prefixed ``CELERY_``.

Tasks take ids and call services; progress and results live in our own rows,
so there is no result backend.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
