"""The bot as a conversation handler of the core: it takes its turn after a customer's message
on a ticket it owns, replies through the ordinary outbound pipeline, and hands over to agents."""

from __future__ import annotations

import contextlib
import logging
import time

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import translation
from django.utils.translation import gettext as _

from chatbot.dialogue.engine import Outcome, Turn
from chatbot.dialogue.orders import delay_notice_ticket
from chatbot.dialogue.replies import reply_render
from chatbot.labels import INTENT_LABELS, LANGUAGE_LABELS
from chatbot.models import (
    BotConversation,
    BotTurn,
    ConversationState,
    HandoverReason,
    TurnOutcome,
)
from chatbot.nlu import message_understand
from chatbot.selectors import bot_answers
from helpdesk.tickets.models import (
    AuthorType,
    DeliveryState,
    Direction,
    Handler,
    Message,
    MessageKind,
    Ticket,
)
from helpdesk.tickets.services import (
    message_reply,
    ticket_hand_over,
    ticket_link_order,
    ticket_merge,
)

logger = logging.getLogger(__name__)

TRANSCRIPT_MESSAGES = 30


def _language_hint(ticket: Ticket, conversation: BotConversation) -> str | None:
    return conversation.language or ticket.language or ticket.contact.language or None


def transcript(ticket: Ticket) -> list[dict[str, str]]:
    """The conversation so far, oldest first: who said what."""
    messages = (
        Message.objects.filter(ticket=ticket, kind=MessageKind.MESSAGE)
        .order_by("-created_at", "-pk")
        .values("author_type", "text", "created_at")[:TRANSCRIPT_MESSAGES]
    )
    return [
        {
            "who": row["author_type"],
            "text": row["text"],
            "at": row["created_at"].isoformat() if row["created_at"] else "",
        }
        for row in reversed(list(messages))
    ]


def _reason_label(reason: str) -> str:
    try:
        return str(HandoverReason(reason).label)
    except ValueError:
        return reason


def handover_summary_text(conversation: BotConversation, *, intent: str, language: str) -> str:
    order = conversation.verified_order or conversation.order
    lines = [
        _("The bot handed this conversation over: %(reason)s.")
        % {"reason": _reason_label(conversation.handover_reason)},
        _("Intent: %(intent)s · Language: %(language)s") % {"intent": intent, "language": language},
        _("Order: %(order)s · Verification: %(verification)s")
        % {
            "order": order.number if order else "—",
            "verification": conversation.get_verification_display(),
        },
    ]
    return "\n".join(lines)


def _labels(conversation: BotConversation, *, intent: str, language: str) -> dict[str, str]:
    """The codes in words, in English: the ticket page translates them for each agent."""
    with translation.override("en"):
        return {
            "reason": _reason_label(conversation.handover_reason),
            "intent": str(INTENT_LABELS.get(intent, intent)),
            "language": str(LANGUAGE_LABELS.get(language, language)),
            "verification": str(conversation.get_verification_display()),
        }


def _hand_over(
    *, ticket: Ticket, conversation: BotConversation, reason: str, intent: str, language: str
) -> None:
    """Give the ticket to the agents, with a note carrying what the bot learnt."""
    summary = handover_summary_text(conversation, intent=intent, language=language)
    known = conversation.verified_order or conversation.order
    metadata = {
        "event": "bot_handover",
        "reason": reason,
        "intent": intent,
        "language": language,
        "order": known.number if known is not None else "",
        "verification": conversation.verification,
        "labels": _labels(conversation, intent=intent, language=language),
        "transcript": transcript(ticket),
    }
    Message.objects.create(
        ticket=ticket,
        direction=Direction.OUTBOUND,
        kind=MessageKind.NOTE,
        author_type=AuthorType.BOT,
        text=summary,
        delivery_state=DeliveryState.RECEIVED,
        metadata=metadata,
    )
    ticket_give_to_agents(ticket=ticket, reason=reason)


def ticket_give_to_agents(*, ticket: Ticket, reason: str, actor=None) -> None:

    ticket_hand_over(ticket=ticket, reason=reason, actor=actor)


def _is_channel_command(message: Message) -> bool:
    """A channel's own command, answered by the channel (Telegram's ``/start`` link)."""
    metadata = message.metadata or {}
    return bool(metadata.get("link_token")) or (message.text or "").startswith("/start")


def take_turn(*, ticket_id: int, message_id: int) -> BotTurn | None:
    """Answer the customer's message ``message_id`` on ``ticket_id``, once.

    Does nothing when the ticket is not the bot's (an agent took it over), when the message is
    not a customer's, or when this message already had its turn.
    """
    started = time.perf_counter()
    with transaction.atomic():
        # One statement each for the ticket (with its conversation) and the message (with its
        # inbox's bot settings and whether it already had its turn): a turn's reads are few.
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("contact", "inbox", "bot_conversation")
            .filter(pk=ticket_id)
            .first()
        )
        if ticket is None or ticket.handler != Handler.BOT:
            return None
        message = (
            Message.objects.select_related("identity", "inbox", "inbox__bot_settings")
            .annotate(answered=Exists(BotTurn.objects.filter(message=OuterRef("pk"))))
            .filter(pk=message_id, ticket=ticket)
            .first()
        )
        if (
            message is None
            or message.direction != Direction.INBOUND
            or message.kind != MessageKind.MESSAGE
            or message.answered
            or _is_channel_command(message)
        ):
            return None
        try:
            conversation = ticket.bot_conversation
        except BotConversation.DoesNotExist:
            # The ticket's row is locked: no other turn creates it meanwhile.
            conversation = BotConversation.objects.create(ticket=ticket)
        if conversation.state == ConversationState.HANDED_OVER:
            return None
        inbox = message.inbox or ticket.inbox
        if not bot_answers(inbox):
            return None
        understanding = message_understand(
            message.text or "", language_hint=_language_hint(ticket, conversation)
        )
        language = understanding.language
        conversation.language = language
        conversation.last_intent = understanding.intent
        with translation.override(language):
            turn = Turn(ticket=ticket, message=message, conversation=conversation)
            outcome: Outcome = turn.run(understanding)
            reply_message = None
            if outcome.reply is not None:
                rendered = reply_render(outcome.reply, channel=inbox.kind)
                reply_message = message_reply(
                    ticket=ticket,
                    text=rendered.text,
                    author_type=AuthorType.BOT,
                    identity=message.identity,
                    inbox=inbox,
                    metadata=rendered.metadata,
                )
            conversation.save()
            record = BotTurn.objects.create(
                ticket=ticket,
                message=message,
                reply=reply_message,
                inbox=inbox,
                channel=inbox.kind,
                intent=understanding.intent,
                confidence=understanding.confidence,
                language=language,
                outcome=outcome.outcome,
                handover_reason=outcome.reason,
                order=outcome.order,
                duration_ms=(time.perf_counter() - started) * 1000,
            )
            if not ticket.language:
                Ticket.objects.filter(pk=ticket.pk).update(language=language)
                ticket.language = language
            if outcome.outcome == TurnOutcome.HANDED_OVER:
                _hand_over(
                    ticket=ticket,
                    conversation=conversation,
                    reason=outcome.reason,
                    intent=understanding.intent,
                    language=language,
                )
            elif outcome.outcome == TurnOutcome.VERIFIED and outcome.order is not None:
                _join_delay_notice(ticket=ticket, order=outcome.order)
    return record


def _join_delay_notice(*, ticket: Ticket, order) -> None:
    """A delay notice already went out for this order: this conversation joins its ticket."""

    notice_ticket = delay_notice_ticket(order)
    if order.contact_id == ticket.contact_id and ticket.order_id != order.pk:
        with contextlib.suppress(ValueError):
            ticket_link_order(ticket=ticket, order=order)
    if notice_ticket is None or notice_ticket.pk == ticket.pk or notice_ticket.merged_into_id:
        return
    if notice_ticket.contact_id != ticket.contact_id:
        return
    try:
        ticket_merge(source=ticket, target=notice_ticket)
    except (ValueError, IntegrityError):
        logger.warning(
            "could not join ticket %s to delay notice ticket %s", ticket.pk, notice_ticket.pk
        )


def ticket_start_with_bot(*, ticket: Ticket) -> bool:
    """A new conversation on an inbox the bot answers starts as the bot's."""
    inbox = ticket.inbox
    if ticket.handler == Handler.BOT or not bot_answers(inbox):
        return ticket.handler == Handler.BOT
    if ticket.assignee_id is not None:
        return False
    Ticket.objects.filter(pk=ticket.pk, handler=Handler.AGENTS, assignee__isnull=True).update(
        handler=Handler.BOT
    )
    ticket.handler = Handler.BOT
    return True
