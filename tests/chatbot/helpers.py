"""Talking to the bot the way a channel does: an InboundMessage through message_receive."""

from __future__ import annotations

import itertools

from chatbot.models import BotTurn
from helpdesk.contracts import InboundMessage, Sender
from helpdesk.tickets.models import AuthorType, Direction, Message, MessageKind, Ticket
from helpdesk.tickets.services import message_receive

_ids = itertools.count(1)


def say(
    inbox,
    address: str,
    text: str,
    *,
    capture,
    verified: bool = False,
    name: str = "",
    metadata: dict | None = None,
) -> Message | None:
    """The customer at ``address`` writes ``text``; returns the bot's reply, if any."""
    inbound = InboundMessage(
        inbox_id=inbox.pk,
        sender=Sender(kind=inbox.identity_kind, address=address, name=name, verified=verified),
        text=text,
        external_id=f"test-{next(_ids)}",
        metadata=metadata or {},
    )
    with capture(execute=True):
        result = message_receive(inbound=inbound)
    return last_bot_reply(result.ticket, after=result.message)


def last_bot_reply(ticket: Ticket, *, after: Message | None = None) -> Message | None:
    ticket = Ticket.objects.get(pk=ticket.pk)
    ticket = ticket.merged_into or ticket
    replies = Message.objects.filter(
        ticket=ticket,
        direction=Direction.OUTBOUND,
        kind=MessageKind.MESSAGE,
        author_type=AuthorType.BOT,
    )
    if after is not None:
        turn = BotTurn.objects.filter(message=after).first()
        return turn.reply if turn else None
    return replies.order_by("-created_at", "-pk").first()


def turns(ticket: Ticket) -> list[BotTurn]:
    return list(BotTurn.objects.filter(ticket=ticket).order_by("pk"))
