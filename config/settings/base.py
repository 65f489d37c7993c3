"""Settings shared by every environment, read from the environment (12-factor).

Environment variables:
  DATABASE_URL   default: a SQLite file under var/ (zero-setup for `make run`)
  REDIS_URL      absent: Celery runs tasks eagerly in-process and the cache is local memory;
                 present: Redis is the Celery broker, result backend and the cache
  SECRET_KEY     required in production
  ALLOWED_HOSTS  comma separated
  EMAIL_URL      e.g. smtp+tls://user:pass@smtp.example.com:587 (production); console locally
  DEFAULT_FROM_EMAIL, TIME_ZONE, STORE_CURRENCY
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()


def database_from_env(default: str) -> dict:
    """Parse DATABASE_URL, turning a malformed value into one clear line."""
    url = env.str("DATABASE_URL", default=default)
    scheme = url.split("://", 1)[0]
    if scheme not in environ.Env.DB_SCHEMES:
        raise ImproperlyConfigured(
            f"DATABASE_URL={url!r} has an unknown scheme {scheme!r}. "
            "Use e.g. postgres://user@127.0.0.1:5432/csr or sqlite:///var/db.sqlite3."
        )
    try:
        config = environ.Env.db_url_config(url)
    except Exception as exc:  # environ raises a bare ImproperlyConfigured/KeyError
        raise ImproperlyConfigured(
            f"DATABASE_URL={url!r} is not a database URL ({exc}). "
            "Use e.g. postgres://user@127.0.0.1:5432/csr or sqlite:///var/db.sqlite3."
        ) from None
    if not config.get("ENGINE"):
        raise ImproperlyConfigured(
            f"DATABASE_URL={url!r} names no supported database. Use postgres:// or sqlite:///."
        )
    if config["ENGINE"] == "django.db.backends.postgresql":
        config["ENGINE"] = "core.postgresql"  # Django's, with timestamps parsed in C (see there)
    config["ATOMIC_REQUESTS"] = False
    # A connection per request unless DB_CONN_MAX_AGE says otherwise: runserver starts a thread
    # per request, which persistent connections would leak. Production keeps them (a new
    # PostgreSQL backend costs more CPU than most requests: production.py).
    config.setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=0))
    config["CONN_HEALTH_CHECKS"] = True
    return config


DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_countries",
    "import_export",
    "axes",
    "csp",
    "core",
    "customers",
    "catalog",
    "pricing",
    "orders",
    "fulfillment",
    "returns",
    "auctions",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.CurrentRequestMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.SessionIdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.LoginRequiredMiddleware",
    # Last: turns a lockout flagged during the request into the "locked out" answer.
    "axes.middleware.AxesMiddleware",
]

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
                "core.context_processors.desk",
            ],
        },
    },
]

DATABASES = {"default": database_from_env(f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# AxesStandaloneBackend first: a locked-out user or address is refused before any password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "core.auth.CachedPermissionsBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# --- logins, lockout and sessions (hardening) -------------------------------------------------
# django-axes counts failed logins: /login/, the admin login, POST /api/v1/auth/token/ and the
# supervisor credentials of an over-limit adjustment. AXES_FAILURE_LIMIT failures for one user
# name, or from one address, lock it for AXES_COOLOFF_MINUTES; supervisors and store admins
# unlock earlier on /security/. Behind a proxy, set AXES_IPWARE_PROXY_COUNT.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "core.views.locked_out"
AXES_VERBOSE = False
# Counted in the cache, not the database: the supervisor check runs inside the adjustment's
# transaction, and a refused adjustment rolls back, which would take a database count with it.
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
# Shared call-center desks: a session ends after SESSION_IDLE_TIMEOUT_MINUTES without a request
# (core.middleware), when the browser closes, and at the latest after a 12-hour shift.
SESSION_IDLE_TIMEOUT_MINUTES = env.int("SESSION_IDLE_TIMEOUT_MINUTES", default=30)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = 12 * 3600
# Content-Security-Policy (django-csp): scripts and styles only from our static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="America/Toronto")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- the store -------------------------------------------------------------------------------
STORE_NAME = env.str("STORE_NAME", default="Northwind Stationery")
STORE_CURRENCY = env.str("STORE_CURRENCY", default="CAD")
STORE_COUNTRY = env.str("STORE_COUNTRY", default="CA")
# The countries a cart may ship or bill to (ISO codes, comma separated).
STORE_COUNTRIES = env.list("STORE_COUNTRIES", default=["CA", "US"])
# Demo logins are for `make run` only; production refuses this password (core.auth).
DEMO_PASSWORD = "demo-desk-2026"
DEMO_DATA_ALLOWED = True

# --- payments --------------------------------------------------------------------------------
# The card gateway adapter (core/payments.py): the deterministic sandbox and its test cards
# until a real adapter is written and named here.
PAYMENT_GATEWAY = "core.payments.SandboxGateway"

# --- e-mail ----------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="orders@example.com")
# Where links in e-mails point (a customer's "choose a new password" link).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Redis, cache and Celery -----------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "core.cache.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://localhost/"  # with a host: kombu warns without one
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True  # the embedded default: tasks run in-process
CELERY_TASK_EAGER_PROPAGATES = True
# Without Redis (make run, one process) the local-memory cache counts failed logins correctly;
# production with several workers needs Redis, and there the check stays on (production.py).
SILENCED_SYSTEM_CHECKS = [] if REDIS_URL else ["axes.W001"]
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The order search's covering index (INCLUDE customer) is PostgreSQL's; SQLite builds the
    # same index without the extra column, which is all `make run` needs.
    SILENCED_SYSTEM_CHECKS += ["models.W040"]
# Sessions are read on every request: from the cache first (Redis when there is one), the
# database only on a miss, so a cart change costs no session query.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# A task is acknowledged when it ends, not when it starts: a worker killed mid-task (kill -9,
# a lost machine) leaves the message in Redis, and another worker runs the task again. Every
# task is idempotent, so running one twice is safe. A worker process that dies under a living
# worker is requeued at once (reject_on_worker_lost); a message whose whole worker is gone
# comes back after the broker's visibility timeout, which therefore must be longer than the
# longest task (the release job over a large backlog), or Redis would hand a task that is
# still running to a second worker; two hours leaves room for the longest job.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
# A job run (core.jobs) records a heartbeat per batch; one silent this many minutes died with
# its process and shows as interrupted on the operations screen, and the next run says that it
# resumed after it. Far longer than one batch takes (seconds).
JOB_HEARTBEAT_TIMEOUT = env.int("JOB_HEARTBEAT_TIMEOUT", default=10)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Beat schedule: every entry is an idempotent task that calls one service. Apps add theirs here.
CELERY_BEAT_SCHEDULE: dict = {}
# fulfillment: release the stock held by cart lines older than "allocation good for".
CELERY_BEAT_SCHEDULE["fulfillment-sweep-stale-allocations"] = {
    "task": "fulfillment.sweep_stale_allocations",
    "schedule": 300.0,
}
# orders: finish submits whose process died between the gateway and placing the order.
CELERY_BEAT_SCHEDULE["orders-resume-interrupted-submits"] = {
    "task": "orders.resume_interrupted_submits",
    "schedule": 120.0,
}
# fulfillment: release accepted orders to the centers ("Time to release orders for store").
CELERY_BEAT_SCHEDULE["fulfillment-release-orders"] = {
    "task": "fulfillment.release_orders",
    "schedule": 600.0,
}
# catalog: stored product states follow scheduled launch/discontinue dates (display only).
CELERY_BEAT_SCHEDULE["catalog-refresh-product-states"] = {
    "task": "catalog.refresh_product_states",
    "schedule": 900.0,
}
# orders: expire quotes past their date (stock and promotion uses go back), remind a day before.
CELERY_BEAT_SCHEDULE["orders-expire-quotes"] = {"task": "orders.expire_quotes", "schedule": 900.0}
# auctions: close due auctions and place their winners' orders.
CELERY_BEAT_SCHEDULE["auctions-close"] = {"task": "auctions.close_due_auctions", "schedule": 60.0}
# returns: approved returns whose goods never arrived expire (the days are the return policy's).
CELERY_BEAT_SCHEDULE["returns-expire"] = {"task": "returns.expire_returns", "schedule": 86400.0}
# returns: finish refunds left "refunding" by a worker that died mid-refund.
CELERY_BEAT_SCHEDULE["returns-recover-refunds"] = {
    "task": "returns.recover_stuck_refunds",
    "schedule": 300.0,
}
# returns: a refund "refunding" this long without a change was left by a dead worker.
RETURNS_REFUND_STUCK_MINUTES = env.int("RETURNS_REFUND_STUCK_MINUTES", default=15)
# fulfillment: default "allocation good for" (minutes) until a store admin sets it in the admin.
# A cart opened (screen or API) longer than this after it was last priced is priced again:
# schedules, coupon expiries and limits reached by other orders move prices without a cart
# change. A rule change reprices it on the next open whatever its age (the rules version).
CART_REPRICE_AFTER_SECONDS = env.int("CART_REPRICE_AFTER_SECONDS", default=60)
FULFILLMENT_ALLOCATION_GOOD_FOR_MINUTES = env.int(
    "FULFILLMENT_ALLOCATION_GOOD_FOR_MINUTES", default=120
)

# orders: quotes. Days a quote holds its prices and stock by default, the most a CSR and a
# supervisor may give, and the most units of one SKU all open quotes may hold together.
QUOTES_DEFAULT_DAYS = env.int("QUOTES_DEFAULT_DAYS", default=7)
QUOTES_MAX_DAYS_CSR = env.int("QUOTES_MAX_DAYS_CSR", default=14)
QUOTES_MAX_DAYS_SUPERVISOR = env.int("QUOTES_MAX_DAYS_SUPERVISOR", default=30)
QUOTES_HOLD_CAP_PER_SKU = env.int("QUOTES_HOLD_CAP_PER_SKU", default=20)

# --- API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: an anonymous request gets 401 with `WWW-Authenticate: Token`, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Per user (or address, when anonymous); `login` is POST /api/v1/auth/token/.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "user": env.str("API_THROTTLE_USER", default="1200/minute"),
        "login": env.str("API_THROTTLE_LOGIN", default="10/minute"),
    },
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CSR Order Entry API",
    "DESCRIPTION": "Carts, orders, customers, catalog and pricing for the CSR desk.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Several models have a `status` with its own choices: each enum gets its model's name.
    "ENUM_NAME_OVERRIDES": {
        "QuoteStatusEnum": "orders.models.QuoteStatus",
        "CouponStatusEnum": "pricing.models.Coupon.Status",
    },
    # Every operation documents the error body of core.api for the failures any can answer with.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.add_error_responses",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # one line per task run is noise at the desk's default level (a worker logs its own)
        "celery.app.trace": {"level": "WARNING"},
    },
}
