from __future__ import annotations

import pytest
from django.core.cache import cache

from channels_in.email.services import email_ingest
from helpdesk.tickets.models import Message
from tests.channels_in.email.mails import build_mail

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_rate_limit_left_over():
    cache.clear()
    yield
    cache.clear()


def acknowledgement(inbox, sender):
    result = email_ingest(raw=build_mail(sender=sender), inbox=inbox)
    assert result.acknowledged
    return result, Message.objects.get(ticket_id=result.ticket_id, direction="out", kind="message")


def test_a_custom_acknowledgement_text_carries_its_ticket_number(email_inbox):
    email_inbox.config.update(
        auto_acknowledge=True,
        auto_acknowledge_text="Thanks! We reply within 100% of business days. Ticket #%(ticket)s.",
    )
    email_inbox.save()
    result, ack = acknowledgement(email_inbox, "jane@example.test")
    assert ack.text == (
        f"Thanks! We reply within 100% of business days. Ticket #{result.ticket_id}."
    )


def test_the_default_acknowledgement_text_carries_its_ticket_number(email_inbox):
    email_inbox.config.update(auto_acknowledge=True)
    email_inbox.save()
    result, ack = acknowledgement(email_inbox, "sam@example.test")
    assert f"#{result.ticket_id}" in ack.text
    assert "%(ticket)s" not in ack.text
