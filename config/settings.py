"""Django settings for Bookbridge.

Everything that differs between environments comes from the environment (or a `.env` file
beside manage.py); `.env.example` documents each variable.
"""

import datetime as dt
from pathlib import Path

import environ
from csp import constants as csp_constants
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # values already in the environment win

DEBUG = env.bool("DEBUG", default=False)

# Only ever used with DEBUG on, so a leaked development database is all it could unlock.
_DEVELOPMENT_SECRET_KEY = "insecure-development-key-never-use-in-production"

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = _DEVELOPMENT_SECRET_KEY

# Comma-separated Fernet keys: the first encrypts, all of them decrypt (see docs/secrets.md).
FIELD_ENCRYPTION_KEY = env.list("FIELD_ENCRYPTION_KEY", default=[])
if not FIELD_ENCRYPTION_KEY and not DEBUG:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "oauth2_provider",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "rangefilter",
    "axes",
    "csp",
    "config.apps.ProjectConfig",
    # Before django_q: its `qcluster` command is ours, which stops in order (README, Deploying).
    "common",
    "django_q",
    "bookings",
    "errors",
    "syncconnections",
    "cancellations",
    "accounts_pms",
    "backoffice",
    "api",
    "sandbox",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "common.middleware.PermissionsPolicy",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "common.middleware.DropUnusableAdminFilters",
    "api.audit.AuditClientWrites",
    # Last, as django-axes asks: it answers a locked-out sign-in (docs/security.md).
    "axes.middleware.AxesMiddleware",
]

# Sign-in: failed attempts are counted per account and per address (either one locks), and
# a locked sign-in is refused with a clear message until the cool-off ends or an
# integration admin unlocks it (admin, "Access attempts"). docs/security.md.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("SIGN_IN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("SIGN_IN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "backoffice.sign_in.locked_out"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
SIGN_IN_FAILURES_KEPT_DAYS = env.int("SIGN_IN_FAILURES_KEPT_DAYS", default=90)
AXES_VERBOSE = False
# Behind a proxy every request comes from the proxy's address: its X-Forwarded-For is
# trusted only when said so (the address counted is then the one the proxy saw).
AXES_CLIENT_IP_CALLABLE = "common.middleware.client_address"

# A Content-Security-Policy on every page: scripts only from this site (our templates have
# no inline script; a third-party template's inline script carries the request's nonce),
# styles from this site and inline (our pages' <style> blocks and style attributes).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", csp_constants.NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Browser features no page of Bookbridge uses, turned off for all of them.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)
TRUST_X_FORWARDED_FOR = env.bool("TRUST_X_FORWARDED_FOR", default=False)

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Behind a pooler in transaction mode (PgBouncer), a server-side cursor outlives the
# transaction its connection was lent for: turn them off (docs/deployment.md).
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
    "DISABLE_SERVER_SIDE_CURSORS", default=False
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process, the task cluster and the sandbox share one file: wait for locks
    # instead of failing, and take the write lock at BEGIN so readers never deadlock.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file, not memory, so that a task cluster started by a test shares the test database;
    # named after the database file (db.sqlite3 → test-db.sqlite3), so that test runs on
    # different DATABASE_URLs on one machine keep to their own files.
    _sqlite_name = Path(DATABASES["default"]["NAME"] or "db.sqlite3")
    if str(_sqlite_name) == ":memory:" or not _sqlite_name.is_absolute():
        _sqlite_name = BASE_DIR / "db.sqlite3"
    DATABASES["default"]["TEST"] = {
        "NAME": str(_sqlite_name.with_name(f"test-{_sqlite_name.name}"))
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Shared between processes so that the web process can see the task cluster's heartbeat.
    "taskq": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "bookbridge_taskq_cache",
    },
    # Request counts of the API's rate limit.
    "api": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "api"},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Amsterdam")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# E-mail (failure digests). The console backend prints mails during development.
globals().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="bookbridge@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Where Microsoft Graph reaches our webhooks, and where links in e-mails point.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Microsoft Graph endpoints; the sandbox replaces both during development and tests.
GRAPH_API_ROOT = env.str("GRAPH_API_ROOT", default="https://graph.microsoft.com").rstrip("/")
GRAPH_AUTHORITY_HOST = env.str(
    "GRAPH_AUTHORITY_HOST", default="https://login.microsoftonline.com"
).rstrip("/")
GRAPH_CA_BUNDLE = env.str("GRAPH_CA_BUNDLE", default="") or None

# Google Workspace: the Calendar and Directory APIs' root, the service accounts' token
# endpoint, and the CA bundle trusted for both (default: the Graph one: the sandbox serves all
# three in development).
GOOGLE_API_ROOT = env.str("GOOGLE_API_ROOT", default="https://www.googleapis.com").rstrip("/")
GOOGLE_TOKEN_URI = env.str("GOOGLE_TOKEN_URI", default="https://oauth2.googleapis.com/token")
GOOGLE_CA_BUNDLE = env.str("GOOGLE_CA_BUNDLE", default="") or GRAPH_CA_BUNDLE

# StayNTouch Rover: the CA bundle trusted for its hosts (default: the Graph one, as both are
# the sandbox in development) and the path of the undocumented charges call.
ROVER_CA_BUNDLE = env.str("ROVER_CA_BUNDLE", default="") or GRAPH_CA_BUNDLE
ROVER_CHARGES_PATH = env.str("ROVER_CHARGES_PATH", default="")

# Inbound sync reads Outlook calendars over a rolling window around today.
SYNC_WINDOW_DAYS_BACK = env.int("SYNC_WINDOW_DAYS_BACK", default=30)
SYNC_WINDOW_DAYS_AHEAD = env.int("SYNC_WINDOW_DAYS_AHEAD", default=365)
# Calendars a task worker syncs down at once (threads, each with its own database
# connection): most of a sync is waiting on Graph (docs/architecture.md).
SYNC_DOWN_THREADS = env.int("SYNC_DOWN_THREADS", default=4)

# The most occurrences a series booked from a pattern may have (a tenant's default "max
# occurrences" in the source documents; a tenant may sync fewer).
MAX_SERIES_OCCURRENCES = env.int("MAX_SERIES_OCCURRENCES", default=180)

# The local stand-in for Microsoft Graph and Rover (`manage.py run_sandbox`).
SANDBOX_ORIGIN = env.str("SANDBOX_ORIGIN", default="https://127.0.0.1:8443").rstrip("/")

# Task queue: django-q2 on the ORM broker, in the default database. A task that runs longer
# than `timeout` is killed; one not acknowledged within `retry` is handed out again, so a
# killed worker's job is not lost. `retry` must stay above `timeout`.
Q_CLUSTER = {
    "name": "bookbridge",
    "orm": "default",
    # Four: a worker waits on Graph most of its time, and with two a busy Outlook and the
    # back office's bookings waited on each other (docs/benchmarks.md, freshness).
    "workers": env.int("TASK_WORKERS", default=4),
    "timeout": env.int("TASK_TIMEOUT", default=300),
    "retry": env.int("TASK_RETRY", default=360),
    "max_attempts": 5,
    "catch_up": False,
    "ack_failures": True,
    "save_limit": 1000,
    "cache": "taskq",
    "poll": 0.5,
    "label": "Task queue",
}

# The REST API (docs/api.md): an API client's bearer token (or the admin's session), the
# admin's model permissions, one error shape, and at most API_RATE_LIMIT requests per user
# (e.g. "600/minute", counted per web process; empty: no limit).
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="600/minute") or None
# API clients get bearer tokens at /api/oauth/token/ (OAuth2 client credentials) from
# django-oauth-toolkit: secrets hashed, tokens stored only as their SHA-256 (RFC 9700), each
# valid API_TOKEN_SECONDS; at most API_TOKEN_RATE_LIMIT token requests per address.
API_TOKEN_SECONDS = env.int("API_TOKEN_SECONDS", default=3600)
API_TOKEN_RATE_LIMIT = env.str("API_TOKEN_RATE_LIMIT", default="30/minute") or None
# The API audit log keeps entries this long (api.tasks.purge_api_audit, daily).
API_AUDIT_KEPT_DAYS = env.int("API_AUDIT_KEPT_DAYS", default=365)
OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": API_TOKEN_SECONDS,
    # RFC 9700 (the OAuth security BCP) throughout: tokens stored as checksums, accepted in
    # the Authorization header only (never a query string, which logs keep), and the flows
    # for people (implicit, password) off; only client credentials is served anyway.
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "OAUTH2_VALIDATOR_CLASS": "api.oauth.Validator",
    "SCOPES": {"api": "The API, with the permissions of the client's role"},
    "DEFAULT_SCOPES": ["api"],
}
# Named, as Django asks of a swappable model that others refer to (api.ApiClient does).
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"

REST_FRAMEWORK = {
    # The bearer token first: its scheme goes in WWW-Authenticate, which makes a refusal a
    # 401. The session serves the browsable API and /api/docs/ for signed-in staff.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ModelPermissions"],
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.UserRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Bookbridge API",
    "DESCRIPTION": "Reservations, Microsoft 365 sync connections and their errors, the "
    "company log, cancellation requests and the StayNTouch Rover PMS. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAdminUser"],
    "SCHEMA_PATH_PREFIX": "/api/",
    # Request and response bodies apart, so read-only fields are not asked for as input.
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from our own static files (drf-spectacular-sidecar): no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have an "operation" or a "state": name each set of choices.
    "ENUM_NAME_OVERRIDES": {
        "ReservationStatusEnum": "bookings.models.ReservationStatus",
        "DirectionEnum": "bookings.models.Direction",
        "UserTypeEnum": "syncconnections.models.UserType",
        "SyncErrorOperationEnum": "errors.models.Operation",
        "LogOperationEnum": "syncconnections.models.LogOperation",
        "DecisionEnum": "cancellations.models.Decision",
        "PmsOperationEnum": "accounts_pms.models.PmsOperation",
        "CalloutStateEnum": "accounts_pms.models.CalloutState",
    },
}

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "plain",
        },
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["stdout"], "level": LOG_LEVEL, "propagate": False},
        "django-q": {"handlers": ["stdout"], "level": LOG_LEVEL, "propagate": False},
    },
}

# Production hardening: on whenever DEBUG is off (`manage.py check --deploy` is clean).
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
    if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
