"""What a channel adds to the workspace comes from its adapter: the core names no channel."""

from __future__ import annotations

import pytest
from django.urls import reverse

from channels_in.base import InboundMessage, Sender
from channels_in.telegram.adapter import TelegramAdapter
from helpdesk.contacts.models import ContactIdentity
from helpdesk.inbox.selectors import reply_fallback_identity_kinds, reply_identity_default
from helpdesk.tickets.services import message_receive
from tests.factories import AgentFactory, InboxFactory

pytestmark = pytest.mark.django_db


class LinkingTelegramAdapter(TelegramAdapter):
    """A Telegram adapter that links each received message to the chat it came from."""

    reply_fallback = True

    def message_links(self, message):
        return [(f"https://t.me/c/{message.external_id}", "Open in Telegram")]


def receive(inbox, kind, address, text, external_id):
    return message_receive(
        inbound=InboundMessage(
            inbox_id=inbox.pk,
            sender=Sender(kind=kind, address=address),
            text=text,
            external_id=external_id,
        )
    )


def page(client, ticket) -> str:
    client.force_login(AgentFactory(username="sam"))
    return client.get(reverse("inbox:ticket_detail", args=[ticket.pk])).content.decode()


def test_the_email_adapter_links_a_received_mail_to_its_original(client):
    inbox = InboxFactory(kind="email", name="Mail", config={"address": "help@shop.test"})
    result = receive(inbox, "email", "ana@example.test", "Hello", "<m1@example.test>")
    body = page(client, result.ticket)
    assert reverse("email:message", args=[result.message.pk]) in body


def test_a_channel_without_links_adds_none(client):
    inbox = InboxFactory(kind="telegram", name="Telegram")
    result = receive(inbox, "telegram", "4242", "Hello", "tg-1")
    body = page(client, result.ticket)
    assert "/email/messages/" not in body
    assert "Open in Telegram" not in body


def test_the_links_shown_are_the_adapters_whatever_the_channel(client, settings):
    settings.HELPDESK_CHANNELS = {
        **settings.HELPDESK_CHANNELS,
        "telegram": "tests.inbox.test_adapter_ui:LinkingTelegramAdapter",
    }
    inbox = InboxFactory(kind="telegram", name="Telegram")
    result = receive(inbox, "telegram", "4242", "Hello", "tg-2")
    assert 'href="https://t.me/c/tg-2">Open in Telegram</a>' in page(client, result.ticket)


def test_the_reply_fallback_channel_is_the_adapters_choice(settings):
    assert reply_fallback_identity_kinds() == {"email"}
    inbox = InboxFactory(kind="sms", name="SMS")
    result = receive(inbox, "phone", "+33600000001", "Hello", "SM" + "1" * 32)
    contact = result.ticket.contact
    email = ContactIdentity.objects.create(contact=contact, kind="email", address="a@ex.test")
    telegram = ContactIdentity.objects.create(contact=contact, kind="telegram", address="77")
    ticket = result.ticket
    ticket.messages.all().delete()
    ticket.inbox = InboxFactory(kind="webchat", name="Chat")
    identities = [telegram, email]
    assert reply_identity_default(ticket=ticket, identities=identities) == email

    settings.HELPDESK_CHANNELS = {
        **settings.HELPDESK_CHANNELS,
        "email": "channels_in.email.adapter:EmailAdapter",
        "telegram": "tests.inbox.test_adapter_ui:LinkingTelegramAdapter",
    }
    assert reply_fallback_identity_kinds() == {"email", "telegram"}
    assert reply_identity_default(ticket=ticket, identities=identities) == telegram
