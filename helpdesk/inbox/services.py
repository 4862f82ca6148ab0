"""Writes of the agent workspace: canned responses, read markers, mentions, saved views."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import formats, timezone, translation

from helpdesk.channels import get_adapter
from helpdesk.inbox.models import Mention, SavedView, TicketRead
from helpdesk.tickets.events import publish
from helpdesk.tickets.models import Message, Ticket
from helpdesk.tickets.selectors import tickets_visible_to

_VARIABLE = re.compile(r"\{\{\s*([a-z_]+)\.([a-z_]+)\s*\}\}")
_MENTION = re.compile(r"(?<![\w.@])@([\w.+-]{1,150})")


def agent_group(user_id: int) -> str:
    """The Channels group of one agent's own notifications."""
    return f"agent-{user_id}"


def agent_typing_relay(*, ticket_id: int) -> None:
    """An agent types a reply: relayed to the customer where the channel can show it.

    Channels opt in with an ``agent_typing(ticket)`` method on their adapter (the chat widget
    does); for the others nothing is sent. Internal notes are never announced.
    """
    ticket = Ticket.objects.select_related("inbox").filter(pk=ticket_id).first()
    if ticket is None or ticket.inbox_id is None:
        return
    relay = getattr(get_adapter(ticket.inbox.kind), "agent_typing", None)
    if relay is not None:
        relay(ticket)


def canned_variables(*, ticket: Ticket, agent: User | None) -> dict[str, str]:
    """The values canned responses may use; nothing else of the ticket is reachable."""
    contact = ticket.contact
    name = (contact.name or "").strip()
    order = ticket.order
    shipment = None
    if order is not None:
        shipment = order.shipments.order_by("-created_at", "-id").first()
    profile = getattr(agent, "agent_profile", None) if agent else None
    # The customer reads the answer: their language, and dates with the month in words.
    language = getattr(ticket, "language", "") or contact.language or settings.LANGUAGE_CODE
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    with translation.override(language):
        return _canned_values(ticket, contact, name, order, shipment, profile)


def _canned_values(ticket, contact, name, order, shipment, profile) -> dict[str, str]:
    estimated = ""
    if shipment is not None and shipment.estimated_delivery:
        estimated = formats.date_format(shipment.estimated_delivery, "DATE_FORMAT")
    return {
        "contact.first_name": name.split()[0] if name else "",
        "contact.name": name,
        "order.number": order.number if order else "",
        "order.status": order.get_status_display() if order else "",
        "shipment.tracking_url": shipment.tracking_url if shipment else "",
        "shipment.tracking_number": shipment.tracking_number if shipment else "",
        "shipment.carrier": shipment.carrier if shipment else "",
        "shipment.estimated_delivery": estimated,
        "agent.name": profile.name if profile else "",
        "ticket.id": str(ticket.pk),
    }


def canned_render(*, text: str, ticket: Ticket, agent: User | None) -> str:
    """Fill {{ contact.first_name }}-style variables; unknown ones are left as written.

    Plain substitution, never the template engine: a canned response cannot reach anything
    but the values above.
    """
    values = canned_variables(ticket=ticket, agent=agent)

    def replace(match: re.Match) -> str:
        key = f"{match.group(1)}.{match.group(2)}"
        return values.get(key, match.group(0))

    return _VARIABLE.sub(replace, text)


def ticket_mark_read(*, ticket: Ticket, user: User) -> None:
    TicketRead.objects.update_or_create(
        user=user, ticket=ticket, defaults={"read_at": timezone.now()}
    )


def mentions_record(*, message: Message, author: User) -> list[int]:
    """Notify agents named as @username in the message text who may see its ticket.

    Returns the ids of the users notified (each gets a live ``mention`` event after commit).
    """
    names = {m.group(1).rstrip(".") for m in _MENTION.finditer(message.text or "")}
    if not names:
        return []
    users = (
        get_user_model()
        .objects.filter(username__in=names, is_active=True, agent_profile__isnull=False)
        .exclude(pk=author.pk)
    )
    notified = []
    with transaction.atomic():
        for user in users:
            if not tickets_visible_to(user).filter(pk=message.ticket_id).exists():
                continue
            _mention, created = Mention.objects.get_or_create(
                user=user, message=message, defaults={"ticket_id": message.ticket_id}
            )
            if created:
                notified.append(user.pk)
                publish(
                    [agent_group(user.pk)],
                    {
                        "type": "mention",
                        "ticket": message.ticket_id,
                        "message": message.pk,
                        "by": author.get_username(),
                    },
                )
    return notified


def mentions_unseen(*, message: Message, author: User) -> list[int]:
    """The agents named as @username in the message who cannot see its ticket: they were
    not notified, and the author is told so (and offered to assign or share the ticket)."""
    names = {m.group(1).rstrip(".") for m in _MENTION.finditer(message.text or "")}
    if not names:
        return []
    users = (
        get_user_model()
        .objects.filter(username__in=names, is_active=True, agent_profile__isnull=False)
        .exclude(pk=author.pk)
        .order_by("username")
    )
    return [
        user.pk
        for user in users
        if not tickets_visible_to(user).filter(pk=message.ticket_id).exists()
    ]


def saved_view_create(
    *, owner: User, name: str, query: dict[str, str], shared: bool = False
) -> SavedView:
    return SavedView.objects.create(owner=owner, name=name[:100], query=query, shared=shared)
