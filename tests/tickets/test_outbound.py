from __future__ import annotations

import pytest
from django.utils import timezone

from channels_in.base import InboundMessage, Sender
from helpdesk.tickets.models import DeliveryState, Message, TicketStatus
from helpdesk.tickets.services import (
    message_deliver,
    message_receive,
    message_reply,
    outbound_requeue_stale,
)
from tests.factories import InboxFactory

pytestmark = pytest.mark.django_db


def open_ticket(inbox, address="jane@example.test"):
    return message_receive(
        inbound=InboundMessage(
            inbox_id=inbox.pk,
            sender=Sender(kind="email", address=address, name="Jane Doe"),
            subject="Where is my parcel?",
            text="Order #1001 has not arrived.",
            external_id="<question-1@mail.example.test>",
        )
    ).ticket


def test_reply_goes_queued_then_sent_through_smtp_once(
    smtp_inbox, smtp_server, agent, django_capture_on_commit_callbacks
):
    ticket = open_ticket(smtp_inbox)
    with django_capture_on_commit_callbacks(execute=True):
        reply = message_reply(ticket=ticket, author=agent, text="It ships today.")
        assert reply.delivery_state == DeliveryState.QUEUED

    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.SENT
    assert reply.sent_at is not None
    assert reply.delivery_attempts == 1
    assert len(smtp_server.received) == 1
    mail = smtp_server.received[0]
    assert mail["To"] == "Jane Doe <jane@example.test>"
    assert mail["From"] == "Support email <support@shop.test>"
    assert mail["Message-ID"] == reply.external_id
    assert mail["In-Reply-To"] == "<question-1@mail.example.test>"
    assert f"[#{ticket.pk}]" in mail["Subject"]
    assert mail.get_content().strip() == "It ships today."

    # A second task for the same message (duplicate enqueue, redelivery) sends nothing.
    assert message_deliver(message_id=reply.pk) == "skipped"
    assert len(smtp_server.received) == 1


def test_first_agent_reply_is_recorded_and_opens_the_ticket(smtp_inbox, agent):
    ticket = open_ticket(smtp_inbox)
    assert ticket.first_response_at is None
    message_reply(ticket=ticket, author=agent, text="Looking into it.")
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None
    assert ticket.status == TicketStatus.OPEN
    first = ticket.first_response_at
    message_reply(ticket=ticket, author=agent, text="Found it.")
    ticket.refresh_from_db()
    assert ticket.first_response_at == first


def test_permanent_failure_is_recorded_and_not_retried(
    smtp_inbox, smtp_server, agent, django_capture_on_commit_callbacks
):
    smtp_server.handler.refuse["gone@example.test"] = "550 5.1.1 <gone@example.test>: No such user"
    ticket = open_ticket(smtp_inbox, address="gone@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        reply = message_reply(ticket=ticket, author=agent, text="Hello?")

    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.FAILED
    assert "550" in reply.delivery_error
    assert "No such user" in reply.delivery_error
    assert reply.delivery_attempts == 1
    assert reply.next_attempt_at is None
    assert outbound_requeue_stale(now=timezone.now() + timezone.timedelta(days=1)) == {
        "requeued": 0,
        "abandoned": 0,
    }
    assert smtp_server.received == []


def test_transient_failure_is_queued_again_then_sent_by_the_sweep(
    smtp_inbox, smtp_server, agent, django_capture_on_commit_callbacks
):
    smtp_server.handler.refuse["busy@example.test"] = "451 4.3.0 Try again later"
    ticket = open_ticket(smtp_inbox, address="busy@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        reply = message_reply(ticket=ticket, author=agent, text="Hello again")

    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.QUEUED
    assert "451" in reply.delivery_error
    assert reply.next_attempt_at > timezone.now()

    del smtp_server.handler.refuse["busy@example.test"]
    with django_capture_on_commit_callbacks(execute=True):
        assert outbound_requeue_stale(now=reply.next_attempt_at)["requeued"] == 1

    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.SENT
    assert reply.delivery_attempts == 2
    assert len(smtp_server.received) == 1


def test_unreachable_server_is_a_transient_failure(agent, django_capture_on_commit_callbacks):
    from tests.smtp_server import free_port

    inbox = InboxFactory(
        config={"address": "support@shop.test", "smtp_host": "127.0.0.1", "smtp_port": free_port()}
    )
    ticket = open_ticket(inbox)
    with django_capture_on_commit_callbacks(execute=True):
        reply = message_reply(ticket=ticket, author=agent, text="Hi")
    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.QUEUED
    assert "connection" in reply.delivery_error.lower()


def test_attempts_are_capped(
    smtp_inbox, smtp_server, agent, settings, django_capture_on_commit_callbacks
):
    settings.HELPDESK_DELIVERY_MAX_ATTEMPTS = 2
    smtp_server.handler.refuse["busy@example.test"] = "451 4.3.0 Try again later"
    ticket = open_ticket(smtp_inbox, address="busy@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        reply = message_reply(ticket=ticket, author=agent, text="Hello")
    reply.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        outbound_requeue_stale(now=reply.next_attempt_at)
    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.FAILED
    assert reply.delivery_attempts == 2


def test_without_credentials_a_reply_waits_in_the_visible_outbox(
    email_inbox, agent, agent_client, django_capture_on_commit_callbacks
):
    ticket = open_ticket(email_inbox)
    with django_capture_on_commit_callbacks(execute=True):
        reply = message_reply(ticket=ticket, author=agent, text="Not really sent")
    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.OUTBOX

    page = agent_client.get("/inbox/outbox/")
    assert page.status_code == 200
    assert "Not really sent" in page.content.decode()


def test_a_message_abandoned_mid_send_is_failed_not_resent(smtp_inbox, agent, smtp_server):
    ticket = open_ticket(smtp_inbox)
    reply = message_reply(ticket=ticket, author=agent, text="Hi")
    stale = timezone.now() - timezone.timedelta(hours=1)
    Message.objects.filter(pk=reply.pk).update(
        delivery_state=DeliveryState.SENDING, last_attempt_at=stale
    )
    assert outbound_requeue_stale()["abandoned"] == 1
    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.FAILED
    assert "interrupted" in reply.delivery_error
    assert smtp_server.received == []


def test_opted_out_identity_is_not_messaged(
    smtp_inbox, smtp_server, agent, django_capture_on_commit_callbacks
):
    ticket = open_ticket(smtp_inbox)
    ticket.contact.identities.update(opted_out_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        reply = message_reply(ticket=ticket, author=agent, text="Hi")
    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.FAILED
    assert smtp_server.received == []


def test_a_reply_held_for_quiet_hours_waits_until_due(
    smtp_inbox, smtp_server, agent, django_capture_on_commit_callbacks
):
    ticket = open_ticket(smtp_inbox)
    morning = timezone.now() + timezone.timedelta(hours=8)
    with django_capture_on_commit_callbacks(execute=True):
        reply = message_reply(ticket=ticket, author=agent, text="Good morning", send_after=morning)
        outbound_requeue_stale()
    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.QUEUED
    assert smtp_server.received == []

    with django_capture_on_commit_callbacks(execute=True):
        outbound_requeue_stale(now=morning)
    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.SENT
    assert len(smtp_server.received) == 1


def test_a_reply_whose_enqueue_was_lost_is_picked_up_by_the_sweep(
    smtp_inbox, smtp_server, agent, django_capture_on_commit_callbacks
):
    ticket = open_ticket(smtp_inbox)
    reply = message_reply(
        ticket=ticket, author=agent, text="Lost in the broker"
    )  # no commit hooks run
    assert outbound_requeue_stale()["requeued"] == 0  # too fresh: its own task may still come
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            outbound_requeue_stale(now=timezone.now() + timezone.timedelta(minutes=3))["requeued"]
            == 1
        )
    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.SENT
    assert len(smtp_server.received) == 1


def test_a_channel_without_an_adapter_fails_visibly(
    agent, django_capture_on_commit_callbacks, settings
):
    inbox = InboxFactory(kind="email", config={"address": "support@shop.test"})
    ticket = open_ticket(inbox)
    settings.HELPDESK_CHANNELS = {}
    with django_capture_on_commit_callbacks(execute=True):
        reply = message_reply(ticket=ticket, author=agent, text="Hi")
    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.FAILED
    assert "No channel adapter" in reply.delivery_error
