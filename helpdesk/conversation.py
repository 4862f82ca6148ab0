"""Who answers a conversation, and who may see an inbound message first.

Handlers. ``Ticket.handler`` names who owns the conversation: "agents" (the built-in default)
or another registered handler such as the bot. After a received message commits, the core asks
the ticket's handler to take its turn (``helpdesk.tickets.subscribers``)::

    conversation.register_handler("bot", BotHandler())   # from the feature's AppConfig.ready()

A handler replies through the ordinary outbound services and gives the conversation back with
``helpdesk.tickets.services.ticket_hand_over(ticket=..., reason=...)``, which records why and
when. A handler that raises is recorded as a subscriber failure and the ticket goes to the
agents, so a customer is never left with a broken handler.

Inbound interceptors see each inbound message after its sender is known and before it is
threaded. One may claim the message for a ticket (return that ticket): the message is stored
on it without reopening it, starting clocks, running rules or giving any handler a turn, and a
``MessageClaimed`` event follows. Return None to let the message take the ordinary path::

    conversation.register_inbound_interceptor(survey_answer_claim, name="csat")

The core never imports the features that register here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from helpdesk.contacts.models import Contact
    from helpdesk.contracts import InboundMessage
    from helpdesk.tickets.models import Inbox, Ticket

logger = logging.getLogger(__name__)

AGENTS = "agents"


@runtime_checkable
class ConversationHandler(Protocol):
    def take_turn(self, *, ticket_id: int, message_id: int) -> None:
        """A customer message was stored on a ticket this handler owns: answer or hand over."""
        ...


class AgentsHandler:
    """The default: people answer from the workspace, which the live events already updated."""

    def take_turn(self, *, ticket_id: int, message_id: int) -> None:
        return None


_HANDLERS: dict[str, ConversationHandler] = {AGENTS: AgentsHandler()}


def register_handler(name: str, handler: ConversationHandler) -> None:
    if not isinstance(handler, ConversationHandler):
        raise TypeError(f"{handler!r} has no take_turn(ticket_id=..., message_id=...)")
    _HANDLERS[name] = handler


def unregister_handler(name: str) -> None:
    if name != AGENTS:
        _HANDLERS.pop(name, None)


def get_handler(name: str) -> ConversationHandler:
    """The named handler; the agents' for a name nobody registered (a feature turned off)."""
    handler = _HANDLERS.get(name)
    if handler is None:
        logger.warning("No conversation handler %r is registered: the agents answer", name)
        return _HANDLERS[AGENTS]
    return handler


def handler_registered(name: str) -> bool:
    return name in _HANDLERS


Interceptor = Callable[..., "Ticket | None"]

_INTERCEPTORS: dict[str, Interceptor] = {}


def register_inbound_interceptor(fn: Interceptor, *, name: str = "") -> None:
    """``fn(*, inbound: InboundMessage, inbox: Inbox, contact: Contact) -> Ticket | None``.

    Runs inside the receive transaction, once per new message (never for a repeated
    delivery), in registration order; the first to return a ticket claims the message. It
    must be quick and must not call the network. Raising refuses the message like any error
    of the receive path."""
    _INTERCEPTORS[name or f"{fn.__module__}.{fn.__qualname__}"] = fn


def unregister_inbound_interceptor(name: str) -> None:
    _INTERCEPTORS.pop(name, None)


def inbound_claim(
    *, inbound: InboundMessage, inbox: Inbox, contact: Contact
) -> tuple[str, Ticket] | None:
    """The first interceptor's claim on the message, as (its name, the ticket), or None."""
    for name, fn in list(_INTERCEPTORS.items()):
        ticket = fn(inbound=inbound, inbox=inbox, contact=contact)
        if ticket is not None:
            return name, ticket
    return None
