"""Reads for the Twilio channels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core import signing
from django.utils import timezone

from helpdesk.tickets.models import Attachment, Direction, Ticket

WHATSAPP_WINDOW = timedelta(hours=24)


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
