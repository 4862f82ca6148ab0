"""Live events to agents' browsers through the Channels layer, sent after commit.

Events are plain JSON-able dicts (they cross Redis), never model instances.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def inbox_group(inbox_id: int) -> str:
    return f"inbox-{inbox_id}"


def ticket_group(ticket_id: int) -> str:
    return f"ticket-{ticket_id}"


_batch: contextvars.ContextVar[list[tuple[list[str], dict]] | None] = contextvars.ContextVar(
    "events_batch", default=None
)


def publish(groups: list[str], event: dict[str, Any]) -> None:
    """Send ``event`` to ``groups`` once the current transaction commits."""
    pending = _batch.get()
    if pending is not None:
        pending.append((groups, event))
        return
    transaction.on_commit(lambda: _send([(groups, event)]))


@contextmanager
def batched() -> Iterator[None]:
    """Events published inside go out together after commit, in one trip to the layer."""
    if _batch.get() is not None:
        yield
        return
    pending: list[tuple[list[str], dict]] = []
    token = _batch.set(pending)
    try:
        yield
    finally:
        _batch.reset(token)
    if pending:
        transaction.on_commit(lambda: _send(pending))


# While the layer fails (Redis down or hung), live updates are skipped for a few seconds rather
# than holding every request that publishes one for the layer's timeout; all of them together
# wait at most LAYER_DEADLINE_SECONDS.
LAYER_DEADLINE_SECONDS = 1.0
LAYER_PAUSE_SECONDS = 5.0
_layer_paused_until = 0.0


def _send(items: list[tuple[list[str], dict]]) -> None:
    global _layer_paused_until
    layer = get_channel_layer()
    if layer is None:
        return
    if time.monotonic() < _layer_paused_until:
        logger.warning("Live updates skipped: the channel layer failed moments ago")
        return
    failed = False

    async def send_all() -> None:
        nonlocal failed
        for groups, event in items:
            payload = {"type": "helpdesk.event", "event": event}
            for group in groups:
                try:
                    await layer.group_send(group, payload)
                except Exception:
                    # A live update is a convenience: the data is committed and the next page
                    # load shows it. Never fail the write because the layer is unreachable.
                    failed = True
                    logger.exception("Could not publish %s to %s", event.get("type"), group)
                    return

    async def bounded() -> None:
        nonlocal failed
        try:
            await asyncio.wait_for(send_all(), LAYER_DEADLINE_SECONDS)
        except TimeoutError:
            failed = True
            logger.warning("Live updates dropped: the channel layer did not answer in time")

    async_to_sync(bounded)()
    if failed:
        _layer_paused_until = time.monotonic() + LAYER_PAUSE_SECONDS


def message_event(message, *, created_ticket: bool = False) -> None:
    """Announce a stored message, after the commit of the transaction that stored it."""
    ticket = message.ticket
    message_created_publish(
        ticket_id=ticket.pk,
        inbox_id=ticket.inbox_id,
        team_id=ticket.team_id,
        assignee_id=ticket.assignee_id,
        message_id=message.pk,
        direction=message.direction,
        kind=message.kind,
        created_ticket=created_ticket,
    )


def message_created_publish(
    *,
    ticket_id: int,
    inbox_id: int | None,
    team_id: int | None,
    assignee_id: int | None,
    message_id: int,
    direction: str,
    kind: str,
    created_ticket: bool,
) -> None:
    groups = [ticket_group(ticket_id)]
    if inbox_id:
        groups.append(inbox_group(inbox_id))
    publish(
        groups,
        {
            "type": "message.created",
            "ticket": ticket_id,
            "team": team_id,
            "assignee": assignee_id,
            "message": message_id,
            "inbox": inbox_id,
            "direction": str(direction),
            "kind": str(kind),
            "new_ticket": created_ticket,
        },
    )


def ticket_event(ticket, *, change: str) -> None:
    publish(
        [ticket_group(ticket.pk), inbox_group(ticket.inbox_id)],
        {
            "type": "ticket.updated",
            "ticket": ticket.pk,
            "inbox": ticket.inbox_id,
            "change": change,
            # Who may see it: agents of another team watching the inbox must not.
            "team": ticket.team_id,
            "assignee": ticket.assignee_id,
        },
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
