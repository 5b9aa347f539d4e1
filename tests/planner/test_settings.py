"""One settings module read from the environment: safe local defaults, loud failure without secrets."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PRINT = ("import json, config.settings as s; d = s.DATABASES['default']; "
         "print(json.dumps({'engine': d['ENGINE'], 'options': d.get('OPTIONS', {}), "
         "'health': d['CONN_HEALTH_CHECKS'], 'broker': s.CELERY_BROKER_URL, "
         "'transport': s.CELERY_BROKER_TRANSPORT_OPTIONS, 'acks_late': s.CELERY_TASK_ACKS_LATE, "
         "'prefetch': s.CELERY_WORKER_PREFETCH_MULTIPLIER, 'serializer': s.CELERY_TASK_SERIALIZER, "
         "'secret': s.SECRET_KEY}))")


def _settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY",
                                                              "DEBUG")}
    return subprocess.run([sys.executable, "-c", PRINT], cwd=REPO, capture_output=True, text=True, timeout=60,
                          env={**clean, "VAR_DIR": str(tmp_path / "var"), **env})


def test_it_defaults_to_sqlite_and_the_filesystem_broker_with_its_folders(tmp_path):
    out = json.loads(_settings(tmp_path).stdout)
    assert out["engine"] == "django.db.backends.sqlite3" and out["health"] is True
    assert out["broker"] == "filesystem://"
    assert Path(out["transport"]["data_folder_in"]).is_dir() and Path(out["transport"]["processed_folder"]).is_dir()
    assert (out["acks_late"], out["prefetch"], out["serializer"]) == (True, 1, "json")


def test_it_uses_postgresql_with_a_connect_timeout_and_redis_when_told(tmp_path):
    result = _settings(tmp_path, DATABASE_URL="postgres://u@db.example:5432/planner",
                       CELERY_BROKER_URL="redis://cache.example:6379/0")
    out = json.loads(result.stdout)
    assert out["engine"] == "django.db.backends.postgresql" and out["options"]["connect_timeout"] == 5
    assert out["health"] is True and out["broker"] == "redis://cache.example:6379/0"
    assert out["transport"]["socket_connect_timeout"] == 2


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off(tmp_path):
    result = _settings(tmp_path, DEBUG="false")
    assert result.returncode != 0 and "SECRET_KEY must be set when DEBUG is off" in result.stderr
    out = json.loads(_settings(tmp_path, DEBUG="false", SECRET_KEY="s3cret-from-the-vault").stdout)
    assert out["secret"] == "s3cret-from-the-vault"
