"""Live events to agents' browsers through the Channels layer, sent after commit.

Events are plain JSON-able dicts (they cross Redis), never model instances.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def inbox_group(inbox_id: int) -> str:
    return f"inbox-{inbox_id}"


def ticket_group(ticket_id: int) -> str:
    return f"ticket-{ticket_id}"


def publish(groups: list[str], event: dict[str, Any]) -> None:
    """Send ``event`` to ``groups`` once the current transaction commits."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        payload = {"type": "helpdesk.event", "event": event}
        for group in groups:
            try:
                async_to_sync(layer.group_send)(group, payload)
            except Exception:
                # A live update is a convenience: the data is committed and the next page
                # load shows it. Never fail the write because the layer is unreachable.
                logger.exception("Could not publish %s to %s", event.get("type"), group)

    transaction.on_commit(send)


def message_event(message, *, created_ticket: bool = False) -> None:
    ticket = message.ticket
    groups = [ticket_group(ticket.pk)]
    if ticket.inbox_id:
        groups.append(inbox_group(ticket.inbox_id))
    publish(
        groups,
        {
            "type": "message.created",
            "ticket": ticket.pk,
            "message": message.pk,
            "inbox": ticket.inbox_id,
            "direction": message.direction,
            "kind": message.kind,
            "new_ticket": created_ticket,
        },
    )


def ticket_event(ticket, *, change: str) -> None:
    publish(
        [ticket_group(ticket.pk), inbox_group(ticket.inbox_id)],
        {"type": "ticket.updated", "ticket": ticket.pk, "inbox": ticket.inbox_id, "change": change},
    )


def delivery_event(message) -> None:
    publish(
        [ticket_group(message.ticket_id)],
        {
            "type": "message.delivery",
            "ticket": message.ticket_id,
            "message": message.pk,
            "state": message.delivery_state,
        },
    )
