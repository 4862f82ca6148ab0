from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

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
