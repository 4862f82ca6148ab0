"""Order linking is orders_link's subscriber to MessageReceived, in the receive transaction:
the core names neither orders_link nor the subscriber, and a failing subscriber loses nothing."""

from __future__ import annotations

import pytest

from channels_in.base import InboundMessage, Sender
from helpdesk import domain_events
from helpdesk.automations.models import Rule
from helpdesk.domain_events import MessageReceived, OrderLinked
from helpdesk.tickets.models import Message, SubscriberFailure, Ticket
from helpdesk.tickets.services import message_receive, messages_receive
from orders_link import subscribers
from orders_link.models import OrderStatus
from tests.factories import IdentityFactory, OrderFactory, ShipmentFactory

pytestmark = pytest.mark.django_db(transaction=True)


def inbound(inbox, text, external_id="m1", address="jane@example.test"):
    return InboundMessage(
        inbox_id=inbox.pk,
        sender=Sender(kind="email", address=address),
        subject="My order",
        text=text,
        external_id=external_id,
    )


@pytest.fixture
def jane(db):
    return IdentityFactory(address="jane@example.test").contact


@pytest.fixture
def linked():
    got: list[OrderLinked] = []
    domain_events.subscribe(OrderLinked, got.append)
    yield got
    domain_events.unsubscribe(OrderLinked, got.append)


def test_the_order_is_linked_by_its_subscriber_before_the_rules_run(email_inbox, jane, linked):
    assert subscribers.order_link_from_message in domain_events.subscribers(
        MessageReceived, in_transaction=True
    )
    order = OrderFactory(contact=jane, number="#1042", status=OrderStatus.SHIPPED)
    ShipmentFactory(order=order, status="delayed")
    # A rule that needs the linked order to act: it sees it in the same transaction.
    Rule.objects.create(
        name="late",
        trigger="created",
        conditions=[{"field": "order_delayed", "op": "is", "value": "yes"}],
        actions=[{"type": "add_tag", "value": "late-order"}],
    )

    result = message_receive(inbound=inbound(email_inbox, "Where is order 1042?"))

    ticket = Ticket.objects.get(pk=result.ticket.pk)
    assert ticket.order_id == order.pk
    assert list(ticket.tags.values_list("name", flat=True)) == ["late-order"]
    assert [(e.ticket_id, e.order_id) for e in linked] == [(ticket.pk, order.pk)]


def test_a_batch_links_each_message_to_its_own_senders_order(email_inbox, jane):
    mine = OrderFactory(contact=jane, number="#2001", status=OrderStatus.SHIPPED)
    IdentityFactory(address="max@example.test")
    results = messages_receive(
        inbounds=[
            inbound(email_inbox, "About #2001", external_id="a"),
            inbound(email_inbox, "About #2001 too", external_id="b", address="max@example.test"),
        ]
    )
    assert Ticket.objects.get(pk=results[0].ticket.pk).order_id == mine.pk
    assert Ticket.objects.get(pk=results[1].ticket.pk).order_id is None


def test_a_failing_order_subscriber_loses_neither_the_message_nor_the_rest(
    email_inbox, jane, linked, monkeypatch
):
    OrderFactory(contact=jane, number="#3001", status=OrderStatus.SHIPPED)
    Rule.objects.create(
        name="tag", trigger="created", actions=[{"type": "add_tag", "value": "seen"}]
    )

    def unreachable(**kwargs):
        raise RuntimeError("order lookup failed")

    monkeypatch.setattr(subscribers, "order_for_message", unreachable)

    result = message_receive(inbound=inbound(email_inbox, "Where is #3001?"))

    ticket = Ticket.objects.get(pk=result.ticket.pk)
    assert Message.objects.filter(pk=result.message.pk, ticket=ticket).exists()
    assert ticket.order_id is None
    assert list(ticket.tags.values_list("name", flat=True)) == ["seen"]
    assert linked == []
    failure = SubscriberFailure.objects.get()
    assert failure.event == "MessageReceived"
    assert failure.subscriber == "orders_link.subscribers.order_link_from_message"
    assert "order lookup failed" in failure.error
