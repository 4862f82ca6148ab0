"""The inbound drain fetches media with no transaction open: a slow media server holds up
nothing but the message that waits for it."""

from __future__ import annotations

import threading
from urllib.parse import urlencode

import pytest
from django.db import connection

from helpdesk.contracts import InboundMessage, Sender
from helpdesk.tickets.inbound_queue import raw_inbound_accept, raw_inbound_drain
from helpdesk.tickets.models import Message, RawInbound, RawStatus, Ticket, TicketStatus
from helpdesk.tickets.services import message_receive, ticket_set_status
from helpdesk.tickets.tasks import raw_inbound_drain_task
from tests.channels_in.twilio.conftest import sms_fields
from tests.conftest import POSTGRES
from tests.factories import InboxFactory, TicketFactory
from tests.fakes.twilio import TwilioHandler

pytestmark = pytest.mark.django_db(transaction=True)


def accept(inbox, fields):
    raw_inbound_accept(
        inbox=inbox,
        payload=urlencode(fields).encode(),
        external_id=fields["MessageSid"],
        source="twilio:sms",
        content_type="application/x-www-form-urlencoded",
    )


def open_transactions_of_others() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
        )
        return cursor.fetchone()[0]


def test_a_drain_waiting_on_a_slow_media_server_blocks_no_other_write(
    sms_inbox, fake_twilio, monkeypatch
):
    monkeypatch.setattr(raw_inbound_drain_task, "delay", lambda inbox_id: None)
    requested, release = threading.Event(), threading.Event()
    serve = TwilioHandler.do_GET

    def slow_get(handler):
        requested.set()
        release.wait(30)  # the media server answers only when the test lets it
        serve(handler)

    monkeypatch.setattr(TwilioHandler, "do_GET", slow_get)
    photo = sms_fields(From="+33612345678", Body="Broken mug", NumMedia="1")
    photo["MediaUrl0"] = fake_twilio.add_media("image/jpeg", b"\xff\xd8 jpeg", photo["MessageSid"])
    photo["MediaContentType0"] = "image/jpeg"
    accept(sms_inbox, photo)
    other_ticket = TicketFactory(status="open")
    email = InboxFactory(kind="email")

    errors: list[Exception] = []

    def drain():
        try:
            raw_inbound_drain(inbox_id=sms_inbox.pk)
        except Exception as exc:  # a thread's failure must fail the test
            errors.append(exc)
        finally:
            connection.close()

    worker = threading.Thread(target=drain)
    worker.start()
    try:
        assert requested.wait(20), "the drain never asked for the media"
        # The drain waits on the network, holding nothing: its claim is committed...
        assert RawInbound.objects.get(external_id=photo["MessageSid"]).status == "claimed"
        if POSTGRES:
            assert open_transactions_of_others() == 0
        # ...and every other write goes on meanwhile: another webhook of the same inbox, a
        # mail received, an agent's status change.
        later = sms_fields(From="+33699999999", Body="Second customer")
        accept(sms_inbox, later)
        mail = message_receive(
            inbound=InboundMessage(
                inbox_id=email.pk,
                sender=Sender(kind="email", address="jo@example.test"),
                text="Meanwhile, by mail",
            )
        )
        ticket_set_status(ticket=other_ticket, status=TicketStatus.SOLVED)
        assert mail.outcome == "created"
        assert Ticket.objects.get(pk=other_ticket.pk).status == TicketStatus.SOLVED
        assert not Message.objects.filter(external_id=photo["MessageSid"]).exists()
    finally:
        release.set()
        worker.join(timeout=60)
    assert not errors, errors

    stored = Message.objects.get(external_id=photo["MessageSid"])
    attachment = stored.attachments.get()
    assert (attachment.content_type, attachment.size) == ("image/jpeg", len(b"\xff\xd8 jpeg"))
    # What arrived while it waited waits for the next drain (its own task), then is received.
    assert RawInbound.objects.get(external_id=later["MessageSid"]).status == RawStatus.PENDING
    raw_inbound_drain(inbox_id=sms_inbox.pk)
    assert Message.objects.filter(external_id=later["MessageSid"]).exists()
    statuses = set(RawInbound.objects.filter(inbox=sms_inbox).values_list("status", "claim"))
    assert statuses == {(RawStatus.ACCEPTED, "")}
