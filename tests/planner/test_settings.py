"""One settings module read from the environment: safe local defaults, loud failure without secrets."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PRINT = (
    "import json, config.settings as s; d = s.DATABASES['default']; "
    "print(json.dumps({'engine': d['ENGINE'], 'options': d.get('OPTIONS', {}), "
    "'health': d['CONN_HEALTH_CHECKS'], 'broker': s.CELERY_BROKER_URL, "
    "'transport': s.CELERY_BROKER_TRANSPORT_OPTIONS, 'acks_late': s.CELERY_TASK_ACKS_LATE, "
    "'prefetch': s.CELERY_WORKER_PREFETCH_MULTIPLIER, 'serializer': s.CELERY_TASK_SERIALIZER, "
    "'secret': s.SECRET_KEY, 'debug': s.DEBUG, 'https': [s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
    "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE], 'mail': s.EMAIL_BACKEND}))"
)


def _settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG")
    }
    return subprocess.run(
        [sys.executable, "-c", PRINT],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, "VAR_DIR": str(tmp_path / "var"), **env},
    )


def test_it_defaults_to_sqlite_and_the_filesystem_broker_with_its_folders(tmp_path):
    out = json.loads(_settings(tmp_path, DEBUG="true").stdout)
    assert out["engine"] == "django.db.backends.sqlite3" and out["health"] is True
    assert out["broker"] == "filesystem://"
    assert Path(out["transport"]["data_folder_in"]).is_dir() and Path(out["transport"]["processed_folder"]).is_dir()
    assert (out["acks_late"], out["prefetch"], out["serializer"]) == (True, 1, "json")


def test_it_uses_postgresql_with_a_connect_timeout_and_redis_when_told(tmp_path):
    result = _settings(
        tmp_path,
        DEBUG="true",
        DATABASE_URL="postgres://u@db.example:5432/planner",
        CELERY_BROKER_URL="redis://cache.example:6379/0",
    )
    out = json.loads(result.stdout)
    assert out["engine"] == "django.db.backends.postgresql" and out["options"]["connect_timeout"] == 5
    assert out["health"] is True and out["broker"] == "redis://cache.example:6379/0"
    assert out["transport"]["socket_connect_timeout"] == 2


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off(tmp_path):
    result = _settings(tmp_path, DEBUG="false")
    assert result.returncode != 0 and "SECRET_KEY must be set when DEBUG is off" in result.stderr
    out = json.loads(_settings(tmp_path, DEBUG="false", SECRET_KEY="s3cret-from-the-vault").stdout)
    assert out["secret"] == "s3cret-from-the-vault"


def _production_environment() -> dict:
    """The environment docs/web.md lists under "Production environment" (a fresh secret key for $(…))."""
    text = (REPO / "docs" / "web.md").read_text(encoding="utf-8")
    block = text.split("### Production environment", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    pairs = dict(line.split("=", 1) for line in block.splitlines() if line.strip())
    return {key: secrets.token_urlsafe(50) if value.startswith("$(") else value for key, value in pairs.items()}


def test_it_runs_with_debug_off_unless_asked(tmp_path):
    assert json.loads(_settings(tmp_path, SECRET_KEY="k" * 60).stdout)["debug"] is False
    assert json.loads(_settings(tmp_path, DEBUG="true").stdout)["debug"] is True


def test_it_prints_password_reset_mails_on_the_console_unless_a_mail_server_is_set(tmp_path):
    assert json.loads(_settings(tmp_path, DEBUG="true").stdout)["mail"].endswith("console.EmailBackend")
    out = json.loads(_settings(tmp_path, DEBUG="true", EMAIL_URL="smtp+tls://u:p@smtp.example:587").stdout)
    assert out["mail"].endswith("smtp.EmailBackend")


def test_it_passes_check_deploy_without_a_warning_under_the_documented_production_environment(tmp_path):
    env = _production_environment()
    assert env["HTTPS"] == "true" and env["DEBUG"] == "false"
    # the browser tests' conftest allows Django's ORM from async code for the live server; production does not
    test_only = {"DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in env and k not in test_only}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, "VAR_DIR": str(tmp_path / "var"), **env},
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_it_sends_hsts_and_redirects_to_https_when_https_is_on(tmp_path):
    out = json.loads(_settings(tmp_path, DEBUG="true", HTTPS="true").stdout)
    assert out["https"] == [True, 31_536_000, True, True]
    assert json.loads(_settings(tmp_path, DEBUG="true").stdout)["https"] == [False, 0, False, False]


def test_it_masks_passwords_in_urls_in_error_reports(rf, settings):
    from django.views.debug import get_default_exception_reporter_filter

    settings.CELERY_BROKER_URL = "redis://:broker-pw@cache.example:6379/0"
    request = rf.get("/", DATABASE_URL="postgres://planner:db-pw@db.example/planner")
    reporter_filter = get_default_exception_reporter_filter()
    shown = str(reporter_filter.get_safe_settings()) + str(reporter_filter.get_safe_request_meta(request))
    assert "broker-pw" not in shown and "db-pw" not in shown
    assert "redis://:********************@cache.example:6379/0" in shown
