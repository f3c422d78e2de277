"""Django settings. Everything a deployment changes comes from the environment."""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from app.databases import build_databases
from app.modules import contract_only_modules, discover_modules
from app.topology import TopologyError, load_topology

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me" if DEBUG else "")
if not SECRET_KEY:
    raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0")
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

MODULES = discover_modules()
try:
    TOPOLOGY = load_topology(
        path=Path(os.environ.get("TOPOLOGY_FILE", BASE_DIR / "topology.toml")),
        modules=[spec.name for spec in MODULES],
        service=os.environ.get("SERVICE") or None,  # unset: the topology's default_service, else monolith
        contract_only=contract_only_modules(),
    )
except TopologyError as error:
    raise ImproperlyConfigured(f"broken topology: {error}") from None
SERVICE = TOPOLOGY.current.name
# Every module's code is installed everywhere (so contracts, subscriptions and the combined API
# document are known), but only the modules this service hosts get a database, bound facades,
# mounted routes, relays and workers. Touching a module hosted elsewhere fails loudly: its
# database alias does not exist here.
HOSTED_MODULES = TOPOLOGY.hosted
# Service-to-service calls (internal contract endpoints) authenticate with this shared secret.
INTERNAL_API_TOKEN = os.environ.get("INTERNAL_API_TOKEN", "dev-internal-token" if DEBUG else "")
# Identity: RS256 access tokens. The signing key comes from JWT_PRIVATE_KEY (PEM) or the file
# JWT_PRIVATE_KEY_FILE; in development that file is generated on first use (git-ignored).
JWT_PRIVATE_KEY = os.environ.get("JWT_PRIVATE_KEY", "")
JWT_PRIVATE_KEY_FILE = os.environ.get("JWT_PRIVATE_KEY_FILE", str(VAR_DIR / "keys" / "jwt-dev-private.pem"))
JWT_GENERATE_DEV_KEY = os.environ.get("JWT_GENERATE_DEV_KEY", "1" if DEBUG else "0") == "1"
JWT_ISSUER = os.environ.get("JWT_ISSUER", "modular-monolith")
JWT_AUDIENCE = os.environ.get("JWT_AUDIENCE", "modular-monolith-api")
JWT_ACCESS_TTL = int(os.environ.get("JWT_ACCESS_TTL", "900"))  # seconds; re-login when it expires
JWT_LEEWAY = int(os.environ.get("JWT_LEEWAY", "5"))  # seconds of clock skew tolerated
# Calls to other services (remote contracts and the gateway): see app/resilience.py.
REMOTE_TIMEOUT = float(os.environ.get("REMOTE_TIMEOUT", "2.0"))
REMOTE_ATTEMPTS = int(os.environ.get("REMOTE_ATTEMPTS", "3"))
REMOTE_BREAKER_FAILURES = int(os.environ.get("REMOTE_BREAKER_FAILURES", "5"))
REMOTE_BREAKER_RESET = float(os.environ.get("REMOTE_BREAKER_RESET", "10"))
# Calls to systems outside ours (app/outbound.py): a resilience policy per target.
OUTBOUND_TARGETS = {
    "payment-provider": {
        "timeout": float(os.environ.get("PAYMENT_PROVIDER_TIMEOUT", "2.0")),
        "attempts": int(os.environ.get("PAYMENT_PROVIDER_ATTEMPTS", "3")),
        "failures_to_open": int(os.environ.get("PAYMENT_PROVIDER_BREAKER_FAILURES", "5")),
        "reset_after": float(os.environ.get("PAYMENT_PROVIDER_BREAKER_RESET", "10")),
    },
}
# The payment provider payments talks to (`make run` starts the fake one: scripts/fake_payment_provider.py).
PAYMENT_PROVIDER_URL = os.environ.get("PAYMENT_PROVIDER_URL", "http://127.0.0.1:8010")
# Payments' provider operations still owed are retried by the job `payments.process_due`, every
# PAYMENTS_JOB_INTERVAL s, with backoff doubling from PAYMENTS_RETRY_INITIAL up to PAYMENTS_RETRY_MAX s.
PAYMENTS_JOB_INTERVAL = float(os.environ.get("PAYMENTS_JOB_INTERVAL", "1.0"))
PAYMENTS_JOB_BATCH = int(os.environ.get("PAYMENTS_JOB_BATCH", "50"))
PAYMENTS_JOB_BUDGET = float(os.environ.get("PAYMENTS_JOB_BUDGET", "5.0"))  # seconds; the rest waits a run
PAYMENTS_RETRY_INITIAL = float(os.environ.get("PAYMENTS_RETRY_INITIAL", "1.0"))
PAYMENTS_RETRY_MAX = float(os.environ.get("PAYMENTS_RETRY_MAX", "60"))
# How long a processor holds a payment while calling the provider: longer than one whole call
# (timeout x attempts + backoff), or another process could call again before the first is done.
PAYMENTS_LEASE_SECONDS = float(os.environ.get("PAYMENTS_LEASE_SECONDS", "60"))
# After voiding an authorization whose answer never came (a timeout), look at the provider once
# more this much later, in case the request it timed out on was processed late.
PAYMENTS_VOID_RECHECK_AFTER = float(os.environ.get("PAYMENTS_VOID_RECHECK_AFTER", "60"))

INSTALLED_APPS = [
    "app.apps.PlatformConfig",  # first, so its `migrate` (every database) wins
    "app.events.apps.EventsConfig",
    "app.idempotency.apps.IdempotencyConfig",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    *(spec.package for spec in MODULES),
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "app.identity.auth.PrincipalMiddleware",
    "app.idempotency.middleware.IdempotencyMiddleware",  # Idempotency-Key on modules' unsafe routes
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "app.urls"
WSGI_APPLICATION = "app.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

DATABASES = build_databases(aliases=HOSTED_MODULES, env=os.environ, sqlite_dir=VAR_DIR / "db", service=SERVICE)
DATABASE_ROUTERS = ["app.db_router.ModuleDatabaseRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Events (see app/events and the README's "Delivery guarantees")
EVENTS_TRANSPORT = os.environ.get("EVENTS_TRANSPORT", "inprocess")  # or "celery"
EVENTS_MAX_ATTEMPTS = int(os.environ.get("EVENTS_MAX_ATTEMPTS", "5"))
EVENTS_RETRY_BACKOFF = float(os.environ.get("EVENTS_RETRY_BACKOFF", "1.0"))  # seconds, doubled per attempt
EVENTS_RETRY_BACKOFF_MAX = float(os.environ.get("EVENTS_RETRY_BACKOFF_MAX", "30.0"))
EVENTS_LEASE_SECONDS = float(os.environ.get("EVENTS_LEASE_SECONDS", "30"))
EVENTS_BATCH_SIZE = int(os.environ.get("EVENTS_BATCH_SIZE", "100"))
EVENTS_POLL_INTERVAL = float(os.environ.get("EVENTS_POLL_INTERVAL", "1.0"))
EVENTS_RETENTION_DAYS = float(os.environ.get("EVENTS_RETENTION_DAYS", "7"))
# Deliver right after commit in the committing thread (the in-process default); the relay
# thread in the web process and `manage.py relay` pick up whatever that misses.
EVENTS_RELAY_INLINE = os.environ.get("EVENTS_RELAY_INLINE", "1" if EVENTS_TRANSPORT == "inprocess" else "0") == "1"
EVENTS_RELAY_IN_WEB = os.environ.get("EVENTS_RELAY_IN_WEB", "1") == "1"

# The order saga (modules/orders): how long a step may go unanswered before it is asked again
# (seconds), how often, and how long a payment queued at an unreachable provider may wait.
SAGA_STEP_TIMEOUT = float(os.environ.get("SAGA_STEP_TIMEOUT", "30"))
SAGA_QUEUED_TIMEOUT = float(os.environ.get("SAGA_QUEUED_TIMEOUT", "900"))
SAGA_MAX_RESENDS = int(os.environ.get("SAGA_MAX_RESENDS", "3"))
SAGA_SWEEP_INTERVAL = float(os.environ.get("SAGA_SWEEP_INTERVAL", "1.0"))

# Idempotency-Key (app/idempotency): how long a key's response is replayed, in seconds.
IDEMPOTENCY_KEY_TTL = int(os.environ.get("IDEMPOTENCY_KEY_TTL", "86400"))
IDEMPOTENCY_PURGE_INTERVAL = float(os.environ.get("IDEMPOTENCY_PURGE_INTERVAL", "3600"))  # seconds
if IDEMPOTENCY_KEY_TTL <= 0:
    raise ImproperlyConfigured(f"IDEMPOTENCY_KEY_TTL must be a positive number of seconds, not {IDEMPOTENCY_KEY_TTL}")

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

# Celery (the "celery" events transport). At-least-once with bounded redelivery:
# - acks late + reject on worker lost: a task whose worker dies is delivered again;
# - prefetch 1: a worker holds one un-acked message at a time;
# - no result backend: deliveries report through the inbox tables, not Celery results;
# - the visibility timeout (how long Redis waits before handing an un-acked message to another
#   worker) must exceed every task time limit and every retry countdown, or a slow task or a
#   scheduled retry would run twice (kombu#337, celery#2599). `app.checks` enforces it.
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", "60"))
CELERY_TASK_SOFT_TIME_LIMIT = int(CELERY_TASK_TIME_LIMIT * 0.8)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "300")),
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes database connections around every task unless told to reuse
# them: a new PostgreSQL connection per delivery halved the worker's throughput (measured).
CELERY_DB_REUSE_MAX = int(os.environ.get("CELERY_DB_REUSE_MAX", "1000"))
CELERY_TASK_DEFAULT_QUEUE = "platform"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_SEND_TASK_EVENTS = False

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")  # the smtp backend's server
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
# Seconds; Django's default (None) lets a silent SMTP server hold a worker until the task's hard
# time limit, instead of failing the attempt so the inbox counts it and retries.
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT", "10"))
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))  # the filebased backend's folder
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "shop@example.com")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

# --- Observability (app/observability): logs, traces, metrics, health -------------------------
# Logs: JSON lines in production (DJANGO_DEBUG=0) or with LOG_FORMAT=json, readable otherwise.
# Traces: the standard OTEL_* variables (OTEL_TRACES_EXPORTER=otlp|console|none, default none;
# OTEL_SDK_DISABLED=true turns tracing off entirely). Metrics at /metrics.
from app.observability.logging import logging_settings  # noqa: E402

LOG_FORMAT = os.environ.get("LOG_FORMAT", "console" if DEBUG else "json")
LOGGING = logging_settings(json=LOG_FORMAT == "json", level=os.environ.get("LOG_LEVEL", "INFO"), service=SERVICE)
INSTALLED_APPS.insert(0, "app.observability.apps.ObservabilityConfig")  # ready() before bootstrap
MIDDLEWARE.insert(0, "app.observability.middleware.RequestContextMiddleware")  # after tracing's own
HEALTH_MAX_OUTBOX_LAG_SECONDS = float(os.environ.get("HEALTH_MAX_OUTBOX_LAG_SECONDS", "300"))
HEALTH_MAX_DEAD_LETTERS = int(os.environ.get("HEALTH_MAX_DEAD_LETTERS", "100"))
HEALTH_CHECK_TIMEOUT = float(os.environ.get("HEALTH_CHECK_TIMEOUT", "1.0"))  # seconds, e.g. the broker ping
# --- end of observability --------------------------------------------------------------------
