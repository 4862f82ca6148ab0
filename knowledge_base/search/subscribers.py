"""Indexing follows the domain events: after messages or tickets commit, the external search
backend is told, one task per batch of events (a Celery task; the database backend needs
nothing)."""

from __future__ import annotations

from helpdesk import domain_events
from helpdesk.domain_events import MessageReceived, ReplySent, TicketCreated
from knowledge_base.search import indexing


@domain_events.batch_subscriber(MessageReceived, ReplySent)
def search_index_message(events: list[MessageReceived | ReplySent]) -> None:
    indexing.index_now(kind="message", ids=[event.message_id for event in events])


@domain_events.batch_subscriber(TicketCreated)
def search_index_ticket(events: list[TicketCreated]) -> None:
    indexing.index_now(kind="ticket", ids=[event.ticket_id for event in events])
