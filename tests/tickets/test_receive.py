from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from channels_in.base import InboundAttachment, InboundMessage, Sender
from helpdesk.contacts.models import Contact, ContactIdentity
from helpdesk.tickets.models import Message, RawInbound, ThreadingReason, Ticket, TicketStatus
from helpdesk.tickets.services import message_receive, message_reply, ticket_set_status
from tests.factories import InboxFactory

pytestmark = pytest.mark.django_db


def inbound(
    inbox, text="Where is my order?", external_id="ext-1", address="jane@example.test", **kw
):
    return InboundMessage(
        inbox_id=inbox.pk,
        sender=Sender(kind=inbox.identity_kind, address=address, name="Jane Doe"),
        text=text,
        external_id=external_id,
        raw=text.encode(),
        raw_content_type="text/plain",
        **kw,
    )


def test_first_message_opens_a_ticket_for_a_new_contact(email_inbox):
    result = message_receive(inbound=inbound(email_inbox, subject="Parcel"))

    assert result.outcome == "created"
    ticket = result.ticket
    assert ticket.status == TicketStatus.NEW
    assert ticket.subject == "Parcel"
    assert ticket.contact.name == "Jane Doe"
    identity = ContactIdentity.objects.get()
    assert (identity.kind, identity.address) == ("email", "jane@example.test")
    assert result.message.threading_reason == ThreadingReason.NEW_TICKET
    assert bytes(RawInbound.objects.get().payload) == b"Where is my order?"


def test_repeated_external_id_is_stored_once(email_inbox):
    first = message_receive(inbound=inbound(email_inbox))
    again = message_receive(inbound=inbound(email_inbox, text="changed on redelivery"))

    assert again.outcome == "duplicate"
    assert again.message.pk == first.message.pk
    assert Message.objects.count() == 1
    assert RawInbound.objects.count() == 1
    assert Message.objects.get().text == "Where is my order?"


def test_same_external_id_in_another_inbox_is_another_message(email_inbox):
    other = InboxFactory(kind="email", config={"address": "sales@shop.test"})
    message_receive(inbound=inbound(email_inbox))
    message_receive(inbound=inbound(other))
    assert Message.objects.count() == 2


def test_address_spelling_does_not_split_a_contact(email_inbox):
    message_receive(inbound=inbound(email_inbox, external_id="a"))
    message_receive(inbound=inbound(email_inbox, external_id="b", address=" JANE@Example.test "))
    assert Contact.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_two_messages_from_one_identity_thread_into_one_ticket(email_inbox):
    first = message_receive(inbound=inbound(email_inbox, external_id="a"))
    second = message_receive(inbound=inbound(email_inbox, external_id="b", text="Any news?"))

    assert second.outcome == "threaded"
    assert second.ticket.pk == first.ticket.pk
    assert second.message.threading_reason == ThreadingReason.REOPEN_WINDOW
    assert list(first.ticket.messages.values_list("text", flat=True)) == [
        "Where is my order?",
        "Any news?",
    ]


def test_after_the_reopen_window_a_new_ticket(email_inbox):
    first = message_receive(inbound=inbound(email_inbox, external_id="a"))
    Ticket.objects.filter(pk=first.ticket.pk).update(
        last_message_at=timezone.now() - email_inbox.reopen_window - timedelta(minutes=1)
    )
    second = message_receive(inbound=inbound(email_inbox, external_id="b"))

    assert second.outcome == "created"
    assert second.ticket.pk != first.ticket.pk
    assert second.ticket.contact_id == first.ticket.contact_id


def test_a_message_on_a_solved_ticket_within_the_window_reopens_it(email_inbox, agent):
    first = message_receive(inbound=inbound(email_inbox, external_id="a"))
    ticket_set_status(ticket=first.ticket, status=TicketStatus.SOLVED, actor=agent)
    second = message_receive(inbound=inbound(email_inbox, external_id="b", text="Still nothing"))

    ticket = Ticket.objects.get(pk=first.ticket.pk)
    assert second.ticket.pk == ticket.pk
    assert ticket.status == TicketStatus.OPEN
    assert ticket.reopened_count == 1
    assert ticket.solved_at is None


def test_closed_tickets_are_never_reopened(email_inbox, agent):
    first = message_receive(inbound=inbound(email_inbox, external_id="a"))
    ticket_set_status(ticket=first.ticket, status=TicketStatus.CLOSED, actor=agent)
    second = message_receive(inbound=inbound(email_inbox, external_id="b"))
    assert second.outcome == "created"


def test_different_inboxes_keep_separate_tickets(email_inbox):
    sms = InboxFactory(kind="sms", name="SMS", config={})
    message_receive(inbound=inbound(email_inbox, external_id="a"))
    result = message_receive(inbound=inbound(sms, external_id="b", address="+33 6 12 34 56 78"))
    assert result.outcome == "created"
    assert ContactIdentity.objects.get(kind="phone").address == "+33612345678"


def test_a_reply_to_our_message_threads_by_reply_id_even_after_the_window(smtp_inbox):
    first = message_receive(inbound=inbound(smtp_inbox, external_id="<a@client>"))
    reply = message_reply(ticket=first.ticket, text="It left our warehouse.")
    Ticket.objects.filter(pk=first.ticket.pk).update(
        last_message_at=timezone.now() - timedelta(days=60)
    )
    answer = message_receive(
        inbound=inbound(smtp_inbox, external_id="<b@client>", in_reply_to=(reply.external_id,))
    )
    assert answer.ticket.pk == first.ticket.pk
    assert answer.message.threading_reason == ThreadingReason.REPLY_HEADERS


def test_attachments_are_stored_with_their_metadata(email_inbox):
    result = message_receive(
        inbound=inbound(
            email_inbox,
            attachments=(InboundAttachment("../../etc/passwd", "image/png", b"\x89PNG data"),),
        )
    )
    attachment = result.message.attachments.get()
    assert attachment.filename == ".._.._etc_passwd"
    assert attachment.size == 9
    assert attachment.file.read() == b"\x89PNG data"


def test_a_live_event_is_published_to_the_inbox_group_after_commit(
    email_inbox, django_capture_on_commit_callbacks
):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(email_inbox.group_name, channel)

    with django_capture_on_commit_callbacks(execute=True):
        result = message_receive(inbound=inbound(email_inbox))

    event = async_to_sync(layer.receive)(channel)["event"]
    assert event == {
        "type": "message.created",
        "ticket": result.ticket.pk,
        "message": result.message.pk,
        "inbox": email_inbox.pk,
        "direction": "in",
        "kind": "message",
        "new_ticket": True,
        "assignee": None,
        "team": None,
    }


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_message_store_it_once(email_inbox):
    barrier = threading.Barrier(4)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        from django.db import connection

        try:
            barrier.wait()
            outcomes.append(message_receive(inbound=inbound(email_inbox)).outcome)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(outcomes) == ["created", "duplicate", "duplicate", "duplicate"]
    assert Message.objects.count() == 1
    assert Contact.objects.count() == 1
    assert Ticket.objects.count() == 1
