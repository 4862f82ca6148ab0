"""Settings for the helpdesk, read from the environment only.

With no environment at all this is the *embedded default*: SQLite, the in-memory channel
layer, Celery tasks run eagerly, database search, and outbound messages without credentials
kept in a visible outbox. Production sets HELPDESK_MODE=production and the variables the
README lists; it refuses to start with DEBUG on or without its own SECRET_KEY.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from helpdesk.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("HELPDESK_DATA_DIR", str(BASE_DIR / "var")))

MODE = env_str("HELPDESK_MODE", "embedded")
if MODE not in {"embedded", "production"}:
    raise ImproperlyConfigured(f"HELPDESK_MODE must be 'embedded' or 'production', got {MODE!r}")
PRODUCTION = MODE == "production"

_EMBEDDED_SECRET = "embedded-default-secret-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", _EMBEDDED_SECRET)
DEBUG = env_bool("DEBUG", default=not PRODUCTION)

if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off when HELPDESK_MODE=production.")
    if SECRET_KEY == _EMBEDDED_SECRET or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "Set SECRET_KEY to a random value of at least 32 characters in production."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The public address of this helpdesk (behind proxies): used for links in outgoing messages
# and to check webhook signatures computed over the URL the provider called.
PUBLIC_URL = env_str("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # daphne's app only turns `runserver` into its ASGI server (with WebSockets). It loads
    # Twisted, a fifth of the start-up of every other command, such as an MTA piping each
    # mail to `ingest_email`; servers run `daphne` itself (see the README).
    *(["daphne"] if sys.argv[1:2] == ["runserver"] else []),
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "helpdesk",
    "helpdesk.accounts",
    "helpdesk.contacts",
    "helpdesk.tickets",
    "helpdesk.inbox",
    "helpdesk.sla",
    "helpdesk.automations",
    "channels_in",
    "orders_link",
    "knowledge_base",
    "chatbot",
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
]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"
ASGI_APPLICATION = "helpdesk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "helpdesk" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Under ASGI each worker thread holds its own connection: persistent connections exhaust
# PostgreSQL. Connections are closed after each request unless psycopg's pool is enabled
# (DATABASE_POOL_MAX_SIZE > 0); size the pool so that processes x max size stays under
# PostgreSQL's max_connections.
# WAL and a busy timeout let the web process, workers and commands share one SQLite file;
# IMMEDIATE transactions take the write lock up front (no lock-upgrade deadlock).
_SQLITE_OPTIONS = {
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
    if _db["ENGINE"] == "django.db.backends.postgresql":
        _pool_max = env_int("DATABASE_POOL_MAX_SIZE", 0)
        if _pool_max > 0:
            _db.setdefault("OPTIONS", {})["pool"] = {
                "min_size": env_int("DATABASE_POOL_MIN_SIZE", 1),
                "max_size": _pool_max,
                "timeout": env_int("DATABASE_POOL_TIMEOUT", 10),
            }
    elif _db["ENGINE"] == "django.db.backends.sqlite3":
        _db["OPTIONS"] = {**_SQLITE_OPTIONS, **_db.get("OPTIONS", {})}
    DATABASES = {"default": _db}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "helpdesk.sqlite3"),
            "OPTIONS": _SQLITE_OPTIONS,
            # A file, not shared-cache memory, so tests see real locking and a server
            # process started by a test can open the same database.
            "TEST": {"NAME": str(DATA_DIR / "test-helpdesk.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, Celery broker, cache ------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": "helpdesk"},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "helpdesk",
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "memory://localhost/")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "outbound-requeue-stale": {
        "task": "helpdesk.tickets.tasks.outbound_requeue_stale_task",
        "schedule": 60.0,
    },
    # Inbound payloads still waiting after a minute: their drain task was lost.
    "raw-inbound-sweep": {
        "task": "helpdesk.tickets.tasks.raw_inbound_sweep_task",
        "schedule": 60.0,
    },
    "automations-time-rules": {
        "task": "helpdesk.automations.tasks.automations_time_task",
        "schedule": 300.0,
    },
    "tickets-auto-close": {
        "task": "helpdesk.automations.tasks.tickets_auto_close_task",
        "schedule": 3600.0,
    },
    "email-imap-poll": {
        "task": "channels_in.tasks.email_poll_all_task",
        "schedule": float(env_int("HELPDESK_IMAP_POLL_SECONDS", 60)),
    },
}

# --- Auth, i18n, static -----------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "inbox:ticket_list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "helpdesk" / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# The project's own assets (helpdesk/static is not an app's static folder).
STATICFILES_DIRS = [BASE_DIR / "helpdesk" / "static"]
# Embedded: serve static files straight from the apps (no collectstatic needed).
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Larger uploads are refused with 413 before they reach a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_UPLOAD_BYTES", 25 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
HELPDESK_MAX_ATTACHMENT_BYTES = env_int("MAX_ATTACHMENT_BYTES", 20 * 1024 * 1024)

# --- Security ---------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)

# --- Email (outbound SMTP; inbound lives in channels_in.email) ---------------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "support@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Without an SMTP host, mail is not really sent: it waits in the visible outbox.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
HELPDESK_EMAIL_DOMAIN = env_str(
    "HELPDESK_EMAIL_DOMAIN", urlsplit(PUBLIC_URL).hostname or "localhost"
)
# Inbound mail: larger messages are refused; larger attachments are left out (the raw message
# is still kept); IMAP mailboxes are polled every HELPDESK_IMAP_POLL_SECONDS.
HELPDESK_EMAIL_MAX_MESSAGE_BYTES = env_int("HELPDESK_EMAIL_MAX_MESSAGE_BYTES", 40 * 1024 * 1024)
HELPDESK_EMAIL_MAX_ATTACHMENT_BYTES = env_int(
    "HELPDESK_EMAIL_MAX_ATTACHMENT_BYTES", 20 * 1024 * 1024
)
HELPDESK_IMAP_POLL_SECONDS = env_int("HELPDESK_IMAP_POLL_SECONDS", 60)
HELPDESK_IMAP_TIMEOUT = env_int("HELPDESK_IMAP_TIMEOUT", 30)
# An automatic acknowledgement goes to one sender at most once per this many seconds.
HELPDESK_EMAIL_ACK_INTERVAL_SECONDS = env_int("HELPDESK_EMAIL_ACK_INTERVAL_SECONDS", 600)
# Provider inbound webhooks (django-anymail): refused unless the basic-auth secret is set.
ANYMAIL = {"WEBHOOK_SECRET": env_str("ANYMAIL_WEBHOOK_SECRET")}
if env_str("ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY"):  # never an empty signing key
    ANYMAIL["MAILGUN_WEBHOOK_SIGNING_KEY"] = env_str("ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY")

# --- Outbound delivery ------------------------------------------------------------------------
HELPDESK_DELIVERY_MAX_ATTEMPTS = env_int("DELIVERY_MAX_ATTEMPTS", 6)
HELPDESK_DELIVERY_BACKOFF_SECONDS = env_int("DELIVERY_BACKOFF_SECONDS", 30)

# --- Orders, shipments and delay notices ---------------------------------------------------------
# Webhook secrets: a connector whose secret is empty refuses every call.
SHOPIFY_WEBHOOK_SECRET = env_str("SHOPIFY_WEBHOOK_SECRET")
WOOCOMMERCE_WEBHOOK_SECRET = env_str("WOOCOMMERCE_WEBHOOK_SECRET")
AFTERSHIP_WEBHOOK_SECRET = env_str("AFTERSHIP_WEBHOOK_SECRET")
# Bearer tokens for custom shops pushing orders and for the neutral tracking webhook.
ORDERS_PUSH_TOKEN = env_str("ORDERS_PUSH_TOKEN")
TRACKING_WEBHOOK_TOKEN = env_str("TRACKING_WEBHOOK_TOKEN")
ORDERS_DEFAULT_PROMISE_DAYS = env_int("ORDERS_DEFAULT_PROMISE_DAYS", 5)
ORDERS_NO_SCAN_HOURS = env_int("ORDERS_NO_SCAN_HOURS", 72)
ORDERS_TRANSIT_WINDOW_DAYS = env_int("ORDERS_TRANSIT_WINDOW_DAYS", 120)
ORDERS_TRANSIT_MIN_SAMPLES = env_int("ORDERS_TRANSIT_MIN_SAMPLES", 20)
ORDERS_ROUTE_PREFIX_LENGTH = env_int("ORDERS_ROUTE_PREFIX_LENGTH", 2)
# "HH:MM-HH:MM" in the customer's time zone; empty disables. Email is never held.
ORDERS_QUIET_HOURS = env_str("ORDERS_QUIET_HOURS", "21:00-08:00")
ORDERS_QUIET_HOURS_CHANNELS = env_list(
    "ORDERS_QUIET_HOURS_CHANNELS", ["phone", "whatsapp", "telegram"]
)
# Tickets carrying a delay notice get at least this priority (3 = high; 0 leaves it alone).
ORDERS_DELAY_TICKET_PRIORITY = env_int("ORDERS_DELAY_TICKET_PRIORITY", 3)
CELERY_BEAT_SCHEDULE["detect-delays"] = {
    "task": "orders_link.tasks.detect_delays_task",
    "schedule": float(env_int("ORDERS_DETECT_DELAYS_SECONDS", 3600)),
}

# --- Agent workspace ------------------------------------------------------------------------
# Agents see their teams' tickets and those assigned to them; tickets (and inboxes) with no
# team too, unless this is off.
HELPDESK_AGENTS_SEE_UNTEAMED = env_bool("AGENTS_SEE_UNTEAMED", True)
# An unsolved ticket whose next SLA target is due within this many minutes is "at risk".
HELPDESK_SLA_AT_RISK_MINUTES = env_int("SLA_AT_RISK_MINUTES", 60)
# Solved tickets close by themselves after this many days (0: never).
HELPDESK_AUTO_CLOSE_DAYS = env_int("AUTO_CLOSE_DAYS", 4)
HELPDESK_TICKETS_PER_PAGE = env_int("TICKETS_PER_PAGE", 50)

# --- Messaging channels (Twilio SMS/WhatsApp, Telegram, site chat) ----------------------------
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
# Only changed to point the SDK at a stand-in server (tests, benchmarks).
TWILIO_API_BASE_URL = env_str("TWILIO_API_BASE_URL", "https://api.twilio.com").rstrip("/")
TWILIO_MEDIA_MAX_BYTES = env_int("TWILIO_MEDIA_MAX_BYTES", 10 * 1024 * 1024)
TWILIO_TIMEOUT = env_int("TWILIO_TIMEOUT", 15)
TELEGRAM_BOT_TOKEN = env_str("TELEGRAM_BOT_TOKEN")
TELEGRAM_WEBHOOK_SECRET = env_str("TELEGRAM_WEBHOOK_SECRET")
TELEGRAM_API_BASE_URL = env_str("TELEGRAM_API_BASE_URL", "https://api.telegram.org").rstrip("/")
TELEGRAM_LINK_MAX_AGE = env_int("TELEGRAM_LINK_MAX_AGE", 7 * 24 * 3600)
TELEGRAM_FILE_MAX_BYTES = env_int("TELEGRAM_FILE_MAX_BYTES", 20 * 1024 * 1024)
# The shop signs its logged-in customer's id and email with this secret (HMAC-SHA256) so the
# chat widget recognises them.
WEBCHAT_IDENTITY_SECRET = env_str("WEBCHAT_IDENTITY_SECRET")
WEBCHAT_MAX_TEXT_CHARS = env_int("WEBCHAT_MAX_TEXT_CHARS", 4000)
WEBCHAT_MAX_IMAGE_BYTES = env_int("WEBCHAT_MAX_IMAGE_BYTES", 2 * 1024 * 1024)
WEBCHAT_RATE_MESSAGES = env_int("WEBCHAT_RATE_MESSAGES", 10)
WEBCHAT_RATE_SECONDS = env_int("WEBCHAT_RATE_SECONDS", 10)


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Inbox kind -> channel adapter ("module:Class"), imported on first use (helpdesk.channels).
HELPDESK_CHANNELS = {
    "email": "channels_in.email.adapter:EmailAdapter",
    "sms": "channels_in.twilio.adapter:TwilioSMSAdapter",
    "whatsapp": "channels_in.twilio.adapter:TwilioWhatsAppAdapter",
    "telegram": "channels_in.telegram.adapter:TelegramAdapter",
    "webchat": "channels_in.webchat.adapter:WebchatAdapter",
}
