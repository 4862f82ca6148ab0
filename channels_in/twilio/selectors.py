"""Reads for the Twilio channels."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core import signing
from django.utils import timezone

from channels_in.twilio.constants import MEDIA_SALT, MEDIA_URL_MAX_AGE, WHATSAPP_WINDOW_HOURS
from helpdesk.contacts.models import ContactIdentity
from helpdesk.tickets.models import Attachment, Direction, Message

WHATSAPP_WINDOW = timedelta(hours=WHATSAPP_WINDOW_HOURS)


@dataclass(frozen=True)
class WhatsAppWindow:
    """Whether a free-form WhatsApp reply is possible now, and the templates otherwise."""

    open: bool
    closes_at: datetime | None
    templates: tuple[dict, ...]


def whatsapp_identity_window(
    *, identity: ContactIdentity, templates: Iterable[dict] = (), now: datetime | None = None
) -> WhatsAppWindow:
    """The window of one WhatsApp address: 24 hours from that customer's last WhatsApp
    message to us (a message on another channel does not open it)."""
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


def outbound_media_for_token(token: str) -> Attachment | None:
    """The attachment a signed media address names: only ever one of our replies' files."""
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
