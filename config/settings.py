"""Settings: ONE module, read from the environment (django-environ).

Safe local defaults — SQLite under ``var/``, Celery's filesystem broker under
``var/broker`` — and PostgreSQL / Redis when ``DATABASE_URL`` /
``CELERY_BROKER_URL`` say so. Secrets have no production default: without
``SECRET_KEY`` the app refuses to start unless ``DEBUG`` is on. ``DEBUG`` is off
unless asked for (``make run`` and the tests ask); ``HTTPS=true`` turns on HSTS,
the HTTPS redirect and secure cookies (docs/web.md lists the production environment).
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)
_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = _DEV_SECRET_KEY
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- HTTPS: each setting follows HTTPS unless set on its own ----------------------------
HTTPS = env.bool("HTTPS", default=False)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # probes speak plain HTTP inside the cluster
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=HTTPS)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=HTTPS)
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):  # only behind a proxy that sets it
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; frame-src 'self'; frame-ancestors 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'"
)
DEFAULT_EXCEPTION_REPORTER_FILTER = "config.reporting.UrlPasswordFilter"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "planner",
    "workshop",
    "decisions",
    "api",
    "ninja",
    "drills",
    "axes",
]

MIDDLEWARE = [
    "planner.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "planner.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "planner.middleware.RequestLogMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# --- database ---------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'planner.sqlite3'}")}
_db = DATABASES["default"]
if "sqlite" in _db["ENGINE"]:
    # Wait for a writer instead of failing at once (web and worker share the file). The test
    # database is a file too, so that a Celery worker subprocess can open it. Test databases carry the
    # process id: several test runs may share one checkout.
    _db.setdefault("OPTIONS", {}).update(
        timeout=env.int("DB_LOCK_TIMEOUT_S", default=20),
        transaction_mode="IMMEDIATE",  # take the write lock at BEGIN: no "database is locked" on upgrade
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",  # readers never wait for a writer
    )
    _db["TEST"] = {"NAME": str(VAR_DIR / f"test-planner-{os.getpid()}.sqlite3")}
else:
    _db.setdefault("OPTIONS", {})["connect_timeout"] = env.int("DB_CONNECT_TIMEOUT_S", default=5)
    _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    _db["TEST"] = {"NAME": f"test_{_db['NAME']}_{os.getpid()}"}
_db["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache (rate limits): per process unless CACHE_URL names a shared one, e.g. redis:// ---
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# --- requests ---------------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_500_000  # bytes of form fields or body; a scenario document is at most 1 MB

# --- auth -------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "login"
# Failed logins (django-axes): after LOGIN_FAILURE_LIMIT failures for one user name, or from one address,
# that user name / address is refused with 429 for LOGIN_LOCKOUT_MINUTES.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "planner.selectors.client.client_address"
TRUSTED_PROXY_HOPS = env.int("TRUSTED_PROXY_HOPS", default=0)  # proxies in front that append X-Forwarded-For
# Password reset mails: at most PASSWORD_RESET_LIMIT requests per address and per e-mail an hour.
PASSWORD_RESET_LIMIT = env.int("PASSWORD_RESET_LIMIT", default=5)
PASSWORD_RESET_WINDOW_S = 3600
LOGIN_REDIRECT_URL = "workspace_list"
LOGOUT_REDIRECT_URL = "login"

# --- mail (password reset): printed to the console unless EMAIL_URL names a server ------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="planner@localhost")

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- static files (served by whitenoise; no CDN) --------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing folder

# --- uploaded and generated files (decision reports) ----------------------------------
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"  # never served directly: reports are downloaded through views that check access
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "config.storage.StaticStorage"},
}
# Hashed names (cached for a year by WhiteNoise) once `collectstatic` wrote the manifest: config/storage.py.
STATIC_MANIFEST = env.bool("STATIC_MANIFEST", default=not DEBUG)
WHITENOISE_KEEP_ONLY_HASHED_FILES = True  # pages link the hashed names; compressing the others too doubles the work

# --- Celery -----------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
BROKER_DIR = Path(env.str("BROKER_DIR", default=str(VAR_DIR / "broker")))
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _folder in ("queue", "processed", "control"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        "polling_interval": 0.1,  # a run is many small tasks (one a chunk): pick each up within 0.1 s, not 1 s
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5, "visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker outage never ends the worker: it reconnects forever, backing off 2, 4, 6 … up to 30 s between tries
# (kombu's schedule). A task running when the connection drops keeps running; its run's row is the record.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="planner")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker process keeps its database connection from task to task, as a web process does between requests
# (closed once unusable or older than CONN_MAX_AGE, health-checked before reuse: config/celery.py). Celery's
# Django fixup would otherwise close it after every task: a new connection cost a run's tasks 5-8 ms each, and
# the database a server process each. The fixup still closes it after this many tasks.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
# Engine processes kept warm for the workshop's quick runs (options moved together run in parallel); 0: in-process
WORKSHOP_WORKERS = env.int("WORKSHOP_WORKERS", default=2)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("RUN_SOFT_TIME_LIMIT_S", default=1800)
CELERY_TASK_TIME_LIMIT = env.int("RUN_TIME_LIMIT_S", default=1860)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# --- reliability: heartbeats and the watchdog (docs/web.md, "Reliability") -----------------
# Celery beat (started by `make run`) queues the watchdog every RUN_WATCHDOG_INTERVAL_S. A running run whose
# heartbeat is older than RUN_STALE_FACTOR x its measured chunk time (at least RUN_STALE_MIN_S) is re-queued,
# or failed with a message after RUN_MAX_ATTEMPTS tries; a queued run older than RUN_QUEUED_STALE_S while the
# queue is empty (its message was lost) is queued again. A run's database writes retry for DB_RETRY_WINDOW_S.
RUN_WATCHDOG_INTERVAL_S = env.float("RUN_WATCHDOG_INTERVAL_S", default=15.0)
RUN_STALE_FACTOR = env.float("RUN_STALE_FACTOR", default=10.0)
RUN_STALE_MIN_S = env.float("RUN_STALE_MIN_S", default=90.0)
RUN_QUEUED_STALE_S = env.float("RUN_QUEUED_STALE_S", default=60.0)
RUN_MAX_ATTEMPTS = env.int("RUN_MAX_ATTEMPTS", default=3)
RUN_HEARTBEAT_S = env.float("RUN_HEARTBEAT_S", default=10.0)  # while one long step (the finish) computes
DB_RETRY_WINDOW_S = env.float("DB_RETRY_WINDOW_S", default=30.0)
CELERY_BEAT_SCHEDULE = {
    "run-watchdog": {
        "task": "planner.run_watchdog",
        "schedule": RUN_WATCHDOG_INTERVAL_S,
        "options": {"expires": RUN_WATCHDOG_INTERVAL_S},  # a pass that waited that long is stale: skip it
    }
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- workshop: what it computes on request (workshop/budget.py, docs/web.md) -----------
WORKSHOP_MS_PER_REPLAY = env.float("WORKSHOP_MS_PER_REPLAY", default=0.35)  # calibrated on the 2-core CI machine
WORKSHOP_REQUEST_BUDGET_S = env.float("WORKSHOP_REQUEST_BUDGET_S", default=8.0)  # estimated seconds in a request
WORKSHOP_JOB_BUDGET_S = env.float("WORKSHOP_JOB_BUDGET_S", default=300.0)  # ... in a frontier job on the worker
WORKSHOP_JOB_TIME_LIMIT_S = env.int("WORKSHOP_JOB_TIME_LIMIT_S", default=600)  # a job is stopped after this
WORKSHOP_CONCURRENT_PER_ACTOR = env.int("WORKSHOP_CONCURRENT_PER_ACTOR", default=2)  # per user, per share link
WORKSHOP_CONCURRENT_PER_PROCESS = env.int("WORKSHOP_CONCURRENT_PER_PROCESS", default=1)  # more: more processes
WORKSHOP_PROCESS_WAIT_S = env.float("WORKSHOP_PROCESS_WAIT_S", default=5.0)  # for a turn, before 429
WORKSHOP_SLOT_TTL_S = env.int("WORKSHOP_SLOT_TTL_S", default=120)
WORKSHOP_RATE_PER_MINUTE = env.int("WORKSHOP_RATE_PER_MINUTE", default=90)

# --- health -----------------------------------------------------------------------------
# /readyz: each check may take READINESS_BUDGET_S (an outage, not a busy moment); probes within
# READINESS_CACHE_S of a check share its answer.
READINESS_BUDGET_S = env.float("READINESS_BUDGET_S", default=1.0)
READINESS_CACHE_S = env.float("READINESS_CACHE_S", default=1.0)

# --- runs -------------------------------------------------------------------------------
RUN_TRIAL_CHOICES = {"quick": 2_000, "full": 20_000}
API_RATE = env.str("API_RATE", default="120/m")  # requests per token (REST API)
NINJA_PAGINATION_MAX_LIMIT = 100
RUNS_ACTIVE_PER_WORKSPACE = env.int("RUNS_ACTIVE_PER_WORKSPACE", default=5)  # queued or running at once
EXAMPLES_DIR = BASE_DIR / "examples"

# --- logging: one JSON object per line, with the request id -----------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "planner.logs.RequestIdFilter"}},
    "formatters": {"json": {"()": "planner.logs.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
