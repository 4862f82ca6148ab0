"""A one-time code by SMS as the proof of an order: sent to the order's phone through the SMS
channel's adapter (the Twilio SDK against the local stand-in for api.twilio.com); it expires,
works once, and five wrong tries hand the conversation over."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from chatbot.models import HandoverReason, OneTimeCode, VerificationMethod
from helpdesk.tickets.models import Handler, Ticket
from orders_link.models import OrderStatus, ShipmentStatus
from tests.chatbot.helpers import say
from tests.factories import ContactFactory, InboxFactory, OrderFactory, ShipmentFactory

TRACKING_URL = "https://track.example.test/8B51515151"
ORDER_PHONE = "+33 6 12 34 56 78"
ORDER_PHONE_E164 = "+33612345678"


@pytest.fixture
def widget(db):
    return InboxFactory(kind="webchat", name="Site chat", config={"allowed_origins": []})


@pytest.fixture
def shop_sms(db):
    return InboxFactory(kind="sms", name="Shop SMS", config={"from": "+33700000001"})


@pytest.fixture
def order(db):
    owner = ContactFactory(name="Louis Petit", language="fr")
    order = OrderFactory(
        number="51515",
        contact=owner,
        email="louis.petit@example.fr",
        phone=ORDER_PHONE,
        postcode="33000",
        status=OrderStatus.SHIPPED,
    )
    ShipmentFactory(
        order=order,
        carrier="Chronopost",
        tracking_number="8B51515151",
        tracking_url=TRACKING_URL,
        status=ShipmentStatus.IN_TRANSIT,
        estimated_delivery=timezone.localdate() + dt.timedelta(days=1),
    )
    return order


def _ticket(address: str) -> Ticket:
    return Ticket.objects.filter(contact__identities__address=address).latest("pk")


def _texted_code(fake_twilio) -> str:
    return re.search(r"\b(\d{6})\b", fake_twilio.sent[-1]["Body"]).group(1)


def test_code_by_sms_proves_the_order(
    widget, shop_sms, order, fake_twilio, django_capture_on_commit_callbacks
):
    c = django_capture_on_commit_callbacks
    asked = say(widget, "sms-1", "où est ma commande 51515 ?", capture=c)
    assert TRACKING_URL not in asked.text
    assert [q["value"] for q in asked.metadata["quick_replies"]] == ["code", "code_sms"]
    reply = say(widget, "sms-1", "code", capture=c, metadata={"quick_reply": "code_sms"})
    # The reply neither confirms the order nor shows its phone number.
    assert ORDER_PHONE_E164 not in reply.text and "78" not in reply.text
    assert TRACKING_URL not in reply.text
    assert len(fake_twilio.sent) == 1 and mail.outbox == []
    sms = fake_twilio.sent[0]
    assert sms["To"] == ORDER_PHONE_E164 and sms["From"] == "+33700000001"
    assert "51515" in sms["Body"] and len(sms["Body"]) <= 160
    code = _texted_code(fake_twilio)
    assert OneTimeCode.objects.get().sent_to == ORDER_PHONE_E164
    assert code not in OneTimeCode.objects.get().code_hash  # only a keyed hash is stored

    wrong = "000000" if code != "000000" else "111111"
    assert TRACKING_URL not in say(widget, "sms-1", wrong, capture=c).text
    verified = say(widget, "sms-1", code, capture=c)
    assert TRACKING_URL in verified.text
    assert _ticket("sms-1").bot_conversation.verification == VerificationMethod.CODE

    # Used once: the same code does not prove the order again in another try.
    say(widget, "sms-1", "et la commande 99999 ?", capture=c)
    again = say(widget, "sms-1", code, capture=c)
    assert again is None or TRACKING_URL not in again.text


def test_code_by_sms_asked_in_words_and_default_on_an_sms_conversation(
    client, shop_sms, order, fake_twilio, django_capture_on_commit_callbacks
):
    c = django_capture_on_commit_callbacks
    say(shop_sms, "+33699999999", "where is order 51515", capture=c)
    say(shop_sms, "+33699999999", "send me a code", capture=c)
    assert [s["To"] for s in fake_twilio.sent if re.search(r"\b\d{6}\b", s["Body"])] == [
        ORDER_PHONE_E164
    ]
    code = _texted_code_to(fake_twilio, ORDER_PHONE_E164)
    reply = say(shop_sms, "+33699999999", code, capture=c)
    assert TRACKING_URL in reply.text


def _texted_code_to(fake_twilio, number: str) -> str:
    bodies = [s["Body"] for s in fake_twilio.sent if s["To"] == number]
    return re.search(r"\b(\d{6})\b", bodies[-1]).group(1)


def test_expired_code_is_refused(
    widget, shop_sms, order, fake_twilio, django_capture_on_commit_callbacks
):
    c = django_capture_on_commit_callbacks
    say(widget, "sms-2", "where is my order 51515", capture=c)
    say(widget, "sms-2", "code by sms please", capture=c)
    code = _texted_code(fake_twilio)
    OneTimeCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    reply = say(widget, "sms-2", code, capture=c)
    assert TRACKING_URL not in reply.text
    assert "expired" in reply.text


def test_five_wrong_codes_hand_over_and_the_right_one_no_longer_works(
    widget, shop_sms, order, fake_twilio, django_capture_on_commit_callbacks
):
    c = django_capture_on_commit_callbacks
    say(widget, "sms-3", "where is my order 51515", capture=c)
    say(widget, "sms-3", "code by sms", capture=c)
    code = _texted_code(fake_twilio)
    wrong = [f"{n:06d}" for n in range(100000, 100010) if f"{n:06d}" != code][:5]
    for guess in wrong:
        reply = say(widget, "sms-3", guess, capture=c)
    ticket = _ticket("sms-3")
    assert ticket.handler == Handler.AGENTS
    assert ticket.bot_conversation.handover_reason == HandoverReason.VERIFICATION_FAILED
    assert TRACKING_URL not in reply.text
    assert say(widget, "sms-3", code, capture=c) is None  # the bot has stopped
    assert ticket.bot_conversation.verified_order is None


def test_same_words_for_an_unknown_order_or_one_without_a_phone_and_nothing_sent(
    widget, shop_sms, order, fake_twilio, django_capture_on_commit_callbacks
):
    c = django_capture_on_commit_callbacks
    OrderFactory(number="62626", email="x@example.fr", phone="", postcode="69001")
    say(widget, "sms-4", "where is my order 77777", capture=c)
    unknown = say(widget, "sms-4", "code by sms", capture=c)
    say(widget, "sms-5", "where is my order 62626", capture=c)
    no_phone = say(widget, "sms-5", "code by sms", capture=c)
    say(widget, "sms-6", "where is my order 51515", capture=c)
    known = say(widget, "sms-6", "code by sms", capture=c)
    assert unknown.text == no_phone.text == known.text
    assert [s["To"] for s in fake_twilio.sent] == [ORDER_PHONE_E164]


def test_without_an_sms_number_codes_by_sms_are_declined_for_every_order(
    widget, order, fake_twilio, django_capture_on_commit_callbacks
):
    c = django_capture_on_commit_callbacks
    say(widget, "sms-7", "where is my order 51515", capture=c)
    known = say(widget, "sms-7", "code by sms", capture=c)
    say(widget, "sms-8", "where is my order 77777", capture=c)
    unknown = say(widget, "sms-8", "code by sms", capture=c)
    assert known.text == unknown.text and "cannot be sent by SMS" in known.text
    assert fake_twilio.sent == [] and OneTimeCode.objects.count() == 0
    # The email code is offered instead, and works.
    assert [q["value"] for q in known.metadata["quick_replies"]] == ["code"]
    say(widget, "sms-7", "code", capture=c, metadata={"quick_reply": "code"})
    assert mail.outbox[-1].to == ["louis.petit@example.fr"]


def test_twilio_refusing_the_sms_keeps_the_conversation_going(
    widget, shop_sms, order, fake_twilio, django_capture_on_commit_callbacks
):
    c = django_capture_on_commit_callbacks
    fake_twilio.fail_next.append((400, 21211, "The 'To' number is not a valid phone number."))
    say(widget, "sms-9", "where is my order 51515", capture=c)
    reply = say(widget, "sms-9", "code by sms", capture=c)
    assert reply is not None and TRACKING_URL not in reply.text
    assert [r["failed"] for r in fake_twilio.requests] == [True] and fake_twilio.sent == []
    # A new code can be asked for and arrives.
    say(widget, "sms-9", "code by sms", capture=c)
    assert fake_twilio.sent[-1]["To"] == ORDER_PHONE_E164
