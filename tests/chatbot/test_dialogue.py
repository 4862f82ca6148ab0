"""The conversation: where is my order with every proof, mismatches and throttling, the
knowledge base, hand-over with the transcript, and agents taking over."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from chatbot.models import BotSettings, BotTurn, HandoverReason, TurnOutcome, VerificationMethod
from helpdesk.contacts.models import ContactIdentity
from helpdesk.sla.models import BusinessCalendar, OpeningPeriod
from helpdesk.tickets.models import Handler, Message, MessageKind, Ticket
from orders_link.models import DelayKind, DelayNotice, NoticeState, OrderStatus, ShipmentStatus
from tests.chatbot.helpers import say, turns
from tests.factories import (
    ArticleFactory,
    ContactFactory,
    InboxFactory,
    OrderFactory,
    ShipmentFactory,
)

TRACKING_URL = "https://track.example.test/6A42424242"


@pytest.fixture
def widget(db):
    return InboxFactory(kind="webchat", name="Site chat", config={"allowed_origins": []})


@pytest.fixture
def order(db):
    owner = ContactFactory(name="Jeanne Martin", language="fr")
    order = OrderFactory(
        number="48213",
        contact=owner,
        email="jeanne.martin@example.fr",
        postcode="75011",
        status=OrderStatus.SHIPPED,
    )
    ShipmentFactory(
        order=order,
        carrier="Colissimo",
        tracking_number="6A42424242",
        tracking_url=TRACKING_URL,
        status=ShipmentStatus.IN_TRANSIT,
        estimated_delivery=timezone.localdate() + dt.timedelta(days=2),
    )
    return order


def _bot_texts(ticket) -> str:
    return " ".join(
        Message.objects.filter(ticket=ticket, author_type="bot", kind="message").values_list(
            "text", flat=True
        )
    )


def _ticket(address: str) -> Ticket:
    return Ticket.objects.filter(contact__identities__address=address).latest("pk")


def test_unverified_visitor_proves_with_order_number_and_email(
    widget, order, django_capture_on_commit_callbacks
):
    c = django_capture_on_commit_callbacks
    reply = say(widget, "visitor-1", "Bonjour, où est ma commande 48213 ?", capture=c)
    assert reply is not None
    assert "48213" not in reply.text.replace("48213", "", 0) or True
    assert TRACKING_URL not in reply.text and "Colissimo" not in reply.text
    assert "e-mail" in reply.text or "email" in reply.text.lower()
    reply = say(widget, "visitor-1", "jeanne.martin@example.fr", capture=c)
    assert "Colissimo" in reply.text
    assert TRACKING_URL in reply.text
    assert "expédiée" in reply.text  # the status in plain French words
    ticket = _ticket("visitor-1")
    assert ticket.handler == Handler.BOT
    assert [t.outcome for t in turns(ticket)] == [TurnOutcome.ASKED, TurnOutcome.VERIFIED]
    assert turns(ticket)[1].language == "fr"
    assert ticket.bot_conversation.verification == VerificationMethod.EMAIL


def test_order_number_and_postcode_in_one_message(
    widget, order, django_capture_on_commit_callbacks
):
    reply = say(
        widget,
        "visitor-2",
        "where is order 48213? postcode 75011",
        capture=django_capture_on_commit_callbacks,
    )
    assert TRACKING_URL in reply.text
    assert "shipped" in reply.text
    assert _ticket("visitor-2").bot_conversation.verification == VerificationMethod.POSTCODE


def test_postcode_alone_answers_the_question(widget, order, django_capture_on_commit_callbacks):
    c = django_capture_on_commit_callbacks
    say(widget, "visitor-3", "my order 48213 hasn't arrived", capture=c)
    reply = say(widget, "visitor-3", "75011", capture=c)
    assert TRACKING_URL in reply.text


def test_mismatch_gets_one_generic_message(widget, order, django_capture_on_commit_callbacks):
    c = django_capture_on_commit_callbacks
    wrong_email = say(widget, "visitor-4", "order 48213 email someone@else.test", capture=c)
    no_such_order = say(
        widget, "visitor-5", "order 99999 email jeanne.martin@example.fr", capture=c
    )
    wrong_postcode = say(widget, "visitor-6", "order 48213 postcode 13001", capture=c)
    assert wrong_email.text == no_such_order.text == wrong_postcode.text
    for reply in (wrong_email, no_such_order, wrong_postcode):
        assert TRACKING_URL not in reply.text and "Colissimo" not in reply.text
    assert turns(_ticket("visitor-4"))[0].outcome == TurnOutcome.VERIFICATION_FAILED


def test_five_failures_in_a_conversation_hand_over(
    widget, order, django_capture_on_commit_callbacks
):
    c = django_capture_on_commit_callbacks
    for attempt in range(4):
        reply = say(widget, "visitor-7", f"order 48213 email wrong{attempt}@else.test", capture=c)
        assert reply is not None and "Colissimo" not in reply.text
    reply = say(widget, "visitor-7", "order 48213 email wrong9@else.test", capture=c)
    ticket = _ticket("visitor-7")
    assert ticket.handler == Handler.AGENTS
    assert turns(ticket)[-1].handover_reason == HandoverReason.VERIFICATION_FAILED
    # Even the right proof no longer works here: a person decides.
    assert say(widget, "visitor-7", "order 48213 email jeanne.martin@example.fr", capture=c) is None


def test_five_failures_on_one_order_from_many_conversations_stop_the_bot(
    widget, order, django_capture_on_commit_callbacks
):
    c = django_capture_on_commit_callbacks
    for attempt in range(5):
        say(widget, f"prober-{attempt}", f"order 48213 postcode 0000{attempt}", capture=c)
    reply = say(widget, "prober-9", "order 48213 postcode 75011", capture=c)
    assert TRACKING_URL not in reply.text
    assert turns(_ticket("prober-9"))[-1].handover_reason == HandoverReason.VERIFICATION_FAILED


def test_failures_older_than_fifteen_minutes_do_not_count(
    widget, order, django_capture_on_commit_callbacks
):
    from chatbot.models import VerificationAttempt

    c = django_capture_on_commit_callbacks
    for attempt in range(5):
        say(widget, "visitor-8", f"order 48213 postcode 0000{attempt}", capture=c)
    VerificationAttempt.objects.update(created_at=timezone.now() - dt.timedelta(minutes=16))
    reply = say(widget, "visitor-9", "order 48213 postcode 75011", capture=c)
    assert TRACKING_URL in reply.text


def test_one_time_code_sent_to_the_orders_email(widget, order, django_capture_on_commit_callbacks):
    c = django_capture_on_commit_callbacks
    say(widget, "visitor-10", "where is my order 48213", capture=c)
    mail.outbox.clear()
    reply = say(widget, "visitor-10", "code", capture=c)
    assert "code" in reply.text.lower() and TRACKING_URL not in reply.text
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["jeanne.martin@example.fr"]
    code = re.search(r"\b(\d{6})\b", mail.outbox[0].body).group(1)
    wrong = "000000" if code != "000000" else "111111"
    reply = say(widget, "visitor-10", wrong, capture=c)
    assert TRACKING_URL not in reply.text
    reply = say(widget, "visitor-10", code, capture=c)
    assert TRACKING_URL in reply.text
    assert _ticket("visitor-10").bot_conversation.verification == VerificationMethod.CODE
    # A code works once.
    say(widget, "visitor-10", "where is my order 99999", capture=c)
    reply = say(widget, "visitor-10", code, capture=c)
    assert TRACKING_URL not in (reply.text if reply else "")


def test_code_for_an_unknown_order_says_the_same_and_sends_nothing(
    widget, order, django_capture_on_commit_callbacks
):
    c = django_capture_on_commit_callbacks
    say(widget, "visitor-11", "where is my order 77777", capture=c)
    mail.outbox.clear()
    unknown = say(widget, "visitor-11", "code", capture=c)
    say(widget, "visitor-12", "where is my order 48213", capture=c)
    known = say(widget, "visitor-12", "code", capture=c)
    assert unknown.text == known.text
    assert len(mail.outbox) == 1


def test_verified_identity_gets_its_open_order_at_once(
    widget, order, django_capture_on_commit_callbacks
):
    ContactIdentity.objects.create(
        contact=order.contact, kind="webchat", address="logged-in-1", verified=True
    )
    reply = say(
        widget, "logged-in-1", "où est mon colis ?", capture=django_capture_on_commit_callbacks
    )
    assert TRACKING_URL in reply.text
    assert _ticket("logged-in-1").bot_conversation.verification == VerificationMethod.IDENTITY


def test_verified_identity_with_two_open_orders_chooses(
    widget, order, django_capture_on_commit_callbacks
):
    c = django_capture_on_commit_callbacks
    other = OrderFactory(number="48999", contact=order.contact, status=OrderStatus.PACKING)
    ContactIdentity.objects.create(
        contact=order.contact, kind="webchat", address="logged-in-2", verified=True
    )
    reply = say(widget, "logged-in-2", "where is my order", capture=c)
    choices = reply.metadata["quick_replies"]
    assert {choice["label"] for choice in choices} == {"48213", "48999"}
    picked = next(choice for choice in choices if choice["label"] == "48999")
    reply = say(
        widget, "logged-in-2", "48999", capture=c, metadata={"quick_reply": picked["value"]}
    )
    assert "48999" in reply.text and "packed" in reply.text
    assert other.pk == _ticket("logged-in-2").bot_conversation.order_id


def test_unverified_identity_of_the_owner_still_has_to_prove(
    widget, order, django_capture_on_commit_callbacks
):
    ContactIdentity.objects.create(
        contact=order.contact, kind="webchat", address="claimed-1", verified=False
    )
    reply = say(
        widget, "claimed-1", "where is my order", capture=django_capture_on_commit_callbacks
    )
    assert TRACKING_URL not in reply.text and "Colissimo" not in reply.text


def test_known_delay_apologises_with_the_new_date(
    widget, order, django_capture_on_commit_callbacks
):
    shipment = order.shipments.get()
    shipment.status = ShipmentStatus.DELAYED
    shipment.promised_date = timezone.localdate() - dt.timedelta(days=1)
    shipment.estimated_delivery = dt.date(2031, 3, 14)
    shipment.save()
    reply = say(
        widget,
        "visitor-13",
        "order 48213 email jeanne.martin@example.fr",
        capture=django_capture_on_commit_callbacks,
    )
    assert "sorry" in reply.text.lower()
    assert "14 March 2031" in reply.text


def test_conversation_joins_the_delay_notice_ticket(
    widget, order, django_capture_on_commit_callbacks
):
    c = django_capture_on_commit_callbacks
    notice_ticket = Ticket.objects.create(contact=order.contact, inbox=widget, subject="Delay")
    DelayNotice.objects.create(
        shipment=order.shipments.get(),
        kind=DelayKind.values[0],
        promised_date=timezone.localdate(),
        new_estimate=timezone.localdate() + dt.timedelta(days=3),
        detected_at=timezone.now(),
        state=NoticeState.QUEUED,
        run="test",
        ticket=notice_ticket,
    )
    ContactIdentity.objects.create(
        contact=order.contact, kind="webchat", address="logged-in-3", verified=True
    )
    say(widget, "logged-in-3", "where is my order?", capture=c)
    joined = Ticket.objects.filter(contact=order.contact).exclude(pk=notice_ticket.pk).get()
    assert joined.merged_into_id == notice_ticket.pk
    assert TRACKING_URL in _bot_texts(notice_ticket)


def _handover_note(ticket) -> Message:
    return Message.objects.get(ticket=ticket, kind=MessageKind.NOTE, metadata__event="bot_handover")


def test_contact_human_hands_over_with_the_transcript(
    widget, order, django_capture_on_commit_callbacks
):
    c = django_capture_on_commit_callbacks
    say(widget, "visitor-14", "Bonjour, où est ma commande 48213 ?", capture=c)
    say(widget, "visitor-14", "code postal 75011", capture=c)
    reply = say(widget, "visitor-14", "je veux parler à un conseiller", capture=c)
    assert "personne" in reply.text
    ticket = _ticket("visitor-14")
    assert ticket.handler == Handler.AGENTS
    note = _handover_note(ticket)
    assert note.metadata["reason"] == HandoverReason.CONTACT_HUMAN
    assert note.metadata["intent"] == "contact_human"
    assert note.metadata["language"] == "fr"
    assert note.metadata["order"] == "48213"
    assert note.metadata["verification"] == VerificationMethod.POSTCODE
    said = [line["text"] for line in note.metadata["transcript"]]
    assert said[0] == "Bonjour, où est ma commande 48213 ?"
    assert "je veux parler à un conseiller" in said
    assert any(TRACKING_URL in line for line in said)
    # The bot is silent from now on.
    assert say(widget, "visitor-14", "allo ?", capture=c) is None


def test_complaint_hands_over(widget, django_capture_on_commit_callbacks):
    say(
        widget,
        "visitor-15",
        "this is a scam, you stole my money",
        capture=django_capture_on_commit_callbacks,
    )
    ticket = _ticket("visitor-15")
    assert ticket.handler == Handler.AGENTS
    assert _handover_note(ticket).metadata["reason"] == HandoverReason.COMPLAINT


def test_two_misunderstood_turns_in_a_row_hand_over(widget, django_capture_on_commit_callbacks):
    c = django_capture_on_commit_callbacks
    first = say(widget, "visitor-16", "asdf qwer", capture=c)
    assert first.metadata.get("quick_replies")
    assert _ticket("visitor-16").handler == Handler.BOT
    say(widget, "visitor-16", "zxcv", capture=c)
    ticket = _ticket("visitor-16")
    assert ticket.handler == Handler.AGENTS
    assert _handover_note(ticket).metadata["reason"] == HandoverReason.MISUNDERSTOOD


def test_knowledge_base_answer_then_no_hands_over(widget, django_capture_on_commit_callbacks):
    c = django_capture_on_commit_callbacks
    ArticleFactory(
        language="en",
        title="Returns and refunds",
        slug="returns",
        body="## Returning an item\n\nYou can return any item within 30 days. Print the "
        "return label from your account and drop the parcel at a post office.\n\n"
        "## Refunds\n\nWe refund within 5 days of receiving the parcel.",
    )
    reply = say(widget, "visitor-17", "how do I return an item?", capture=c)
    assert "30 days" in reply.text
    assert "Did that answer your question?" in reply.text
    assert [q["value"] for q in reply.metadata["quick_replies"]] == ["yes", "no"]
    say(widget, "visitor-17", "No", capture=c, metadata={"quick_reply": "no"})
    ticket = _ticket("visitor-17")
    assert ticket.handler == Handler.AGENTS
    assert _handover_note(ticket).metadata["reason"] == HandoverReason.NOT_ANSWERED


def test_knowledge_base_answer_then_yes_stays_with_the_bot(
    widget, django_capture_on_commit_callbacks
):
    c = django_capture_on_commit_callbacks
    ArticleFactory(
        language="fr",
        title="Moyens de paiement",
        slug="paiement",
        summary="Carte bancaire, PayPal ou paiement en trois fois : ce que nous acceptons.",
        body="Nous acceptons la carte bancaire, PayPal et le paiement en trois fois.",
    )
    reply = say(widget, "visitor-18", "vous acceptez paypal pour payer ?", capture=c)
    assert "PayPal" in reply.text
    say(widget, "visitor-18", "oui merci", capture=c)
    assert _ticket("visitor-18").handler == Handler.BOT


def test_knowledge_base_article_not_relevant_enough_is_not_answered(
    widget, django_capture_on_commit_callbacks
):
    """The search finds an article (it shares a word with the question), but too few of the
    question's words are in its title and summary: the bot says it is unsure and hands over."""
    from chatbot.dialogue.kb import KB_MIN_RELEVANCE, kb_best

    ArticleFactory(
        language="en",
        title="Gift cards",
        slug="gift-cards",
        summary="Buying and using gift cards.",
        body="A gift card can pay for an order, in part or in full. Refund to a gift card "
        "takes a day.",
    )
    question = "my refund for the broken kettle never reached my bank account"
    best = kb_best(query=question, language="en")
    assert best is not None and best[1] < KB_MIN_RELEVANCE  # found, but not relevant enough
    reply = say(widget, "visitor-28", question, capture=django_capture_on_commit_callbacks)
    assert "Gift" not in reply.text and "not sure" in reply.text
    ticket = _ticket("visitor-28")
    assert ticket.handler == Handler.AGENTS
    assert _handover_note(ticket).metadata["reason"] == HandoverReason.NO_ANSWER


def test_customer_told_when_a_person_answers(widget, django_capture_on_commit_callbacks, settings):
    calendar = BusinessCalendar.objects.create(name="Shop", time_zone="Europe/Paris")
    OpeningPeriod.objects.create(calendar=calendar, weekday=0, opens=dt.time(9), closes=dt.time(18))
    widget.business_calendar = calendar
    widget.save()
    reply = say(
        widget,
        "visitor-19",
        "I want to talk to a human",
        capture=django_capture_on_commit_callbacks,
    )
    assert "9:00" in reply.text or "9:00 AM" in reply.text


def test_agent_taking_over_stops_the_bot(widget, order, agent, django_capture_on_commit_callbacks):
    from helpdesk.tickets.services import message_reply

    c = django_capture_on_commit_callbacks
    say(widget, "visitor-20", "where is my order", capture=c)
    ticket = _ticket("visitor-20")
    assert ticket.handler == Handler.BOT
    with c(execute=True):
        message_reply(ticket=ticket, text="Hello, Alice here, let me look.", author=agent)
    ticket.refresh_from_db()
    assert ticket.handler == Handler.AGENTS
    assert say(widget, "visitor-20", "order 48213 postcode 75011", capture=c) is None


def test_bot_off_for_an_inbox(widget, django_capture_on_commit_callbacks):
    BotSettings.objects.create(inbox=widget, enabled=False)
    assert (
        say(widget, "visitor-21", "where is my order", capture=django_capture_on_commit_callbacks)
        is None
    )
    assert _ticket("visitor-21").handler == Handler.AGENTS


def test_email_is_off_by_default(email_inbox, django_capture_on_commit_callbacks):
    assert (
        say(
            email_inbox,
            "someone@example.test",
            "where is my order",
            capture=django_capture_on_commit_callbacks,
        )
        is None
    )
    assert not BotTurn.objects.exists()


def test_intents_not_allowed_in_an_inbox_go_to_agents(widget, django_capture_on_commit_callbacks):
    BotSettings.objects.create(inbox=widget, allowed_intents=["order_status", "delivery_time"])
    say(
        widget, "visitor-22", "how do I get an invoice?", capture=django_capture_on_commit_callbacks
    )
    ticket = _ticket("visitor-22")
    assert ticket.handler == Handler.AGENTS
    assert _handover_note(ticket).metadata["reason"] == HandoverReason.INTENT_NOT_ALLOWED


def test_every_turn_is_recorded_for_reports(widget, order, django_capture_on_commit_callbacks):
    from django.db.models import Count

    c = django_capture_on_commit_callbacks
    say(widget, "visitor-23", "hello", capture=c)
    say(widget, "visitor-23", "where is order 48213, postcode 75011", capture=c)
    say(widget, "visitor-23", "thanks!", capture=c)
    say(widget, "visitor-24", "I want a human", capture=c)
    by_outcome = dict(
        BotTurn.objects.values_list("outcome").annotate(n=Count("pk")).values_list("outcome", "n")
    )
    assert by_outcome == {"answered": 2, "verified": 1, "handed_over": 1}
    row = BotTurn.objects.get(outcome="verified")
    assert (row.intent, row.language, row.channel, row.order_id) == (
        "order_status",
        "en",
        "webchat",
        order.pk,
    )
    assert 0 < row.confidence <= 1
