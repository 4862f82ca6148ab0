"""Writes that race on one ticket keep each other's changes (PostgreSQL, real threads)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from helpdesk.contracts import InboundMessage, Sender
from helpdesk.tickets.models import Ticket, TicketStatus
from helpdesk.tickets.services import message_receive, ticket_set_status
from helpdesk.tickets.services.receive import _ReceiveBatch
from tests.factories import InboxFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def sms(inbox, text, external_id):
    return InboundMessage(
        inbox_id=inbox.pk,
        sender=Sender(kind="phone", address="+33611111111", name="Jane"),
        text=text,
        external_id=external_id,
    )


def another_backend_waits_for_a_lock(timeout: float = 10) -> bool:
    """From inside the receiving transaction: has another session blocked on our lock?"""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.01)
    return False


def test_a_status_change_while_a_message_is_received_loses_neither(monkeypatch):
    inbox = InboxFactory(kind="sms")
    first = message_receive(inbound=sms(inbox, "Where is my parcel?", "SM1"))
    Ticket.objects.filter(pk=first.ticket.pk).update(status=TicketStatus.OPEN)
    # The agent's page read the ticket before the customer's next message arrived.
    agents_copy = Ticket.objects.get(pk=first.ticket.pk)
    agents_copy_before = Ticket.objects.get(pk=first.ticket.pk)

    wrote, errors, results = threading.Event(), [], {}
    real_save = _ReceiveBatch.save

    def save_then_hold(self):
        real_save(self)  # the ticket row is now written and locked by this transaction
        wrote.set()
        results["blocked"] = another_backend_waits_for_a_lock()

    monkeypatch.setattr(_ReceiveBatch, "save", save_then_hold)

    def receive():
        try:
            results["second"] = message_receive(inbound=sms(inbox, "Still nothing", "SM2"))
        except Exception as exc:  # a thread's failure must fail the test
            errors.append(exc)
            wrote.set()
        finally:
            connection.close()

    def solve():
        try:
            assert wrote.wait(10)
            ticket_set_status(ticket=agents_copy, status=TicketStatus.SOLVED)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=receive), threading.Thread(target=solve)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert results["blocked"], "the status change never waited for the receiving transaction"

    ticket = Ticket.objects.get(pk=first.ticket.pk)
    assert results["second"].ticket.pk == ticket.pk
    # The receive's update survived the status change made from an older copy...
    assert ticket.last_message_at > agents_copy_before.last_message_at
    assert ticket.last_inbound_at > agents_copy_before.last_inbound_at
    # ...and the status change survived the receive.
    assert ticket.status == TicketStatus.SOLVED
    assert ticket.solved_at is not None
    assert ticket.messages.filter(metadata__event="status", metadata__to="solved").exists()
