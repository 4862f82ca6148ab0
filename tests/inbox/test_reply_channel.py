"""The reply goes where the customer is: "Send via" defaults to their last inbound channel,
else to the channel the delay notice went out on; a reply on an unassigned ticket assigns it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from channels_in.base import InboundMessage, Sender
from helpdesk.tickets.models import Direction, Message, Ticket
from helpdesk.tickets.services import message_deliver, message_receive
from orders_link.delays import delay_notices_send, shipments_delay_scan
from orders_link.models import DelayNotice
from tests.factories import AgentFactory, InboxFactory
from tests.orders_link.factories import NOW, TODAY, customer, shipment

pytestmark = pytest.mark.django_db


@pytest.fixture
def channels(db, settings):
    settings.ORDERS_QUIET_HOURS = ""
    return {
        "sms": InboxFactory(kind="sms", name="SMS", config={"from": "+33700000001"}),
        "whatsapp": InboxFactory(kind="whatsapp", name="WhatsApp", config={}),
        "email": InboxFactory(kind="email", name="Email"),
    }


def notice_ticket(contact) -> Ticket:
    shipment(contact, promised_date=TODAY - dt.timedelta(days=1))
    result = shipments_delay_scan(now=NOW)
    delay_notices_send(notice_ids=result.notice_ids)
    return DelayNotice.objects.get(shipment__order__contact=contact).ticket


def selected_send_via(html: str) -> str:
    select = re.search(r'<select name="identity"[^>]*>(.*?)</select>', html, re.S)
    assert select, "no Send via list"
    chosen = re.search(r'<option value="(\d+)"[^>]*selected[^>]*>([^<]*)<', select.group(1))
    assert chosen, "nothing selected"
    return chosen.group(2)


def test_an_sms_customers_notice_ticket_is_answered_by_sms_by_default(channels, client):
    contact = customer(email="sms.customer@example.test", phone="+33600000011")
    ticket = notice_ticket(contact)
    assert [m.identity.kind for m in ticket.messages.filter(kind="message")] == ["phone"], [
        (m.kind, m.direction, m.text[:40]) for m in ticket.messages.all()
    ]
    agent = AgentFactory(username="sam")
    client.force_login(agent)

    page = client.get(reverse("inbox:ticket_detail", args=[ticket.pk]))
    assert selected_send_via(page.content.decode()) == "Phone (SMS): +33600000011"

    # The form as the browser submits it, "Send via" untouched.
    identity = re.search(
        r'<option value="(\d+)"[^>]*selected', page.content.decode().split('name="identity"')[1]
    ).group(1)
    client.post(
        reverse("inbox:ticket_detail", args=[ticket.pk]),
        {"text": "It is on its way, sorry for the wait.", "identity": identity},
    )
    reply = Message.objects.get(direction=Direction.OUTBOUND, author=agent, kind="message")
    assert reply.identity.kind == "phone"
    assert reply.inbox == channels["sms"]


def test_the_customers_last_inbound_channel_wins_over_the_notice_channel(channels, client):
    contact = customer(
        email="wa.customer@example.test", phone="+33600000012", whatsapp="+33600000012"
    )
    ticket = notice_ticket(contact)
    message_receive(
        inbound=InboundMessage(
            inbox_id=channels["whatsapp"].pk,
            sender=Sender(kind="whatsapp", address="+33600000012"),
            text="Another question about my account",
            external_id="WA-1",
        )
    )
    client.force_login(AgentFactory(username="sam"))
    page = client.get(reverse("inbox:ticket_detail", args=[ticket.pk]))
    assert selected_send_via(page.content.decode()) == "WhatsApp: +33600000012"


def test_an_opted_out_address_is_never_the_default(channels, client):
    contact = customer(email="out@example.test", phone="+33600000013")
    ticket = notice_ticket(contact)
    contact.identities.filter(kind="phone").update(opted_out_at=NOW)
    client.force_login(AgentFactory(username="sam"))
    page = client.get(reverse("inbox:ticket_detail", args=[ticket.pk]))
    assert selected_send_via(page.content.decode()) == "Email: out@example.test"


def test_a_reply_on_an_unassigned_ticket_assigns_it_to_the_replier(channels, client, settings):
    contact = customer(email="x@example.test")
    received = message_receive(
        inbound=InboundMessage(
            inbox_id=channels["email"].pk,
            sender=Sender(kind="email", address="x@example.test"),
            text="Hello?",
            external_id="<m1@example.test>",
        )
    )
    ticket = received.ticket
    assert ticket.contact == contact and ticket.assignee is None
    agent = AgentFactory(username="sam")
    client.force_login(agent)
    url = reverse("inbox:ticket_detail", args=[ticket.pk])

    client.post(url, {"text": "A note first", "internal": "on"})
    ticket.refresh_from_db()
    assert ticket.assignee is None  # a note is not taking the ticket

    client.post(url, {"text": "Hello, I'm on it."})
    ticket.refresh_from_db()
    assert ticket.assignee == agent

    colleague = AgentFactory(username="kim")
    client.force_login(colleague)
    client.post(url, {"text": "Adding a detail."})
    ticket.refresh_from_db()
    assert ticket.assignee == agent  # an assigned ticket stays with its assignee

    settings.HELPDESK_ASSIGN_ON_REPLY = False
    ticket.assignee = None
    ticket.save(update_fields=["assignee"])
    client.post(url, {"text": "One more."})
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_the_delayed_orders_page_tells_where_each_notice_really_is(channels, client):
    contact = customer(email="n@example.test", phone="+33600000014")
    ticket = notice_ticket(contact)
    notice = DelayNotice.objects.get(ticket=ticket)
    message = notice.message
    client.force_login(AgentFactory(username="sam"))

    def state_cell() -> str:
        html = client.get(reverse("orders:delayed")).content.decode()
        row = html.split(f'data-notice="{notice.pk}"')[1].split("</tr>")[0]
        cell = re.search(r'<td class="notice-state">(.*?)</td>', row, re.S).group(1)
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()

    # No Twilio credentials here: delivered, the notice waits in the outbox, not sent.
    message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.delivery_state == "outbox"
    shown = state_cell()
    assert "In outbox" in shown and "Queued" not in shown
    assert "Phone (SMS)" in shown and "phone " not in shown

    Message.objects.filter(pk=message.pk).update(
        delivery_state="failed", delivery_error="Unknown number"
    )
    assert state_cell().startswith("Failed Unknown number")
    Message.objects.filter(pk=message.pk).update(delivery_state="delivered", delivery_error="")
    assert state_cell().startswith("Delivered")
