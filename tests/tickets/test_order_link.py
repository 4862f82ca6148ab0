from __future__ import annotations

import pytest

from channels_in.base import InboundMessage, Sender
from helpdesk.contacts.models import ContactIdentity
from helpdesk.tickets.services import message_receive
from orders_link.models import OrderStatus
from tests.factories import IdentityFactory, OrderFactory, ShipmentFactory

pytestmark = pytest.mark.django_db


def write(inbox, text, address="jane@example.test", external_id="m1"):
    return message_receive(
        inbound=InboundMessage(
            inbox_id=inbox.pk,
            sender=Sender(kind="email", address=address),
            text=text,
            external_id=external_id,
        )
    ).ticket


@pytest.fixture
def jane(db):
    return IdentityFactory(address="jane@example.test").contact


def test_an_order_number_of_the_sender_links_the_order(email_inbox, jane):
    OrderFactory(contact=jane, number="#1001")
    mine = OrderFactory(contact=jane, number="#1002")
    assert write(email_inbox, "Where is order #1002 please?").order == mine


def test_a_tracking_number_of_the_sender_links_its_order(email_inbox, jane):
    OrderFactory(contact=jane)
    shipment = ShipmentFactory(order__contact=jane, tracking_number="6A12345678901")
    assert write(email_inbox, "Tracking 6A12345678901 has not moved").order == shipment.order


def test_someone_elses_order_number_is_never_linked(email_inbox, jane):
    stranger = ContactIdentity.objects.create(
        contact=OrderFactory(number="#2001").contact, kind="email", address="x@example.test"
    )
    assert stranger
    assert write(email_inbox, "What about order #2001?").order is None


def test_the_single_open_order_is_linked_when_none_is_named(email_inbox, jane):
    OrderFactory(contact=jane, status=OrderStatus.DELIVERED)
    open_order = OrderFactory(contact=jane, status=OrderStatus.SHIPPED)
    assert write(email_inbox, "Hello, where is my parcel?").order == open_order


def test_no_guess_between_two_open_orders(email_inbox, jane):
    OrderFactory(contact=jane, status=OrderStatus.SHIPPED)
    OrderFactory(contact=jane, status=OrderStatus.PACKING)
    assert write(email_inbox, "Hello, where is my parcel?").order is None
