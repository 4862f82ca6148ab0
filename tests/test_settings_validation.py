"""Every variable the documentation lists stops start-up, naming itself, when its value is
malformed: a mistake in the environment is found when the process starts, not at 3 a.m. when
the code that reads it first runs."""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parent.parent

# One malformed value per documented variable (a typo, a wrong unit, a value out of range,
# a pasted newline). A variable added to the documentation needs an entry here.
MALFORMED = {
    "HELPDESK_MODE": "prod",
    "SECRET_KEY": "short",  # checked in production (below)
    "DEBUG": "maybe",
    "ALLOWED_HOSTS": "https://help.example.com/",
    "CSRF_TRUSTED_ORIGINS": "help.example.com",
    "PUBLIC_URL": "127.0.0.1:8000",
    "HELPDESK_DATA_DIR": str(ROOT / "pyproject.toml"),
    "MEDIA_ROOT": str(ROOT / "README.md"),
    "DATABASE_URL": "localhost:5432/helpdesk",
    "DATABASE_POOL_MAX_SIZE": "-1",
    "DATABASE_POOL_MIN_SIZE": "two",
    "DATABASE_POOL_TIMEOUT": "0",
    "REDIS_URL": "localhost:6379",
    "CELERY_BROKER_URL": "redis//localhost",
    "CELERY_TASK_ALWAYS_EAGER": "sometimes",
    "CELERY_TASK_DEFAULT_QUEUE": "my queue",
    "EMAIL_HOST": "smtp://mail.example.com",
    "EMAIL_PORT": "70000",
    "EMAIL_HOST_USER": "user\n",
    "EMAIL_HOST_PASSWORD": " secret",
    "EMAIL_USE_TLS": "tls",
    "EMAIL_USE_SSL": "ssl",
    "EMAIL_TIMEOUT": "30s",
    "DEFAULT_FROM_EMAIL": "support",
    "HELPDESK_EMAIL_DOMAIN": "mail example.com",
    "DELIVERY_MAX_ATTEMPTS": "0",
    "DELIVERY_BACKOFF_SECONDS": "1m",
    "MAX_UPLOAD_BYTES": "25MB",
    "MAX_ATTACHMENT_BYTES": "-5",
    "LANGUAGE_CODE": "de",
    "TIME_ZONE": "Paris",
    "LOG_LEVEL": "LOUD",
    "SECURE_COOKIES": "secure",
    "SECURE_SSL_REDIRECT": "always",
    "HELPDESK_EMAIL_MAX_MESSAGE_BYTES": "40MB",
    "HELPDESK_IMAP_POLL_SECONDS": "0",
    "HELPDESK_IMAP_TIMEOUT": "-30",
    "HELPDESK_EMAIL_ACK_INTERVAL_SECONDS": "10min",
    "ANYMAIL_WEBHOOK_SECRET": "no-colon",
    "ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY": "key\n",
    "TWILIO_ACCOUNT_SID": "SK123",
    "TWILIO_AUTH_TOKEN": "token ",
    "TWILIO_API_BASE_URL": "api.twilio.com",
    "TWILIO_TIMEOUT": "fast",
    "TWILIO_MEDIA_MAX_BYTES": "0",
    "TELEGRAM_BOT_TOKEN": "not a token",
    "TELEGRAM_WEBHOOK_SECRET": "has spaces!",
    "TELEGRAM_API_BASE_URL": "ftp://api.telegram.org",
    "TELEGRAM_LINK_MAX_AGE": "7d",
    "TELEGRAM_FILE_MAX_BYTES": "-1",
    "WEBCHAT_IDENTITY_SECRET": "\tsecret",
    "WEBCHAT_MAX_TEXT_CHARS": "0",
    "WEBCHAT_MAX_IMAGE_BYTES": "2MiB",
    "WEBCHAT_RATE_MESSAGES": "-1",
    "WEBCHAT_RATE_SECONDS": "ten",
    "SHOPIFY_WEBHOOK_SECRET": "secret\n",
    "WOOCOMMERCE_WEBHOOK_SECRET": " secret",
    "AFTERSHIP_WEBHOOK_SECRET": "secret ",
    "ORDERS_PUSH_TOKEN": "token\r\n",
    "TRACKING_WEBHOOK_TOKEN": " token",
    "ORDERS_DEFAULT_PROMISE_DAYS": "five",
    "ORDERS_NO_SCAN_HOURS": "0",
    "ORDERS_TRANSIT_WINDOW_DAYS": "-120",
    "ORDERS_TRANSIT_MIN_SAMPLES": "0",
    "ORDERS_ROUTE_PREFIX_LENGTH": "99",
    "ORDERS_QUIET_HOURS": "bogus",
    "ORDERS_QUIET_HOURS_CHANNELS": "pigeon",
    "ORDERS_DELAY_TICKET_PRIORITY": "9",
    "ORDERS_DETECT_DELAYS_SECONDS": "hourly",
    "AGENTS_SEE_UNTEAMED": "perhaps",
    "SLA_AT_RISK_MINUTES": "-60",
    "AUTO_CLOSE_DAYS": "4 days",
    "TICKETS_PER_PAGE": "0",
    "ASSIGN_ON_REPLY": "if free",
    "REDIS_CONNECT_TIMEOUT": "1s",
    "REDIS_SOCKET_TIMEOUT": "-2",
    "ELASTICSEARCH_URL": "localhost:9200",
    "ELASTICSEARCH_INDEX_PREFIX": "Help Desk",
    "SEARCH_BACKEND": "elastic search",
    "SEARCH_TIMEOUT_MS": "2s",
    "PHONE_COUNTRY_CODE": "+33",
    "CSAT_DELAY_MINUTES": "half an hour",
    "CSAT_COOLDOWN_DAYS": "-14",
    "CSAT_ANSWER_DAYS": "0",
    "REPORTS_WISMO_TAG": " wismo,",
    "REPORTS_NOTICE_FOLLOW_DAYS": "0",
}
NEEDS_PRODUCTION = {"SECRET_KEY"}


def documented_variables() -> list[str]:
    """Every variable in a `| variable | ... |` table of the README or docs/."""
    names: list[str] = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        in_table = False
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.match(r"^\|\s*variable\s*\|", line):
                in_table = True
                continue
            if not line.startswith("|"):
                in_table = False
                continue
            if in_table:
                first = line.split("|")[1]
                for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", first):
                    if name not in names:
                        names.append(name)
    return names


def load(env: dict[str, str]) -> None:
    """Run the settings module afresh under ``env`` (the variables it reads)."""
    saved = dict(os.environ)
    try:
        for key in list(os.environ):
            if key in MALFORMED or key in {"DATABASE_URL", "REDIS_URL"}:
                del os.environ[key]
        os.environ.update(env)
        runpy.run_path(str(ROOT / "helpdesk" / "settings.py"), run_name="helpdesk_settings_check")
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_the_documentation_lists_the_variables_and_each_has_a_malformed_sample():
    documented = documented_variables()
    assert len(documented) >= 60
    assert "ORDERS_QUIET_HOURS" in documented and "LOG_LEVEL" in documented
    missing = [name for name in documented if name not in MALFORMED]
    assert not missing, f"add a malformed sample for {missing}"


def test_the_defaults_and_valid_values_start():
    load({})
    load(
        {
            "ORDERS_QUIET_HOURS": "22:30-07:00",
            "ORDERS_QUIET_HOURS_CHANNELS": "phone,whatsapp",
            "LOG_LEVEL": "warning",
            "PUBLIC_URL": "https://help.example.com",
            "ALLOWED_HOSTS": "help.example.com,.example.org",
            "CSRF_TRUSTED_ORIGINS": "https://help.example.com",
            "REDIS_URL": "redis://127.0.0.1:6379/3",
            "DATABASE_URL": "postgres://u:p@db:5432/helpdesk",
            "TELEGRAM_BOT_TOKEN": "123456:ABC-def_9",
            "TWILIO_ACCOUNT_SID": "AC" + "a1" * 16,
            "ANYMAIL_WEBHOOK_SECRET": "user:pass word",
            "DEFAULT_FROM_EMAIL": "Demo Shop <support@shop.example>",
            "TIME_ZONE": "America/New_York",
            "EMAIL_HOST": "smtp.example.com",
            "ORDERS_DELAY_TICKET_PRIORITY": "0",
        }
    )


@pytest.mark.parametrize("name", documented_variables())
def test_a_malformed_value_stops_start_up_naming_the_variable(name):
    env = {name: MALFORMED[name]}
    if name in NEEDS_PRODUCTION:
        env["HELPDESK_MODE"] = "production"
    if name == "EMAIL_USE_SSL":
        env["EMAIL_USE_TLS"] = "0"
    with pytest.raises(ImproperlyConfigured) as refused:
        load(env)
    assert name in str(refused.value)


def test_tls_and_ssl_together_are_refused():
    with pytest.raises(ImproperlyConfigured, match="EMAIL_USE_TLS and EMAIL_USE_SSL"):
        load({"EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"})


def test_a_command_refuses_to_start_and_says_which_variable():
    env = {k: v for k, v in os.environ.items() if k not in MALFORMED}
    env["ORDERS_QUIET_HOURS"] = "bogus"
    result = subprocess.run(
        [sys.executable, "manage.py", "detect_delays", "--dry-run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "ORDERS_QUIET_HOURS must be two times as HH:MM-HH:MM" in result.stderr
    assert "'bogus'" in result.stderr
