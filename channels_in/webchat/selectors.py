"""Reads for the chat widget: availability and what one visitor may see."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import QuerySet
from django.utils import timezone

from helpdesk.accounts.selectors import agents_online
from helpdesk.contacts.models import ContactIdentity
from helpdesk.sla.businesstime import is_open
from helpdesk.sla.selectors import inbox_calendar
from helpdesk.tickets.models import Attachment, Direction, Inbox, Message, MessageKind, Ticket

ATTACHMENT_SALT = "channels_in.webchat.attachment"


def within_business_hours(*, inbox: Inbox, now: datetime | None = None) -> bool:
    """Whether ``now`` falls in the inbox's business hours (its business calendar, holidays
    closed); an inbox without one is always open."""
    return is_open(inbox_calendar(inbox), now or timezone.now())


def webchat_available(*, inbox: Inbox, now: datetime | None = None) -> bool:
    """Someone can answer now: within business hours and an agent has the inbox open."""
    if not within_business_hours(inbox=inbox, now=now):
        return False
    return agents_online(team_id=inbox.team_id).exists()


def visitor_identity(*, address: str) -> ContactIdentity | None:
    return ContactIdentity.objects.filter(kind="webchat", address=address).first()


def visitor_tickets(*, inbox: Inbox, identity: ContactIdentity) -> QuerySet[Ticket]:
    """Tickets this visitor wrote in from this widget: never the contact's other tickets."""
    return Ticket.objects.filter(
        inbox=inbox,
        pk__in=Message.objects.filter(identity=identity, direction=Direction.INBOUND).values(
            "ticket_id"
        ),
    )


def visitor_messages(
    *, inbox: Inbox, identity: ContactIdentity, after: int = 0, limit: int = 200
) -> list[dict[str, Any]]:
    messages = (
        Message.objects.filter(
            ticket__in=visitor_tickets(inbox=inbox, identity=identity),
            kind=MessageKind.MESSAGE,
            pk__gt=after,
        )
        .select_related("author", "author__agent_profile")
        .prefetch_related("attachments")
        .order_by("id")[:limit]
    )
    return [message_for_visitor(m, identity=identity) for m in messages]


def visitor_message(
    *, inbox: Inbox, identity: ContactIdentity, message_id: int
) -> dict[str, Any] | None:
    found = visitor_messages(inbox=inbox, identity=identity, after=message_id - 1, limit=1)
    return found[0] if found and found[0]["id"] == message_id else None


def _author(message: Message) -> str:
    if message.direction == Direction.INBOUND:
        return "visitor"
    return str(message.author_type)


def _author_name(message: Message) -> str:
    if message.author is None:
        return ""
    profile = getattr(message.author, "agent_profile", None)
    name = profile.name if profile else message.author.get_username()
    return name.split(" ")[0]


def attachment_url(*, attachment: Attachment, identity: ContactIdentity) -> str:
    token = signing.dumps({"a": attachment.pk, "v": identity.pk}, salt=ATTACHMENT_SALT)
    return f"{settings.PUBLIC_URL}/widget/files/{token}/"


def attachment_for_token(token: str) -> Attachment | None:
    try:
        data = signing.loads(token, salt=ATTACHMENT_SALT, max_age=30 * 24 * 3600)
    except signing.BadSignature:
        return None
    attachment = Attachment.objects.select_related("message").filter(pk=data.get("a")).first()
    if attachment is None:
        return None
    identity = ContactIdentity.objects.filter(pk=data.get("v"), kind="webchat").first()
    if identity is None or attachment.message.ticket.inbox_id is None:
        return None
    allowed = visitor_tickets(inbox=attachment.message.ticket.inbox, identity=identity)
    if not allowed.filter(pk=attachment.message.ticket_id).exists():
        return None
    return attachment


def message_for_visitor(message: Message, *, identity: ContactIdentity) -> dict[str, Any]:
    shown = _message_shown(message, identity=identity)
    if (message.metadata or {}).get("csat_stars"):
        # A satisfaction survey: the widget draws stars whose choice is sent as "1".."5".
        shown["survey"] = True
    return shown


def _message_shown(message: Message, *, identity: ContactIdentity) -> dict[str, Any]:
    return {
        "id": message.pk,
        "from": _author(message),
        "author": _author_name(message),
        "text": message.text,
        "at": message.created_at.isoformat(),
        "attachments": [
            {
                "name": a.filename,
                "type": a.content_type,
                "url": attachment_url(attachment=a, identity=identity),
            }
            for a in message.attachments.all()
        ],
        # Buttons offered with a message (the bot's quick replies): {"label", "value"}.
        "choices": [
            {"label": str(c.get("label", ""))[:80], "value": str(c.get("value", ""))[:64]}
            for c in (message.metadata or {}).get("quick_replies", [])[:6]
            if isinstance(c, dict)
        ],
    }
