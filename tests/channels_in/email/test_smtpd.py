from __future__ import annotations

import smtplib

import pytest

from channels_in.email.smtp import InboundController, InboundHandler
from helpdesk.tickets.models import Message
from tests.channels_in.email.mails import build_mail
from tests.smtp_server import free_port

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=[False, True], ids=["smtp", "lmtp"])
def receiver(request, email_inbox):
    port = free_port()
    controller = InboundController(
        InboundHandler(), lmtp=request.param, hostname="127.0.0.1", port=port
    )
    controller.start()
    yield port, request.param
    controller.stop()


def connect(port, lmtp):
    return smtplib.LMTP("127.0.0.1", port) if lmtp else smtplib.SMTP("127.0.0.1", port)


def test_forwarded_mail_is_stored_once(receiver):
    port, lmtp = receiver
    raw = build_mail()
    with connect(port, lmtp) as client:
        client.sendmail("jane@example.test", ["support@shop.test"], raw)
        client.sendmail("jane@example.test", ["SUPPORT@shop.test"], raw)
    message = Message.objects.get()
    assert message.subject == "Where is my parcel?"
    assert message.raw.source.startswith("smtp:")


def test_unknown_recipient_and_non_mail_are_refused(receiver):
    port, lmtp = receiver
    with connect(port, lmtp) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.sendmail("jane@example.test", ["nobody@shop.test"], build_mail())
        with pytest.raises(smtplib.SMTPDataError if not lmtp else smtplib.SMTPException) as exc:
            refused = client.sendmail("x@example.test", ["support@shop.test"], b"no headers here")
            if lmtp and refused:  # LMTP answers per recipient
                raise smtplib.SMTPException(str(refused))
        assert "not an email" in str(exc.value)
    assert Message.objects.count() == 0
