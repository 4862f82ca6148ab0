"""How the bot plugs into the core: a registered conversation handler, and a subscriber that
gives new conversations on the inboxes it answers to the bot.

Neither loads the bot's language model until the bot has a turn to take: a process that only
stores mail (an import, the mail poller) never pays for it."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model

from chatbot.selectors import bot_answers
from helpdesk import conversation, domain_events
from helpdesk.tickets.models import Handler, Ticket

logger = logging.getLogger(__name__)


class LazyBotHandler:
    """The bot's conversation handler, imported on its first turn (``chatbot.handler`` brings
    the language model and scikit-learn, two seconds of start-up for every process)."""

    name = "bot"

    def take_turn(self, *, ticket_id: int, message_id: int) -> None:
        from chatbot.handler import take_turn

        take_turn(ticket_id=ticket_id, message_id=message_id)


def on_messages_received(events: list) -> None:
    """Customers' first messages opened tickets: on an inbox the bot answers, the bot owns the
    conversation from now on and takes its turn, for that message and for any later one of
    the same batch on that ticket. Whether the bot answers is read once per inbox."""
    created = {e.ticket_id for e in events if getattr(e, "created_ticket", False)}
    if not created:
        return
    tickets = Ticket.objects.select_related("inbox").in_bulk(created)
    answers: dict[int, bool] = {}
    started: set[int] = set()
    for event in events:
        ticket = tickets.get(event.ticket_id)
        if ticket is None:
            continue
        if event.ticket_id not in started:
            if not event.created_ticket:
                continue
            if ticket.handler != Handler.BOT:
                if ticket.inbox_id not in answers:
                    answers[ticket.inbox_id] = bot_answers(ticket.inbox)
                if not answers[ticket.inbox_id]:
                    continue
            from chatbot.handler import ticket_start_with_bot

            if not ticket_start_with_bot(ticket=ticket):
                continue
            started.add(event.ticket_id)
        # Whichever of this subscriber and the core's handler dispatch runs second finds the
        # turn taken (one turn per message).
        try:
            LazyBotHandler().take_turn(ticket_id=ticket.pk, message_id=event.message_id)
        except Exception as exc:
            from chatbot.handler import ticket_give_to_agents

            logger.exception("The bot failed on ticket %s", ticket.pk)
            domain_events.failure_record(
                subscriber=f"{__name__}.on_messages_received",
                payload=domain_events.event_to_json(event),
                error=exc,
            )
            ticket_give_to_agents(ticket=ticket, reason="handler_error")
            started.discard(event.ticket_id)
            tickets.pop(event.ticket_id, None)


def on_reply_sent(event) -> None:
    """An agent answered a conversation the bot had: the agent has taken it over."""
    author_id = getattr(event, "author_id", None)
    if author_id is None:
        return
    ticket = Ticket.objects.filter(pk=event.ticket_id, handler=Handler.BOT).first()
    if ticket is None:
        return
    from chatbot.handler import ticket_give_to_agents

    actor = get_user_model().objects.filter(pk=author_id).first()
    ticket_give_to_agents(ticket=ticket, reason="agent_took_over", actor=actor)


def register() -> None:
    conversation.register_handler("bot", LazyBotHandler())
    domain_events.batch_subscriber(domain_events.MessageReceived)(on_messages_received)
    domain_events.subscriber(domain_events.ReplySent)(on_reply_sent)
