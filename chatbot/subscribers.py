"""How the bot plugs into the core: a registered conversation handler, and a subscriber that
gives new conversations on the inboxes it answers to the bot."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def on_message_received(event) -> None:
    """A customer's first message opened a ticket: on an inbox the bot answers, the bot owns
    the conversation from now on and takes its turn."""
    from chatbot.handler import take_turn, ticket_start_with_bot
    from helpdesk.tickets.models import Ticket

    if not getattr(event, "created_ticket", False):
        return
    ticket = Ticket.objects.select_related("inbox").filter(pk=event.ticket_id).first()
    if ticket is None:
        return
    if not ticket_start_with_bot(ticket=ticket):
        return
    # Whichever of this subscriber and the core's handler dispatch runs second finds the turn
    # taken (one turn per message).
    try:
        take_turn(ticket_id=ticket.pk, message_id=event.message_id)
    except Exception:
        from chatbot.handler import ticket_give_to_agents

        ticket_give_to_agents(ticket=ticket, reason="handler_error")
        raise


def on_reply_sent(event) -> None:
    """An agent answered a conversation the bot had: the agent has taken it over."""
    from chatbot.handler import ticket_give_to_agents
    from helpdesk.tickets.models import Handler, Ticket

    author_id = getattr(event, "author_id", None)
    if author_id is None:
        return
    ticket = Ticket.objects.filter(pk=event.ticket_id, handler=Handler.BOT).first()
    if ticket is None:
        return
    from django.contrib.auth import get_user_model

    actor = get_user_model().objects.filter(pk=author_id).first()
    ticket_give_to_agents(ticket=ticket, reason="agent_took_over", actor=actor)


def register() -> None:
    from chatbot.handler import BotHandler
    from helpdesk import conversation, domain_events

    conversation.register_handler("bot", BotHandler())
    domain_events.subscriber(domain_events.MessageReceived)(on_message_received)
    domain_events.subscriber(domain_events.ReplySent)(on_reply_sent)
