"""Settings for the helpdesk, read from the environment only.

With no environment at all this is the *embedded default*: SQLite, the in-memory channel
layer, Celery tasks run eagerly, database search, and outbound messages without credentials
kept in a visible outbox. Production sets HELPDESK_MODE=production and the variables the
README lists; it refuses to start with DEBUG on or without its own SECRET_KEY.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from helpdesk.env import (
    env_bool,
    env_bounded_int,
    env_choice,
    env_choices,
    env_email,
    env_float,
    env_host,
    env_hosts,
    env_int,
    env_origins,
    env_path,
    env_pattern,
    env_secret,
    env_str,
    env_time_window,
    env_time_zone,
    env_url,
)
from helpdesk.security.secret_key import embedded_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_path("HELPDESK_DATA_DIR", str(BASE_DIR / "var")))

MODE = env_choice("HELPDESK_MODE", "embedded", ["embedded", "production"])
PRODUCTION = MODE == "production"

SECRET_KEY = env_str("SECRET_KEY")
DEBUG = env_bool("DEBUG", default=not PRODUCTION)

if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off when HELPDESK_MODE=production.")
    if len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "Set SECRET_KEY to a random value of at least 32 characters in production."
        )
elif not SECRET_KEY:
    # Embedded: a random key made on first start, kept in DATA_DIR/secret_key (mode 0600).
    SECRET_KEY = embedded_secret_key(DATA_DIR)

# The public address of this helpdesk (behind proxies): used for links in outgoing messages
# and to check webhook signatures computed over the URL the provider called.
PUBLIC_URL = env_url("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
_PUBLIC_HOST = urlsplit(PUBLIC_URL).hostname or "127.0.0.1"
ALLOWED_HOSTS = env_hosts(
    "ALLOWED_HOSTS", [] if PRODUCTION else sorted({"127.0.0.1", "localhost", _PUBLIC_HOST})
)
CSRF_TRUSTED_ORIGINS = env_origins("CSRF_TRUSTED_ORIGINS")

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
    "axes",
    "csp",
    "channels",
    "helpdesk",
    "helpdesk.accounts",
    "helpdesk.contacts",
    "helpdesk.tickets",
    "helpdesk.inbox",
    "helpdesk.sla",
    "helpdesk.automations",
    "helpdesk.csat",
    "helpdesk.reports",
    "helpdesk.workspace_settings",
    "channels_in",
    "orders_link",
    "knowledge_base",
    "chatbot",
]

MIDDLEWARE = [
    "helpdesk.security.middleware.LoopbackDebugMiddleware",
    "helpdesk.security.middleware.RefuseNulMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "helpdesk.inbox.middleware.AgentLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
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
# Read whatever the database, so a malformed value is caught before it matters.
_POOL = {
    "min_size": env_bounded_int("DATABASE_POOL_MIN_SIZE", 1),
    "max_size": env_bounded_int("DATABASE_POOL_MAX_SIZE", 0),
    "timeout": env_bounded_int("DATABASE_POOL_TIMEOUT", 10, minimum=1),
}
DATABASE_URL = env_str("DATABASE_URL").strip()
if DATABASE_URL:
    try:
        _db = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
    except (ValueError, KeyError):
        _db = {}
    if "://" not in DATABASE_URL or not _db.get("ENGINE"):
        raise ImproperlyConfigured(
            "DATABASE_URL must be a database URL such as postgres://user:pass@host:5432/name, "
            f"got {DATABASE_URL!r}"
        )
    if _db["ENGINE"] == "django.db.backends.postgresql":
        if _POOL["max_size"] > 0:
            _db.setdefault("OPTIONS", {})["pool"] = dict(_POOL)
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
REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss", "unix"))
# Every Redis client connects and waits for an answer within a bound: a Redis that hangs makes a
# command fail after these seconds, and the caller carries on without it (see README, Faults).
REDIS_CONNECT_TIMEOUT = env_float("REDIS_CONNECT_TIMEOUT", 1.0)
REDIS_SOCKET_TIMEOUT = env_float("REDIS_SOCKET_TIMEOUT", 1.0)
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "helpdesk.channel_layer.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                        # the layer waits for messages 1 s at a time (helpdesk/channel_layer.py)
                        "socket_timeout": max(REDIS_SOCKET_TIMEOUT, 1.0) + 1.0,
                    }
                ],
                "prefix": "helpdesk",
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "helpdesk",
            "OPTIONS": {
                "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                "socket_timeout": REDIS_SOCKET_TIMEOUT / 4,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env_url(
    "CELERY_BROKER_URL",
    REDIS_URL or "memory://localhost/",
    schemes=("redis", "rediss", "unix", "amqp", "amqps", "sentinel", "memory"),
)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = env_pattern(
    "CELERY_TASK_DEFAULT_QUEUE", "celery", r"[A-Za-z0-9_.:-]{1,100}", "a queue name"
)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A task a dead worker had taken is handed out again after this long. Retries wait in the
    # worker that took them (up to DELIVERY_BACKOFF_SECONDS doubled each attempt), so this stays
    # long; what a crash leaves is picked up by the worker's start-up sweep and beat's sweeps.
    "visibility_timeout": 3600,
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
}
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
# A task that cannot be handed to the broker fails fast; every enqueue has a sweep behind it.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 0,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "outbound-requeue-stale": {
        "task": "helpdesk.tickets.tasks.outbound_requeue_stale_task",
        "schedule": 60.0,
    },
    # Inbound payloads still waiting after 15 s: their drain task was lost (a worker crash,
    # the broker down at the time). An unconsumed sweep expires rather than piling up.
    "raw-inbound-sweep": {
        "task": "helpdesk.tickets.tasks.raw_inbound_sweep_task",
        "schedule": 10.0,
        "options": {"expires": 10},
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
        "schedule": float(env_bounded_int("HELPDESK_IMAP_POLL_SECONDS", 60, minimum=1)),
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
# Log-in throttling (django-axes): LOGIN_FAILURE_LIMIT failures lock the user name (from any
# address) and the client address (for any name) for LOGIN_LOCKOUT_MINUTES; an administrator
# unlocks earlier (Users: "Unlock log-in"), and so does resetting the password by email.
AUTHENTICATION_BACKENDS = [
    "helpdesk.accounts.auth.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "helpdesk.accounts.auth.lockout_response"
AXES_RESET_ON_SUCCESS = False
# The client address is the connection's; behind a proxy set the number of proxies in front.
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if env_int("LOGIN_PROXY_COUNT", 0) else ("REMOTE_ADDR",)
)
AXES_IPWARE_PROXY_COUNT = env_int("LOGIN_PROXY_COUNT", 0) or None
AXES_VERBOSE = False
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3 * 24 * 3600)
LOGIN_REDIRECT_URL = "inbox:ticket_list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = env_choice("LANGUAGE_CODE", "en", ["en", "fr"])
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "helpdesk" / "locale"]
TIME_ZONE = env_time_zone("TIME_ZONE", "Europe/Paris")
USE_I18N = True
# Unambiguous dates in both languages (the month in words): helpdesk/formats/<lang>/.
FORMAT_MODULE_PATH = ["helpdesk.formats"]
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
MEDIA_ROOT = Path(env_path("MEDIA_ROOT", str(DATA_DIR / "media")))
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
DATA_UPLOAD_MAX_MEMORY_SIZE = env_bounded_int("MAX_UPLOAD_BYTES", 25 * 1024 * 1024, minimum=1)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
HELPDESK_MAX_ATTACHMENT_BYTES = env_bounded_int("MAX_ATTACHMENT_BYTES", 20 * 1024 * 1024, minimum=1)

# --- Security ---------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp) on every page: scripts only from files of this server
# (no inline script, no eval), nothing embeds the pages. Responses that set their own policy
# (attachments, an email's sandboxed frame) keep theirs.
_PUBLIC_ORIGIN = "{0.scheme}://{0.netloc}".format(urlsplit(PUBLIC_URL))
_PUBLIC_SOCKETS = _PUBLIC_ORIGIN.replace("http", "ws", 1)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", _PUBLIC_ORIGIN],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", _PUBLIC_ORIGIN],
        "font-src": ["'self'"],
        "connect-src": ["'self'", _PUBLIC_ORIGIN, _PUBLIC_SOCKETS],
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Read in every mode, so a malformed value is caught before it reaches production.
_SECURE_COOKIES = env_bool("SECURE_COOKIES", True)
_SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = _SECURE_COOKIES
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = _SECURE_SSL_REDIRECT

# --- Email (outbound SMTP; inbound lives in channels_in.email) ---------------------------------
EMAIL_HOST = env_host("EMAIL_HOST")
EMAIL_PORT = env_bounded_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_secret("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_bounded_int("EMAIL_TIMEOUT", 30, minimum=1)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on: choose one.")
DEFAULT_FROM_EMAIL = env_email("DEFAULT_FROM_EMAIL", "support@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Without an SMTP host, mail is not really sent: it waits in the visible outbox.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
HELPDESK_EMAIL_DOMAIN = env_host(
    "HELPDESK_EMAIL_DOMAIN", urlsplit(PUBLIC_URL).hostname or "localhost"
)
# Inbound mail: larger messages are refused; larger attachments are left out (the raw message
# is still kept); IMAP mailboxes are polled every HELPDESK_IMAP_POLL_SECONDS.
HELPDESK_EMAIL_MAX_MESSAGE_BYTES = env_bounded_int(
    "HELPDESK_EMAIL_MAX_MESSAGE_BYTES", 40 * 1024 * 1024, minimum=1
)
HELPDESK_EMAIL_MAX_ATTACHMENT_BYTES = env_bounded_int(
    "HELPDESK_EMAIL_MAX_ATTACHMENT_BYTES", 20 * 1024 * 1024
)
HELPDESK_IMAP_POLL_SECONDS = env_bounded_int("HELPDESK_IMAP_POLL_SECONDS", 60, minimum=1)
HELPDESK_IMAP_TIMEOUT = env_bounded_int("HELPDESK_IMAP_TIMEOUT", 30, minimum=1)
# An automatic acknowledgement goes to one sender at most once per this many seconds.
HELPDESK_EMAIL_ACK_INTERVAL_SECONDS = env_bounded_int("HELPDESK_EMAIL_ACK_INTERVAL_SECONDS", 600)
# Provider inbound webhooks (django-anymail): refused unless the basic-auth secret is set.
ANYMAIL = {
    "WEBHOOK_SECRET": env_pattern(
        "ANYMAIL_WEBHOOK_SECRET",
        "",
        r"[^:\s]+:[^\x00-\x1f]+",
        "user:password (basic-auth credentials)",
    )
}
if env_secret("ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY"):  # never an empty signing key
    ANYMAIL["MAILGUN_WEBHOOK_SIGNING_KEY"] = env_secret("ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY")

# --- Outbound delivery ------------------------------------------------------------------------
HELPDESK_DELIVERY_MAX_ATTEMPTS = env_bounded_int("DELIVERY_MAX_ATTEMPTS", 6, minimum=1)
HELPDESK_DELIVERY_BACKOFF_SECONDS = env_bounded_int("DELIVERY_BACKOFF_SECONDS", 30, minimum=1)

# --- Orders, shipments and delay notices ---------------------------------------------------------
# Webhook secrets: a connector whose secret is empty refuses every call.
SHOPIFY_WEBHOOK_SECRET = env_secret("SHOPIFY_WEBHOOK_SECRET")
WOOCOMMERCE_WEBHOOK_SECRET = env_secret("WOOCOMMERCE_WEBHOOK_SECRET")
AFTERSHIP_WEBHOOK_SECRET = env_secret("AFTERSHIP_WEBHOOK_SECRET")
# Bearer tokens for custom shops pushing orders and for the neutral tracking webhook.
ORDERS_PUSH_TOKEN = env_secret("ORDERS_PUSH_TOKEN")
TRACKING_WEBHOOK_TOKEN = env_secret("TRACKING_WEBHOOK_TOKEN")
ORDERS_DEFAULT_PROMISE_DAYS = env_bounded_int("ORDERS_DEFAULT_PROMISE_DAYS", 5)
ORDERS_NO_SCAN_HOURS = env_bounded_int("ORDERS_NO_SCAN_HOURS", 72, minimum=1)
ORDERS_TRANSIT_WINDOW_DAYS = env_bounded_int("ORDERS_TRANSIT_WINDOW_DAYS", 120, minimum=1)
ORDERS_TRANSIT_MIN_SAMPLES = env_bounded_int("ORDERS_TRANSIT_MIN_SAMPLES", 20, minimum=1)
ORDERS_ROUTE_PREFIX_LENGTH = env_bounded_int("ORDERS_ROUTE_PREFIX_LENGTH", 2, maximum=10)
# "HH:MM-HH:MM" in the customer's time zone; empty disables. Email is never held.
ORDERS_QUIET_HOURS = env_time_window("ORDERS_QUIET_HOURS", "21:00-08:00")
ORDERS_QUIET_HOURS_CHANNELS = env_choices(
    "ORDERS_QUIET_HOURS_CHANNELS",
    ["phone", "whatsapp", "telegram"],
    ["phone", "whatsapp", "telegram", "webchat"],
)
# Tickets carrying a delay notice get at least this priority (3 = high; 0 leaves it alone).
ORDERS_DELAY_TICKET_PRIORITY = env_bounded_int("ORDERS_DELAY_TICKET_PRIORITY", 3, maximum=4)
CELERY_BEAT_SCHEDULE["detect-delays"] = {
    "task": "orders_link.tasks.detect_delays_task",
    "schedule": float(env_bounded_int("ORDERS_DETECT_DELAYS_SECONDS", 3600, minimum=1)),
}

# --- Agent workspace ------------------------------------------------------------------------
# Agents see their teams' tickets and those assigned to them; tickets (and inboxes) with no
# team too, unless this is off.
HELPDESK_AGENTS_SEE_UNTEAMED = env_bool("AGENTS_SEE_UNTEAMED", True)
# An unsolved ticket whose next SLA target is due within this many minutes is "at risk".
HELPDESK_SLA_AT_RISK_MINUTES = env_bounded_int("SLA_AT_RISK_MINUTES", 60)
# Solved tickets close by themselves after this many days (0: never).
HELPDESK_AUTO_CLOSE_DAYS = env_bounded_int("AUTO_CLOSE_DAYS", 4)
# A reply to the customer on an unassigned ticket assigns it to the agent who wrote it.
HELPDESK_ASSIGN_ON_REPLY = env_bool("ASSIGN_ON_REPLY", True)
HELPDESK_TICKETS_PER_PAGE = env_bounded_int("TICKETS_PER_PAGE", 50, minimum=1, maximum=500)

# --- Messaging channels (Twilio SMS/WhatsApp, Telegram, site chat) ----------------------------
TWILIO_ACCOUNT_SID = env_pattern(
    "TWILIO_ACCOUNT_SID", "", r"AC[0-9a-fA-F]{32}", "AC followed by 32 hexadecimal digits"
)
TWILIO_AUTH_TOKEN = env_secret("TWILIO_AUTH_TOKEN")
# Only changed to point the SDK at a stand-in server (tests, benchmarks).
TWILIO_API_BASE_URL = env_url("TWILIO_API_BASE_URL", "https://api.twilio.com").rstrip("/")
TWILIO_MEDIA_MAX_BYTES = env_bounded_int("TWILIO_MEDIA_MAX_BYTES", 10 * 1024 * 1024, minimum=1)
TWILIO_TIMEOUT = env_bounded_int("TWILIO_TIMEOUT", 15, minimum=1)
TELEGRAM_BOT_TOKEN = env_pattern(
    "TELEGRAM_BOT_TOKEN", "", r"[0-9]+:[A-Za-z0-9_-]+", "a bot token such as 123456:ABC-DEF…"
)
# Telegram accepts 1-256 characters A-Z, a-z, 0-9, _ and - as a webhook secret.
TELEGRAM_WEBHOOK_SECRET = env_pattern(
    "TELEGRAM_WEBHOOK_SECRET", "", r"[A-Za-z0-9_-]{1,256}", "1-256 letters, digits, _ or -"
)
TELEGRAM_API_BASE_URL = env_url("TELEGRAM_API_BASE_URL", "https://api.telegram.org").rstrip("/")
TELEGRAM_LINK_MAX_AGE = env_bounded_int("TELEGRAM_LINK_MAX_AGE", 7 * 24 * 3600, minimum=60)
TELEGRAM_FILE_MAX_BYTES = env_bounded_int("TELEGRAM_FILE_MAX_BYTES", 20 * 1024 * 1024, minimum=1)
# The shop signs its logged-in customer's id and email with this secret (HMAC-SHA256) so the
# chat widget recognises them.
WEBCHAT_IDENTITY_SECRET = env_secret("WEBCHAT_IDENTITY_SECRET")
WEBCHAT_MAX_TEXT_CHARS = env_bounded_int("WEBCHAT_MAX_TEXT_CHARS", 4000, minimum=1)
WEBCHAT_MAX_IMAGE_BYTES = env_bounded_int("WEBCHAT_MAX_IMAGE_BYTES", 2 * 1024 * 1024, minimum=1)
WEBCHAT_RATE_MESSAGES = env_bounded_int("WEBCHAT_RATE_MESSAGES", 10, minimum=1)
WEBCHAT_RATE_SECONDS = env_bounded_int("WEBCHAT_RATE_SECONDS", 10, minimum=1)
# Per client address, over every visitor and socket: messages, and new conversations.
WEBCHAT_RATE_IP_MESSAGES = env_bounded_int("WEBCHAT_RATE_IP_MESSAGES", 60, minimum=1)
WEBCHAT_RATE_IP_SECONDS = env_bounded_int("WEBCHAT_RATE_IP_SECONDS", 60, minimum=1)
WEBCHAT_RATE_IP_CONVERSATIONS = env_bounded_int("WEBCHAT_RATE_IP_CONVERSATIONS", 10, minimum=1)
WEBCHAT_RATE_IP_CONVERSATION_SECONDS = env_bounded_int(
    "WEBCHAT_RATE_IP_CONVERSATION_SECONDS", 600, minimum=1
)
# Frames one WebSocket client may send (agents and the widget): a burst, then a steady rate;
# past it the socket is closed (helpdesk/security/sockets.py).
WEBSOCKET_FRAME_BURST = env_bounded_int("WEBSOCKET_FRAME_BURST", 40, minimum=1)
WEBSOCKET_FRAMES_PER_SECOND = env_bounded_int("WEBSOCKET_FRAMES_PER_SECOND", 4, minimum=1)
# Inbound text stored in a message, per channel (characters); the whole text beyond it is kept
# as an attachment. HTML beyond its limit is kept only as an attachment.
HELPDESK_INBOUND_TEXT_LIMITS = {
    "default": env_bounded_int("INBOUND_TEXT_MAX_CHARS", 20_000, minimum=100),
    "email": env_bounded_int("INBOUND_EMAIL_TEXT_MAX_CHARS", 200_000, minimum=100),
}
HELPDESK_INBOUND_HTML_LIMIT = env_bounded_int("INBOUND_HTML_MAX_CHARS", 2_000_000, minimum=1000)

# --- The bot (chatbot) ------------------------------------------------------------------------
# Where the trained intent model is kept; empty: DATA_DIR/chatbot/intent-model.joblib.
CHATBOT_MODEL_PATH = env_str("CHATBOT_MODEL_PATH")
# Whether the bot answers inboxes that have no bot settings of their own (email never does).
CHATBOT_DEFAULT_ENABLED = env_bool("CHATBOT_DEFAULT_ENABLED", True)


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice(
            "LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], fold_case=True
        ),
    },
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Knowledge base and search --------------------------------------------------------------
# The search backend: Elasticsearch when ELASTICSEARCH_URL is set, else the database's own
# full-text search (PostgreSQL, or SQLite FTS5). HELPDESK_SEARCH_BACKEND may name a class.
ELASTICSEARCH_URL = env_url("ELASTICSEARCH_URL")
ELASTICSEARCH_INDEX_PREFIX = env_pattern(
    "ELASTICSEARCH_INDEX_PREFIX",
    "helpdesk",
    r"[a-z0-9][a-z0-9_.-]{0,100}",
    "lower-case letters, digits, _, . or -",
)
HELPDESK_SEARCH_BACKEND = env_pattern(
    "SEARCH_BACKEND",
    "",
    r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+",
    "a dotted class path",
)
# Every search query runs under this statement timeout (a slow search gives no results).
HELPDESK_SEARCH_TIMEOUT_MS = env_bounded_int("SEARCH_TIMEOUT_MS", 2000, minimum=1)
# An external search index (Elasticsearch) catches up with rows written in bulk.
CELERY_BEAT_SCHEDULE["search-catch-up"] = {
    "task": "knowledge_base.tasks.search_catch_up_task",
    "schedule": 300.0,
}
# Phone numbers typed with a trunk 0 (06 12 34 56 78) are matched in international form.
HELPDESK_PHONE_COUNTRY_CODE = env_pattern(
    "PHONE_COUNTRY_CODE", "33", r"[1-9][0-9]{0,2}", "a country calling code such as 33"
)

# --- Satisfaction surveys and reports -----------------------------------------------------------
# A ticket solved this long ago gets its survey (once), unless its customer had one recently.
CSAT_DELAY_MINUTES = env_bounded_int("CSAT_DELAY_MINUTES", 30)
CSAT_COOLDOWN_DAYS = env_bounded_int("CSAT_COOLDOWN_DAYS", 14)
# Answers (and changes of rating) are accepted this many days after the survey went out.
CSAT_ANSWER_DAYS = env_bounded_int("CSAT_ANSWER_DAYS", 7, minimum=1)
CELERY_BEAT_SCHEDULE["csat-send-due"] = {
    "task": "helpdesk.csat.tasks.csat_send_due_task",
    "schedule": 300.0,
}
# Tickets carrying this tag are "where is my order?" contacts in the reports.
REPORTS_WISMO_TAG = env_pattern(
    "REPORTS_WISMO_TAG",
    "wismo",
    r"[^\s,](.{0,48}[^\s,])?",
    "a tag name (no commas or blanks around it)",
)
# A customer message on the ticket within this many days after a delay notice "follows" it.
REPORTS_NOTICE_FOLLOW_DAYS = env_bounded_int("REPORTS_NOTICE_FOLLOW_DAYS", 3, minimum=1)
CELERY_BEAT_SCHEDULE["reports-weekly-digest"] = {
    "task": "helpdesk.reports.tasks.reports_digest_task",
    "schedule": 3600.0,
}

# The WhatsApp inbox's approved template (by name in its config) for surveys outside 24 h.
CSAT_WHATSAPP_TEMPLATE = env_str("CSAT_WHATSAPP_TEMPLATE", "csat")

# Inbox kind -> channel adapter ("module:Class"), imported on first use (helpdesk.channels).
HELPDESK_CHANNELS = {
    "email": "channels_in.email.adapter:EmailAdapter",
    "sms": "channels_in.twilio.adapter:TwilioSMSAdapter",
    "whatsapp": "channels_in.twilio.adapter:TwilioWhatsAppAdapter",
    "telegram": "channels_in.telegram.adapter:TelegramAdapter",
    "webchat": "channels_in.webchat.adapter:WebchatAdapter",
}
