"""The one definition of a late shipment, for the delay scan and the inbox alike.

Reads only this app's models, so the core's selectors can use it without importing the rest
of orders_link (whose selectors read the core's).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.db.models.functions import Coalesce

from orders_link.models import OrderStatus, Shipment, ShipmentStatus

__all__ = ["NOT_ON_THE_WAY", "REPORTED_LATE", "late_q", "shipments_late", "shipments_on_the_way"]

REPORTED_LATE = (ShipmentStatus.EXCEPTION, ShipmentStatus.DELAYED, ShipmentStatus.FAILED_ATTEMPT)
NOT_ON_THE_WAY = (ShipmentStatus.DELIVERED, ShipmentStatus.RETURNED)


def shipments_on_the_way() -> Any:
    """Shipments still to arrive, each with ``expected``: the latest date the customer was
    given (our last notice's new estimate, else the shop's promise)."""
    return (
        Shipment.objects.exclude(status__in=NOT_ON_THE_WAY)
        .exclude(
            order__status__in=[OrderStatus.CANCELLED, OrderStatus.RETURNED, OrderStatus.DELIVERED]
        )
        .annotate(expected=Coalesce("notified_date", "promised_date"))
    )


def late_q(*, today: dt.date) -> Q:
    """The one definition of late, for the delay scan and the inbox alike: reported late by
    the carrier, or past ``expected`` (see shipments_on_the_way)."""
    return Q(status__in=REPORTED_LATE) | Q(expected__lt=today)


def shipments_late(*, today: dt.date) -> Any:
    return shipments_on_the_way().filter(late_q(today=today))
