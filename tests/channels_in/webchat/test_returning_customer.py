"""A returning customer offline on another device: the address they leave is a known
customer's, so a one-time code goes there. Until it comes back (or an agent confirms), the
visitor is a separate contact marked "claims to be X, unverified" and sees nothing of that
customer; on proof, their conversation joins that customer."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import sync_to_async
from django.core import mail
from django.test import Client
from django.urls import reverse

from helpdesk.contacts.models import ContactIdentity, IdentityClaim
from helpdesk.tickets.models import Message, Ticket
from helpdesk.tickets.services import message_reply
from tests.channels_in.webchat.test_widget_consumer import ORIGIN, say, socket, start
from tests.factories import AgentFactory, ContactFactory, IdentityFactory, InboxFactory

pytestmark = pytest.mark.django_db(transaction=True)

JEANNE = "jeanne@example.test"


@pytest.fixture(autouse=True)
def fresh_code_budget():
    """Each test starts with the address's hourly budget of codes unspent."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def inbox(db):
    return InboxFactory(kind="webchat", name="Site chat", config={"allowed_origins": [ORIGIN]})


def known_customer():
    """Jeanne, known by email, with an earlier conversation of her own."""
    contact = ContactFactory(name="Jeanne Martin")
    identity = IdentityFactory(contact=contact, kind="email", address=JEANNE)
    email_inbox = InboxFactory(kind="email", config={"address": "support@shop.test"})
    ticket = Ticket.objects.create(contact=contact, inbox=email_inbox, subject="My address")
    Message.objects.create(
        ticket=ticket,
        inbox=email_inbox,
        direction="in",
        kind="message",
        author_type="contact",
        identity=identity,
        text="My door code is 4821.",
        external_id="<jeanne-1@example.test>",
    )
    return contact, ticket


async def claim(inbox) -> tuple:
    comm, welcome = await start(inbox, language="fr")
    assert welcome["available"] is False
    await say(comm, "Where is my parcel?", "c-1")
    await comm.send_json_to({"type": "email", "email": JEANNE.upper()})
    assert await comm.receive_json_from() == {"type": "code_sent"}
    return comm, welcome


def sent_code() -> str:
    [message] = mail.outbox
    assert message.to == [JEANNE]
    assert "Votre code" in message.subject  # in the visitor's language
    return re.search(r"\b(\d{6})\b", message.body).group(1)


async def test_an_unproven_claim_shows_nothing_of_the_customer(inbox):
    contact, her_ticket = await sync_to_async(known_customer)()
    comm, welcome = await claim(inbox)

    def check():
        visitor_ticket = Ticket.objects.exclude(pk=her_ticket.pk).get()
        # Split, not merged: the visitor is still their own, unverified contact.
        assert visitor_ticket.contact_id != contact.pk
        assert not ContactIdentity.objects.get(address=JEANNE).verified
        assert her_ticket.messages.count() == 1  # nothing of the visitor's on her record
        assert visitor_ticket.messages.filter(metadata__event="identity_claimed").exists()
        # An agent's answer on her ticket is hers only.
        agent = AgentFactory(username="bob")
        message_reply(ticket=her_ticket, author=agent, text="Your parcel left today.")
        return visitor_ticket

    visitor_ticket = await sync_to_async(check)()
    assert await comm.receive_nothing(timeout=0.3)
    await comm.disconnect()

    # Coming back with the same token shows only the visitor's own conversation.
    again = socket(inbox)
    await again.connect()
    await again.send_json_to({"type": "hello", "visitor": welcome["visitor"], "after": 0})
    texts = [m["text"] for m in (await again.receive_json_from())["messages"]]
    assert "Where is my parcel?" in texts
    assert not any("4821" in t or "left today" in t for t in texts)
    await again.disconnect()

    def agent_page():
        client = Client()
        client.force_login(AgentFactory(username="carla", profile__role="manager"))
        return client.get(reverse("inbox:ticket_detail", args=[visitor_ticket.pk]))

    html = (await sync_to_async(agent_page)()).content.decode()
    assert f"Claims to be {JEANNE}, unverified." in html
    assert "Confirm it is them, to answer by email" in html


async def test_the_emailed_code_proves_it_and_merges_the_conversation(inbox):
    contact, her_ticket = await sync_to_async(known_customer)()
    comm, _ = await claim(inbox)
    code = await sync_to_async(sent_code)()
    wrong = "000000" if code != "000000" else "111111"
    await comm.send_json_to({"type": "code", "code": wrong})
    refused = await comm.receive_json_from()
    assert refused["error"] == "bad_code" and refused["reason"]
    visitor_ticket = await sync_to_async(lambda: Ticket.objects.exclude(pk=her_ticket.pk).get())()
    assert visitor_ticket.contact_id != contact.pk

    await comm.send_json_to({"type": "code", "code": f"{code[:3]} {code[3:]}"})
    assert await comm.receive_json_from() == {"type": "code_accepted"}

    def check():
        visitor_ticket.refresh_from_db()
        assert visitor_ticket.contact_id == contact.pk
        assert ContactIdentity.objects.get(address=JEANNE).verified
        assert IdentityClaim.objects.get().proven_at is not None
        assert visitor_ticket.messages.filter(metadata__event="identity_claim_proven").exists()

    await sync_to_async(check)()
    # The code is spent: typing it again changes nothing.
    await comm.send_json_to({"type": "code", "code": code})
    assert (await comm.receive_json_from())["error"] == "bad_code"
    await comm.disconnect()


async def test_wrong_codes_exhaust_the_claim(inbox):
    contact, _ = await sync_to_async(known_customer)()
    comm, _ = await claim(inbox)
    code = await sync_to_async(sent_code)()
    wrong = "000000" if code != "000000" else "111111"
    for _attempt in range(5):
        await comm.send_json_to({"type": "code", "code": wrong})
        assert (await comm.receive_json_from())["error"] == "bad_code"
    await comm.send_json_to({"type": "code", "code": code})
    assert (await comm.receive_json_from())["error"] == "bad_code"
    merged = await sync_to_async(
        lambda: Ticket.objects.filter(contact=contact, inbox__kind="webchat").exists()
    )()
    assert not merged
    await comm.disconnect()


async def test_an_agent_confirms_the_claim_and_can_answer_by_email(inbox):
    contact, her_ticket = await sync_to_async(known_customer)()
    comm, _ = await claim(inbox)
    await comm.disconnect()

    def confirm():
        visitor_ticket = Ticket.objects.exclude(pk=her_ticket.pk).get()
        claim = IdentityClaim.objects.get()
        client = Client()
        client.force_login(AgentFactory(username="carla", profile__role="manager"))
        response = client.post(
            reverse("inbox:ticket_action", args=[visitor_ticket.pk, "confirm_claim"]),
            {"claim": claim.pk},
        )
        assert response.status_code == 302
        visitor_ticket.refresh_from_db()
        assert visitor_ticket.contact_id == contact.pk
        claim.refresh_from_db()
        assert claim.confirmed_by is not None and claim.proven_at is None
        page = client.get(reverse("inbox:ticket_detail", args=[visitor_ticket.pk]))
        html = page.content.decode()
        assert f"Claims to be {JEANNE}, unverified." not in html  # the notice is gone
        # Send via now offers her address.
        assert re.search(rf'<option value="\d+"[^>]*>[^<]*{JEANNE}', html)
        # A second confirmation is refused with a reason.
        again = client.post(
            reverse("inbox:ticket_action", args=[visitor_ticket.pk, "confirm_claim"]),
            {"claim": claim.pk},
            follow=True,
        )
        assert "already settled" in again.content.decode()

    await sync_to_async(confirm)()


async def test_an_address_gets_at_most_three_codes_an_hour(inbox):
    await sync_to_async(known_customer)()
    for attempt in range(3):
        comm, _ = await start(inbox)
        await comm.send_json_to({"type": "email", "email": JEANNE})
        assert await comm.receive_json_from() == {"type": "code_sent"}, attempt
        await comm.disconnect()
    comm, _ = await start(inbox)
    await comm.send_json_to({"type": "email", "email": JEANNE})
    assert (await comm.receive_json_from())["error"] == "rate_limited"
    await comm.disconnect()
    assert len(mail.outbox) == 3
