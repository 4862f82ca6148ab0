"""The conversation changes hands (helpdesk.conversation): the bot to the agents, or back."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from helpdesk import domain_events
from helpdesk.tickets import events
from helpdesk.tickets.models import Handler, Ticket
from helpdesk.tickets.services.common import ticket_event_record


def ticket_hand_over(
    *,
    ticket: Ticket,
    reason: str,
    to: str = Handler.AGENTS,
    actor: User | None = None,
) -> Ticket:
    """Give the conversation to ``to`` (the agents unless told), recording why and when.

    Saves only the hand-over fields, under the ticket's row lock, so a message received at
    the same moment keeps its own changes. Handing to the current owner changes nothing.
    """
    with transaction.atomic():
        locked = (
            Ticket.objects.select_for_update()
            .only("pk", "handler", "handed_over_at", "handover_reason")
            .get(pk=ticket.pk)
        )
        old = locked.handler
        if old == to:
            return ticket
        now = timezone.now()
        reason = (reason or "")[:255]
        Ticket.objects.filter(pk=ticket.pk).update(
            handler=to, handed_over_at=now, handover_reason=reason, updated_at=now
        )
        ticket.handler, ticket.handed_over_at, ticket.handover_reason = to, now, reason
        ticket_event_record(
            ticket, actor=actor, event="handover", reason=reason, **{"from": old, "to": to}
        )
        domain_events.emit(
            domain_events.TicketHandedOver(
                ticket_id=ticket.pk,
                reason=reason,
                from_handler=old,
                to_handler=to,
                actor_id=actor.pk if actor else None,
            )
        )
        events.ticket_event(ticket, change="handler")
    return ticket
