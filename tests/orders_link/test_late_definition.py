"""One definition of a late shipment: the delay scan and the inbox's delayed view agree."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from helpdesk.tickets.models import Ticket
from helpdesk.tickets.selectors import delayed_order_exists
from orders_link.selectors import shipment_delays
from tests.factories import TicketFactory
from tests.orders_link.factories import customer, shipment

pytestmark = pytest.mark.django_db


def test_the_scan_and_the_inbox_agree_on_what_is_late():
    now = timezone.now()
    today = timezone.localdate(now)
    cases = {
        # promised yesterday, but our last notice gave the customer a date next week
        "renotified": dict(
            promised_date=today - dt.timedelta(days=1), notified_date=today + dt.timedelta(days=5)
        ),
        "overdue": dict(promised_date=today - dt.timedelta(days=1)),
        "reported": dict(status="exception", promised_date=today + dt.timedelta(days=3)),
        "on_time": dict(promised_date=today + dt.timedelta(days=3)),
        "delivered": dict(
            status="delivered", promised_date=today - dt.timedelta(days=4), delivered_at=now
        ),
    }
    parcels = {
        name: shipment(customer(email=f"{name}@example.test"), last_scan_at=now, **fields)
        for name, fields in cases.items()
    }
    tickets = {
        name: TicketFactory(order=parcel.order, contact=parcel.order.contact)
        for name, parcel in parcels.items()
    }

    late_for_the_scan = {
        name
        for name, parcel in parcels.items()
        if any(
            d.shipment_id == parcel.pk and d.kind in {"overdue", "reported"}
            for d in shipment_delays(now=now)
        )
    }
    in_the_delayed_view = {
        name
        for name, ticket in tickets.items()
        if Ticket.objects.filter(pk=ticket.pk).filter(delayed_order_exists(today=today)).exists()
    }
    assert in_the_delayed_view == late_for_the_scan == {"overdue", "reported"}
