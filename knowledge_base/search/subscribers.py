"""Indexing follows the domain events: after a message or a ticket commits, the external
search backend is told (a Celery task; the database backend needs nothing)."""

from __future__ import annotations

from helpdesk import domain_events
from helpdesk.domain_events import MessageReceived, ReplySent, TicketCreated
from knowledge_base.search import indexing


@domain_events.subscriber(MessageReceived, ReplySent)
def search_index_message(event: MessageReceived | ReplySent) -> None:
    indexing.index_now(kind="message", ids=[event.message_id])


@domain_events.subscriber(TicketCreated)
def search_index_ticket(event: TicketCreated) -> None:
    indexing.index_now(kind="ticket", ids=[event.ticket_id])
