from __future__ import annotations

import datetime as dt

from helpdesk.contacts.models import ContactIdentity
from tests.factories import ContactFactory, OrderFactory, ShipmentFactory

NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)  # 11:00 in Paris
TODAY = dt.date(2026, 3, 10)


def customer(*, language="en", time_zone="Europe/Paris", **identities: str):
    """A contact with identities given as kind=address (email, phone, whatsapp, telegram)."""
    contact = ContactFactory(language=language, time_zone=time_zone)
    for kind, address in identities.items():
        ContactIdentity.objects.create(contact=contact, kind=kind, address=address)
    return contact


def shipment(contact=None, **fields):
    order_fields = {"contact": contact} if contact else {}
    defaults = {
        "status": "in_transit",
        "shipped_at": NOW - dt.timedelta(days=1),
        "last_scan_at": NOW - dt.timedelta(hours=5),
        "promised_date": TODAY + dt.timedelta(days=2),
        "tracking_url": "https://track.example/parcel",
        "destination_country": "FR",
        "destination_postcode": "75011",
    }
    defaults.update(fields)
    return ShipmentFactory(
        order=OrderFactory(**order_fields, customer_name="", placed_at=NOW - dt.timedelta(days=3)),
        **defaults,
    )
