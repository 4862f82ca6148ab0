from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from helpdesk.channels import get_adapter
from helpdesk.contacts.models import IdentityKind
from helpdesk.inbox.event_words import event_words
from helpdesk.tickets.models import InboxKind

register = template.Library()


@register.filter
def event_text(metadata: dict[str, Any]) -> SafeString:
    """``{{ message.metadata|event_text }}``: the event in the reader's words."""
    return event_words(metadata)


@register.filter
def channel_name(kind: str) -> str:
    """``{{ "phone"|channel_name }}``: an inbox or identity kind in the reader's words."""
    for choices in (InboxKind, IdentityKind):
        try:
            return str(choices(kind).label)
        except ValueError:
            continue
    return str(kind)


@register.filter
def channel_icon(kind: str) -> str:
    """The ui.css icon class of a channel (``ui-channel-sms`` for SMS and phone)."""
    return "sms" if kind in {"sms", "phone"} else str(kind)


@register.simple_tag
def message_links(message: Any) -> list[tuple[str, str]]:
    """``{% message_links message as links %}``: the (url, label) pairs the message's channel
    adds under it (email: the formatted original). The core names no channel: each adapter
    owns its own links (``message_links(message)``, optional)."""
    if not message.inbox_id:
        return []
    try:
        adapter = get_adapter(message.inbox.kind)
    except LookupError:
        return []
    links = getattr(adapter, "message_links", None)
    return list(links(message)) if links is not None else []


@register.filter
def country_name(code: str) -> str:
    """``{{ "DE"|country_name }}``: an ISO 3166 country code in the reader's language
    ("Germany", "Allemagne"); an unknown code stays as it is."""
    return country_in_words(code)


def country_in_words(code: str, language: str | None = None) -> str:
    from babel import Locale, UnknownLocaleError

    code = (code or "").upper()
    if not code:
        return ""
    try:
        locale = Locale.parse((language or get_language() or "en").replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        locale = Locale("en")
    return str(locale.territories.get(code, code))
