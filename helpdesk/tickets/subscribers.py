"""The core's own subscribers to domain events (registered by TicketsConfig.ready)."""

from __future__ import annotations

import logging

from django.db import transaction

from helpdesk import conversation, domain_events
from helpdesk.domain_events import MessageClaimed, MessageReceived
from helpdesk.tickets import events
from helpdesk.tickets.models import Direction, Handler, MessageKind, Ticket
from helpdesk.tickets.services.handover import ticket_hand_over

logger = logging.getLogger(__name__)


@domain_events.batch_subscriber(MessageReceived)
def conversation_take_turn(received: list[MessageReceived]) -> None:
    """The tickets' owners, read once after the messages committed, take their turns: a batch
    of mail on tickets the agents own costs one query. A handler that raises is recorded and
    the agents get the ticket."""
    owned = {
        ticket.pk: ticket
        for ticket in Ticket.objects.filter(pk__in={e.ticket_id for e in received})
        .exclude(handler=Handler.AGENTS)
        .only("pk", "handler")
    }
    for event in received:
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


@domain_events.batch_subscriber(MessageReceived, MessageClaimed)
def messages_announce(received: list[MessageReceived | MessageClaimed]) -> None:
    """Live ``message.created`` events for the customers' messages a commit stored: one read
    of their tickets (team and assignee as committed, for who may see them), one trip to the
    channel layer."""
    tickets = {
        t["pk"]: t
        for t in Ticket.objects.filter(pk__in={e.ticket_id for e in received}).values(
            "pk", "team_id", "assignee_id", "inbox_id"
        )
    }
    with events.batched():
        for event in received:
            ticket = tickets.get(event.ticket_id)
            if ticket is None:
                continue
            events.message_created_publish(
                ticket_id=event.ticket_id,
                inbox_id=ticket["inbox_id"],
                team_id=ticket["team_id"],
                assignee_id=ticket["assignee_id"],
                message_id=event.message_id,
                direction=Direction.INBOUND,
                kind=MessageKind.MESSAGE,
                created_ticket=isinstance(event, MessageReceived) and event.created_ticket,
            )
