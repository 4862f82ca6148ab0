"""Which ticket an inbound message belongs to.

Rules run in order; the first that finds a ticket wins and its reason is recorded on the
message. Channels with stronger signals (email headers) add rules in front of the generic one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.db.models import Q

from helpdesk.channels import get_adapter
from helpdesk.contacts.models import Contact
from helpdesk.contracts import InboundMessage
from helpdesk.tickets.models import (
    Direction,
    Inbox,
    Message,
    ThreadingReason,
    Ticket,
    TicketStatus,
)

Rule = Callable[..., Ticket | None]


def _followed_ticket(ticket: Ticket) -> Ticket:
    """A merged ticket's messages continue in the ticket it was merged into."""
    seen = {ticket.pk}
    while ticket.merged_into_id and ticket.merged_into_id not in seen:
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
        seen.add(ticket.pk)
    return ticket


def by_reply_headers(
    *, inbound: InboundMessage, inbox: Inbox, contact: Contact, now: datetime
) -> Ticket | None:
    """The message answers one of ours or of the customer's earlier messages in this inbox."""
    if not inbound.in_reply_to:
        return None
    earlier = (
        Message.objects.filter(inbox=inbox, external_id__in=list(inbound.in_reply_to))
        .select_related("ticket")
        .order_by("-created_at")
        .first()
    )
    return reply_ticket(earlier=earlier, contact=contact)


def reply_ticket(*, earlier: Message | None, contact: Contact) -> Ticket | None:
    """The ticket a reply to ``earlier`` (the newest message it names) joins, if any."""
    if earlier is None:
        return None
    ticket = _followed_ticket(earlier.ticket)
    # Someone else replying to a message they were sent (a forwarded mail, a CC) is threaded
    # only when the original went to or came from the same contact.
    if (
        ticket.contact_id != contact.pk
        and not earlier.ticket.messages.filter(
            direction=Direction.INBOUND, identity__contact=contact
        ).exists()
    ):
        return None
    return ticket


def by_reopen_window(
    *, inbound: InboundMessage, inbox: Inbox, contact: Contact, now: datetime
) -> Ticket | None:
    """The contact's latest ticket in this inbox, if it saw activity within the window."""
    ticket = (
        Ticket.objects.filter(contact=contact, inbox=inbox, merged_into__isnull=True)
        .exclude(status=TicketStatus.CLOSED)
        .filter(Q(last_message_at__gte=now - inbox.reopen_window))
        .order_by("-last_message_at", "-id")
        .first()
    )
    return ticket


RULES: list[tuple[Rule, str]] = [
    (by_reply_headers, ThreadingReason.REPLY_HEADERS),
    (by_reopen_window, ThreadingReason.REOPEN_WINDOW),
]


def _kind_rules(kind: str) -> list[tuple[Rule, str]]:
    """The channel's own rules (its adapter's ``threading_rules``: email's subject token), run
    after the reply headers and before the reopen window."""
    try:
        adapter = get_adapter(kind)
    except LookupError:
        return []
    return list(getattr(adapter, "threading_rules", ()))


def ticket_for_inbound(
    *,
    inbound: InboundMessage,
    inbox: Inbox,
    contact: Contact,
    now: datetime,
    recent: Rule | None = None,
    replied: Rule | None = None,
) -> tuple[Ticket | None, str]:
    """``recent`` and ``replied``: what ``by_reopen_window`` and ``by_reply_headers`` would
    find, answered from memory by a caller receiving a batch (it reads the messages the batch
    names and the contacts' latest tickets once, and keeps them as the batch goes).

    A channel that doubts who sent a message (mail failing its sender's SPF and DMARC) sets
    ``metadata["own_ticket"]``: it then opens a ticket of its own, never joining one.
    """
    if inbound.metadata.get("own_ticket"):
        return None, ThreadingReason.NEW_TICKET
    rules = [RULES[0], *_kind_rules(inbox.kind), *RULES[1:]]
    for rule, reason in rules:
        if rule is by_reopen_window and recent is not None:
            rule = recent
        elif rule is by_reply_headers and replied is not None:
            rule = replied
        ticket = rule(inbound=inbound, inbox=inbox, contact=contact, now=now)
        if ticket is not None:
            return ticket, reason
    return None, ThreadingReason.NEW_TICKET
