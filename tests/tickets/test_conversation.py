from __future__ import annotations

import pytest
from django.urls import reverse

from helpdesk import conversation, domain_events
from helpdesk.contracts import InboundMessage, Sender
from helpdesk.domain_events import MessageClaimed, MessageReceived, TicketCreated
from helpdesk.tickets.models import (
    AuthorType,
    Handler,
    Message,
    SubscriberFailure,
    ThreadingReason,
    Ticket,
    TicketStatus,
)
from helpdesk.tickets.services import (
    message_receive,
    message_reply,
    ticket_hand_over,
    ticket_set_status,
)
from tests.factories import InboxFactory, TicketFactory
from tests.inbox.factories import team_agent

pytestmark = pytest.mark.django_db(transaction=True)


def inbound(inbox, text="Where is my parcel?", external_id="w-1", address="+33612345678"):
    return InboundMessage(
        inbox_id=inbox.pk,
        sender=Sender(kind=inbox.identity_kind, address=address, name="Jane"),
        text=text,
        external_id=external_id,
    )


class EchoBot:
    """Answers through the ordinary outbound service; hands over when asked for a person."""

    def __init__(self):
        self.turns = []

    def take_turn(self, *, ticket_id, message_id):
        self.turns.append((ticket_id, message_id))
        ticket = Ticket.objects.get(pk=ticket_id)
        text = Message.objects.get(pk=message_id).text
        if "human" in text:
            ticket_hand_over(ticket=ticket, reason="asked_for_agent")
        else:
            message_reply(ticket=ticket, text=f"You said: {text}", author_type=AuthorType.BOT)


@pytest.fixture(autouse=True)
def _handlers_restored():
    """The registered handlers (the real bot's among them) come back after each test."""
    saved = dict(conversation._HANDLERS)
    yield
    conversation._HANDLERS.clear()
    conversation._HANDLERS.update(saved)


@pytest.fixture
def bot():
    handler = EchoBot()
    conversation.register_handler(Handler.BOT, handler)

    def bot_owns_new_chats(event: TicketCreated) -> None:
        if event.channel == "webchat":
            Ticket.objects.filter(pk=event.ticket_id).update(handler=Handler.BOT)

    domain_events.subscribe(TicketCreated, bot_owns_new_chats)
    yield handler
    domain_events.unsubscribe(TicketCreated, bot_owns_new_chats)
    conversation.unregister_handler(Handler.BOT)


def test_the_owner_read_after_commit_takes_its_turn_and_replies_like_an_agent(bot):
    chat = InboxFactory(kind="webchat")
    first = message_receive(inbound=inbound(chat, address="visitor-1"))
    ticket = Ticket.objects.get(pk=first.ticket.pk)
    assert ticket.handler == Handler.BOT
    assert bot.turns == [(ticket.pk, first.message.pk)]
    # (Other features may also write to a new chat; this handler's answer is there, once.)
    reply = ticket.messages.get(direction="out", kind="message", text__startswith="You said:")
    assert (reply.author_type, reply.text) == ("bot", "You said: Where is my parcel?")
    assert reply.delivery_state in {"queued", "sent", "outbox", "delivered"}

    second = message_receive(
        inbound=inbound(chat, text="a human please", external_id="w-2", address="visitor-1")
    )
    assert second.ticket.pk == ticket.pk
    ticket.refresh_from_db()
    assert ticket.handler == Handler.AGENTS
    assert ticket.handover_reason == "asked_for_agent"
    assert ticket.handed_over_at is not None
    event = ticket.messages.get(kind="event", metadata__event="handover")
    assert event.metadata == {
        "event": "handover",
        "reason": "asked_for_agent",
        "from": "bot",
        "to": "agents",
    }

    # The agents own it now: the bot is not asked again.
    message_receive(inbound=inbound(chat, text="hello?", external_id="w-3", address="visitor-1"))
    assert len(bot.turns) == 2


def test_agents_tickets_never_reach_the_bot(bot):
    sms = InboxFactory(kind="sms")
    message_receive(inbound=inbound(sms))
    assert bot.turns == []


def test_a_failing_handler_is_recorded_and_the_agents_get_the_ticket():
    class Broken:
        def take_turn(self, *, ticket_id, message_id):
            Ticket.objects.filter(pk=ticket_id).update(subject="half-written")
            raise RuntimeError("intent model missing")

    conversation.register_handler(Handler.BOT, Broken())
    try:
        ticket = TicketFactory(handler=Handler.BOT, inbox=InboxFactory(kind="webchat"))
        identity = ticket.contact.identities.create(kind="webchat", address="visitor-9")
        result = message_receive(
            inbound=inbound(ticket.inbox, address=identity.address, external_id="x")
        )
    finally:
        conversation.unregister_handler(Handler.BOT)
    assert result.ticket.pk == ticket.pk
    ticket.refresh_from_db()
    assert ticket.handler == Handler.AGENTS
    assert ticket.handover_reason == "handler_error"
    assert ticket.subject != "half-written"
    failure = SubscriberFailure.objects.get()
    assert "intent model missing" in failure.error
    assert failure.subscriber == "conversation handler bot"
    assert Message.objects.filter(pk=result.message.pk).exists()


def test_an_unregistered_handler_falls_back_to_the_agents():
    assert isinstance(conversation.get_handler("nobody"), conversation.AgentsHandler)
    with pytest.raises(TypeError):
        conversation.register_handler("x", object())  # type: ignore[arg-type]


def test_hand_over_records_why_and_when_once():
    seen = []
    domain_events.subscribe(domain_events.TicketHandedOver, seen.append)
    try:
        ticket = TicketFactory(handler=Handler.BOT)
        ticket_hand_over(ticket=ticket, reason="unsure")
        ticket_hand_over(ticket=ticket, reason="again")  # already with the agents
    finally:
        domain_events.unsubscribe(domain_events.TicketHandedOver, seen.append)
    ticket.refresh_from_db()
    assert (ticket.handler, ticket.handover_reason) == ("agents", "unsure")
    assert seen == [
        domain_events.TicketHandedOver(
            ticket_id=ticket.pk, reason="unsure", from_handler="bot", to_handler="agents"
        )
    ]
    assert ticket.messages.filter(metadata__event="handover").count() == 1


def test_bot_tickets_leave_the_agents_queues_for_the_bot_view(client):
    team, agent = team_agent()
    with_bot = TicketFactory(team=team, status="open", handler=Handler.BOT)
    with_agents = TicketFactory(team=team, status="open")
    client.force_login(agent)
    url = reverse("inbox:ticket_list")

    def listed(**params):
        body = client.get(url, params).content.decode()
        return {t.pk for t in (with_bot, with_agents) if f"/inbox/tickets/{t.pk}/" in body}

    assert listed() == {with_agents.pk}
    assert listed(view="unassigned") == {with_agents.pk}
    assert listed(view="bot") == {with_bot.pk}
    assert listed(view="all") == {with_bot.pk, with_agents.pk}


def test_an_interceptor_claims_a_survey_answer_without_reopening_or_a_turn(bot):
    sms = InboxFactory(kind="sms")
    first = message_receive(inbound=inbound(sms))
    solved = ticket_set_status(
        ticket=Ticket.objects.get(pk=first.ticket.pk), status=TicketStatus.SOLVED
    )
    Ticket.objects.filter(pk=solved.pk).update(handler=Handler.BOT)

    def survey_answer(*, inbound, inbox, contact):
        if inbound.text.strip() in {"1", "2", "3", "4", "5"}:
            return contact.tickets.filter(status=TicketStatus.SOLVED).first()
        return None

    seen = []
    conversation.register_inbound_interceptor(survey_answer, name="csat")
    domain_events.subscribe(MessageClaimed, seen.append)
    domain_events.subscribe(MessageReceived, seen.append)
    try:
        answer = message_receive(inbound=inbound(sms, text=" 5 ", external_id="w-2"))
        kept = Ticket.objects.get(pk=solved.pk)
        assert (kept.status, kept.reopened_count) == (TicketStatus.SOLVED, 0)
        assert kept.last_message_at == solved.last_message_at
        again = message_receive(inbound=inbound(sms, text=" 5 ", external_id="w-2"))
        other = message_receive(inbound=inbound(sms, text="And my refund?", external_id="w-3"))
    finally:
        conversation.unregister_inbound_interceptor("csat")
        domain_events.unsubscribe(MessageClaimed, seen.append)
        domain_events.unsubscribe(MessageReceived, seen.append)

    assert (answer.outcome, answer.claimed_by, answer.ticket.pk) == ("threaded", "csat", solved.pk)
    assert answer.message.threading_reason == ThreadingReason.CLAIMED
    assert again.outcome == "duplicate"
    assert seen[0] == MessageClaimed(
        ticket_id=solved.pk,
        message_id=answer.message.pk,
        inbox_id=sms.pk,
        channel="sms",
        interceptor="csat",
    )
    # The claimed answer left the ticket solved and gave the bot no turn; the next ordinary
    # message took the ordinary path.
    assert bot.turns == [(solved.pk, other.message.pk)]
    assert other.claimed_by == ""
    assert [type(e) for e in seen] == [MessageClaimed, MessageReceived]
    assert Ticket.objects.get(pk=solved.pk).reopened_count == 1  # by "And my refund?"
