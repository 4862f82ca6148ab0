"""The core's own subscribers to domain events (registered by TicketsConfig.ready)."""

from __future__ import annotations

import logging

from django.db import transaction

from helpdesk import conversation, domain_events
from helpdesk.domain_events import MessageReceived
from helpdesk.tickets.models import Handler, Ticket
from helpdesk.tickets.services.handover import ticket_hand_over

logger = logging.getLogger(__name__)


@domain_events.subscriber(MessageReceived, batch=True)
def conversation_take_turn(events: list[MessageReceived]) -> None:
    """The tickets' owners, read once after the messages committed, take their turns: a batch
    of mail on tickets the agents own costs one query. A handler that raises is recorded and
    the agents get the ticket."""
    owned = {
        ticket.pk: ticket
        for ticket in Ticket.objects.filter(pk__in={e.ticket_id for e in events})
        .exclude(handler=Handler.AGENTS)
        .only("pk", "handler")
    }
    for event in events:
        ticket = owned.get(event.ticket_id)
        if ticket is not None and ticket.handler != Handler.AGENTS:
            _take_turn(ticket, event)


def _take_turn(ticket: Ticket, event: MessageReceived) -> None:
    name = ticket.handler
    try:
        with transaction.atomic():
            conversation.get_handler(name).take_turn(
                ticket_id=event.ticket_id, message_id=event.message_id
            )
    except Exception as exc:
        logger.exception("Conversation handler %r failed on ticket %s", name, event.ticket_id)
        domain_events.failure_record(
            subscriber=f"conversation handler {name}",
            payload=domain_events.event_to_json(event),
            error=exc,
        )
        ticket_hand_over(ticket=ticket, reason="handler_error")
