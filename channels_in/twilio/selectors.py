"""Reads for the Twilio channels."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core import signing
from django.utils import timezone

from helpdesk.tickets.models import Attachment, Direction, Inbox, Ticket

WHATSAPP_WINDOW = timedelta(hours=24)
# How long a process answers webhooks from what it last read of an inbox: disabling an inbox
# or changing its webhook key takes effect within this many seconds.
WEBHOOK_INBOX_TTL = 10.0
_webhook_inboxes: dict[tuple[str, tuple[str, ...]], tuple[float, Inbox]] = {}


@dataclass(frozen=True)
class WhatsAppWindow:
    """Whether a free-form WhatsApp reply is possible now, and the templates otherwise."""

    open: bool
    closes_at: datetime | None
    templates: tuple[dict, ...]


def whatsapp_window(*, ticket: Ticket, now: datetime | None = None) -> WhatsAppWindow:
    """WhatsApp's customer-service window: 24 hours from the customer's last message."""
    now = now or timezone.now()
    templates = tuple(ticket.inbox.config.get("templates", []))
    last = ticket.last_inbound_at
    if last is None:
        return WhatsAppWindow(open=False, closes_at=None, templates=templates)
    closes_at = last + WHATSAPP_WINDOW
    return WhatsAppWindow(open=now < closes_at, closes_at=closes_at, templates=templates)


def whatsapp_identity_window(
    *, identity, templates: Iterable[dict] = (), now: datetime | None = None
) -> WhatsAppWindow:
    """The window of one WhatsApp address: 24 hours from that customer's last WhatsApp
    message to us (a message on another channel does not open it)."""
    from helpdesk.tickets.models import Message

    now = now or timezone.now()
    last = (
        Message.objects.filter(direction=Direction.INBOUND, identity=identity)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last is None:
        return WhatsAppWindow(open=False, closes_at=None, templates=tuple(templates))
    closes_at = last + WHATSAPP_WINDOW
    return WhatsAppWindow(open=now < closes_at, closes_at=closes_at, templates=tuple(templates))


def inbox_for_webhook(*, webhook_key: str, kinds: Iterable[str]) -> Inbox | None:
    """The enabled inbox of one of ``kinds`` a webhook address names, read at most every
    ``WEBHOOK_INBOX_TTL`` seconds per process: a query less on every webhook."""
    key = (webhook_key, tuple(kinds))
    now = time.monotonic()
    cached = _webhook_inboxes.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    inbox = Inbox.objects.filter(webhook_key=webhook_key, kind__in=key[1], enabled=True).first()
    if inbox is None:
        _webhook_inboxes.pop(key, None)
    else:
        _webhook_inboxes[key] = (now + WEBHOOK_INBOX_TTL, inbox)
    return inbox


def outbound_media_for_token(token: str) -> Attachment | None:
    """The attachment a signed media address names: only ever one of our replies' files."""
    from channels_in.twilio.adapter import MEDIA_SALT, MEDIA_URL_MAX_AGE

    try:
        data = signing.loads(token, salt=MEDIA_SALT, max_age=MEDIA_URL_MAX_AGE)
        message_id, index = int(data["m"]), int(data["i"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    return (
        Attachment.objects.filter(message_id=message_id, message__direction=Direction.OUTBOUND)
        .order_by("pk")[index : index + 1]
        .first()
    )
