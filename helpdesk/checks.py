"""The settings the core reads, validated by Django's system checks.

``helpdesk/env.py`` refuses a malformed environment variable at start-up; these checks cover
what a deployment's own settings module, or a test's ``override_settings``, may set without
going through the environment. They run with every management command (``manage.py check``,
``migrate``, ``runserver``) and in CI. Optional features check their own settings
(``knowledge_base.checks``); the core checks only what it knows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from helpdesk.contracts import ChannelAdapter
from helpdesk.tickets.models import InboxKind

# Integer settings of the core: (name, minimum).
NON_NEGATIVE = 0
POSITIVE = 1
INTEGER_SETTINGS: tuple[tuple[str, int], ...] = (
    ("CSAT_DELAY_MINUTES", NON_NEGATIVE),
    ("CSAT_COOLDOWN_DAYS", NON_NEGATIVE),
    ("CSAT_ANSWER_DAYS", POSITIVE),
    ("REPORTS_NOTICE_FOLLOW_DAYS", POSITIVE),
    ("HELPDESK_SLA_AT_RISK_MINUTES", NON_NEGATIVE),
    ("HELPDESK_AUTO_CLOSE_DAYS", NON_NEGATIVE),
    ("HELPDESK_TICKETS_PER_PAGE", POSITIVE),
    ("HELPDESK_MAX_ATTACHMENT_BYTES", POSITIVE),
    ("HELPDESK_DELIVERY_MAX_ATTEMPTS", POSITIVE),
    ("HELPDESK_DELIVERY_BACKOFF_SECONDS", POSITIVE),
    ("HELPDESK_INBOUND_HTML_LIMIT", POSITIVE),
    ("ORDERS_DEFAULT_PROMISE_DAYS", NON_NEGATIVE),
    ("ORDERS_NO_SCAN_HOURS", POSITIVE),
    ("WEBCHAT_MAX_TEXT_CHARS", POSITIVE),
    ("WEBCHAT_MAX_IMAGE_BYTES", POSITIVE),
)
# Django's own placeholder, and what tutorials paste.
DEFAULT_SECRET_KEYS = {"", "change-me", "changeme", "secret", "django-insecure"}


@register(Tags.compatibility)
def check_channels(app_configs: Iterable[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """Each HELPDESK_CHANNELS entry: ``"module:Class"``, importable, a ChannelAdapter of its
    kind."""

    channels = getattr(settings, "HELPDESK_CHANNELS", None)
    if not isinstance(channels, dict) or not channels:
        return [
            Error(
                "HELPDESK_CHANNELS must map inbox kinds to adapter classes.",
                hint='e.g. {"email": "channels_in.email.adapter:EmailAdapter"}',
                id="helpdesk.E001",
            )
        ]
    errors: list[CheckMessage] = []
    for kind, target in channels.items():
        error = _adapter_error(kind, target)
        if error:
            errors.append(Error(f"HELPDESK_CHANNELS[{kind!r}]: {error}", id="helpdesk.E002"))
    missing = sorted(set(InboxKind.values) - set(channels))
    if missing:
        errors.append(
            Warning(
                f"HELPDESK_CHANNELS has no adapter for {', '.join(missing)}: inboxes of "
                "these kinds can neither receive nor send.",
                id="helpdesk.W001",
            )
        )
    return errors


def _adapter_error(kind: Any, target: Any) -> str:
    from importlib import import_module

    if not isinstance(target, str) or target.count(":") != 1:
        return f'{target!r} is not "module.path:ClassName".'
    module_name, class_name = target.split(":")
    try:
        module = import_module(module_name)
    except ImportError as exc:
        return f"{module_name} cannot be imported ({exc})."
    adapter_class = getattr(module, class_name, None)
    if adapter_class is None:
        return f"{module_name} has no {class_name}."
    try:
        adapter = adapter_class()
    except Exception as exc:
        return f"{target} cannot be instantiated ({exc})."
    if not isinstance(adapter, ChannelAdapter):
        return f"{target} does not implement ChannelAdapter (kind, verify, parse, send...)."
    if adapter.kind != kind:
        return f"{target} is the adapter of {adapter.kind!r}, not of {kind!r}."
    return ""


@register(Tags.compatibility)
def check_public_url(app_configs: Iterable[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """PUBLIC_URL: an absolute http(s) address without a trailing slash (links in messages,
    webhook signatures, the widget's socket)."""
    value = getattr(settings, "PUBLIC_URL", "")
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in {"http", "https"} or not parts.hostname:
        return [
            Error(
                f"PUBLIC_URL must be an absolute http(s) address, not {value!r}.",
                hint="e.g. https://help.example.com",
                id="helpdesk.E003",
            )
        ]
    if value.endswith("/") or parts.query or parts.fragment:
        return [
            Error(
                f"PUBLIC_URL must have no trailing slash, query or fragment: {value!r}.",
                id="helpdesk.E004",
            )
        ]
    return []


@register(Tags.compatibility)
def check_integers(app_configs: Iterable[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for name, minimum in INTEGER_SETTINGS:
        if not hasattr(settings, name):
            continue
        value = getattr(settings, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            what = "a positive" if minimum else "a non-negative"
            errors.append(
                Error(f"{name} must be {what} integer, not {value!r}.", id="helpdesk.E005")
            )
    return errors


@register(Tags.security, deploy=False)
def check_secret_key(app_configs: Iterable[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """With DEBUG off the helpdesk is served to others: its key must be its own."""
    if settings.DEBUG:
        return []
    key = str(getattr(settings, "SECRET_KEY", "") or "")
    if key.strip().lower() in DEFAULT_SECRET_KEYS or key.startswith("django-insecure-"):
        return [
            Error(
                "SECRET_KEY is a placeholder while DEBUG is off.",
                hint="Set SECRET_KEY to a random value of at least 32 characters.",
                id="helpdesk.E006",
            )
        ]
    if len(key) < 32 or len(set(key)) < 5:
        return [
            Error(
                "SECRET_KEY is too short or too plain while DEBUG is off.",
                hint="Set SECRET_KEY to a random value of at least 32 characters.",
                id="helpdesk.E007",
            )
        ]
    return []
