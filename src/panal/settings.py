"""Panal settings, read once from the environment (see docs/settings.md).

Every setting has a default that works on a laptop with nothing installed:
SQLite in ./var, the database task backend, DEBUG on. Production sets
PANAL_SECRET_KEY, DATABASE_URL and PANAL_DEBUG=0; a placeholder secret is
refused when DEBUG is off.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("PANAL_DATA_DIR", Path.cwd() / "var"))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


PLACEHOLDER_SECRET = "panal-insecure-development-key-change-me"  # noqa: S105 - refused below
DEBUG = _env_bool("PANAL_DEBUG", True)
SECRET_KEY = os.environ.get("PANAL_SECRET_KEY", PLACEHOLDER_SECRET)
if not DEBUG and SECRET_KEY == PLACEHOLDER_SECRET:
    raise ImproperlyConfigured("PANAL_SECRET_KEY must be set when PANAL_DEBUG is off.")

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("PANAL_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("PANAL_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "panal.core",
    "panal.org",
    "panal.listening",
    "panal.channels",
    "panal.understanding",
    "panal.engagement",
    "panal.api",
    "panal.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "panal.org.middleware.UserLanguageMiddleware",
]

ROOT_URLCONF = "panal.urls"
WSGI_APPLICATION = "panal.wsgi.application"
ASGI_APPLICATION = "panal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "panal.org.context_processors.organisation",
                "panal.engagement.context_processors.notifications",
            ],
        },
    },
]

# --- database -------------------------------------------------------------
DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'panal.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web server read while the worker writes; IMMEDIATE avoids
        # lock upgrades that fail with "database is locked" under two writers.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 10,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: Panal's queries are short, and PostgreSQL JIT-compiles any
    # query whose estimated cost is high (an inbox page over 100,000 open cases), which
    # costs hundreds of milliseconds more than running it. A `jit` already set in the
    # URL's options wins.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    if "jit" not in options.get("options", ""):
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- background tasks -----------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
TASK_BACKEND = os.environ.get("PANAL_TASK_BACKEND", "rq" if REDIS_URL else "db")
INSTALLED_APPS += ["django_rq"]
RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0"}}
if TASK_BACKEND == "rq":
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
elif TASK_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- auth -----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "inbox"
LOGOUT_REDIRECT_URL = "login"

# --- i18n -----------------------------------------------------------------
LANGUAGE_CODE = os.environ.get("PANAL_LANGUAGE", "es")
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- static ---------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise serves from here after collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- security -------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("PANAL_MAX_REQUEST_BYTES", 32 * 1024 * 1024))

# --- Panal ----------------------------------------------------------------
# Largest mention text accepted, in characters; longer texts are refused with a clear error.
PANAL_MAX_TEXT_CHARS = int(os.environ.get("PANAL_MAX_TEXT_CHARS", 100_000))
# Mentions per ingest batch (one transaction, one pipeline task).
PANAL_INGEST_BATCH = int(os.environ.get("PANAL_INGEST_BATCH", 1000))
# Allowed clock skew for signed webhooks, in seconds (Standard Webhooks: 5 minutes).
PANAL_WEBHOOK_TOLERANCE = int(os.environ.get("PANAL_WEBHOOK_TOLERANCE", 300))
# Seconds between live inbox refreshes.
PANAL_INBOX_POLL_SECONDS = int(os.environ.get("PANAL_INBOX_POLL_SECONDS", 3))
# The address people reach Panal at, for links sent outside it (satisfaction surveys).
PANAL_PUBLIC_URL = os.environ.get("PANAL_PUBLIC_URL", "").rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PANAL_LOG_LEVEL", "WARNING")},
}
