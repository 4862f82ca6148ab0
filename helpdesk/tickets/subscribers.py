"""The core's own subscribers to domain events (registered by TicketsConfig.ready)."""

from __future__ import annotations

import logging

from django.db import transaction

from helpdesk import conversation, domain_events
from helpdesk.domain_events import MessageReceived
from helpdesk.tickets.models import Handler, Ticket
from helpdesk.tickets.services.handover import ticket_hand_over

logger = logging.getLogger(__name__)


@domain_events.subscriber(MessageReceived)
def conversation_take_turn(event: MessageReceived) -> None:
    """The ticket's owner, read after the message committed, takes its turn. A handler that
    raises is recorded and the agents get the ticket."""
    ticket = Ticket.objects.filter(pk=event.ticket_id).only("pk", "handler").first()
    if ticket is None or ticket.handler == Handler.AGENTS:
        return
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
