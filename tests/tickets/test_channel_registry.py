"""Channels come from settings, and each adapter owns its channel's specifics."""

from __future__ import annotations

import pytest

from helpdesk.channels import get_adapter
from helpdesk.contracts import InboundMessage, Sender, SendResult
from helpdesk.tickets.models import Inbox
from helpdesk.tickets.services import message_receive, message_reply
from tests.factories import InboxFactory

pytestmark = pytest.mark.django_db


class PigeonAdapter:
    """A channel nobody shipped: one module and one line of settings."""

    kind = "sms"
    sent: list = []

    def clean_config(self, config):
        return dict(config)

    def is_configured(self, config):
        return True

    def verify(self, request, *, config):
        return None

    def parse(self, payload, *, inbox_id, config):
        return []

    def send(self, message):
        PigeonAdapter.sent.append(message)
        return SendResult(external_id="coo-1")


def receive(inbox, kind, address):
    return message_receive(
        inbound=InboundMessage(
            inbox_id=inbox.pk,
            sender=Sender(kind=kind, address=address),
            subject="Parcel",
            text="Where is it?",
        )
    )


def test_settings_choose_the_adapter(settings, django_capture_on_commit_callbacks):
    settings.HELPDESK_CHANNELS = {**settings.HELPDESK_CHANNELS, "sms": f"{__name__}:PigeonAdapter"}
    assert isinstance(get_adapter("sms"), PigeonAdapter)
    inbox = InboxFactory(kind="sms")
    ticket = receive(inbox, "phone", "+33612345678").ticket
    with django_capture_on_commit_callbacks(execute=True):
        reply = message_reply(ticket=ticket, text="Tomorrow")
    reply.refresh_from_db()
    assert (reply.delivery_state, reply.external_id) == ("sent", "coo-1")
    assert PigeonAdapter.sent[-1].text == "Tomorrow"
    with pytest.raises(LookupError):
        get_adapter("carrier-pigeon")


def test_subject_tokens_and_message_ids_only_where_the_channel_uses_them():
    email = InboxFactory(kind="email", config={"address": "help@shop.test"})
    sms = InboxFactory(kind="sms")
    mail_ticket = receive(email, "email", "jo@example.test").ticket
    sms_ticket = receive(sms, "phone", "+33612345678").ticket

    by_mail = message_reply(ticket=mail_ticket, text="On its way")
    by_sms = message_reply(ticket=sms_ticket, text="On its way")

    assert by_mail.subject == f"Re: Parcel [#{mail_ticket.pk}]"
    assert by_mail.external_id.startswith(f"<ticket-{mail_ticket.pk}.")
    assert by_sms.subject == "Re: Parcel"
    assert by_sms.external_id is None
    assert Inbox.objects.count() == 2
