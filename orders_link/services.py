"""Writes on orders, shipments and tracking: every connector's data comes in through here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from helpdesk.contacts.models import Contact, ContactIdentity, IdentityKind, normalize_address
from helpdesk.contacts.services import identity_resolve
from orders_link.connectors.neutral import (
    OrderData,
    PayloadError,
    ShipmentData,
    TrackingData,
    web_url,
)
from orders_link.models import (
    Order,
    OrderEvent,
    OrderEventKind,
    OrderLine,
    OrderStatus,
    Shipment,
    ShipmentStatus,
    Store,
    TrackingEvent,
    WebhookDelivery,
)

Outcome = Literal["created", "updated", "unchanged", "stale"]

FINAL_SHIPMENT_STATUSES = {ShipmentStatus.DELIVERED, ShipmentStatus.RETURNED}


class Duplicate(Exception):
    """This webhook delivery was processed before."""


@contextmanager
def webhook_delivery_once(*, source: str, delivery_id: str, topic: str = "") -> Iterator[None]:
    """Process a webhook delivery once: the record and the changes commit together, so a
    delivery that failed half-way is processed again on the provider's retry."""
    with transaction.atomic():
        if delivery_id:
            try:
                with transaction.atomic():
                    WebhookDelivery.objects.create(
                        source=source, delivery_id=delivery_id[:128], topic=topic[:64]
                    )
            except IntegrityError:
                raise Duplicate(delivery_id) from None
        yield


def order_contact_link(*, email: str, phone: str, name: str = "") -> Contact | None:
    """The contact an order belongs to, found by email then phone identity; the other address
    is added to that contact when nobody has it yet (never duplicated, never stolen)."""
    kinds = [(IdentityKind.EMAIL, email), (IdentityKind.PHONE, phone)]
    addresses = [
        (kind, normalize_address(kind, address)) for kind, address in kinds if address.strip()
    ]
    if not addresses:
        return None
    contact = None
    for kind, address in addresses:
        identity = (
            ContactIdentity.objects.select_related("contact")
            .filter(kind=kind, address=address, claimed=False)
            .first()
        )
        if identity is not None:
            contact = identity.contact
            break
    for kind, address in addresses:
        if kind == IdentityKind.PHONE and not _plausible_phone(address):
            continue
        try:
            with transaction.atomic():
                identity = identity_resolve(kind=kind, address=address, name=name, contact=contact)
        except IntegrityError:
            identity = ContactIdentity.objects.select_related("contact").get(
                kind=kind, address=address, claimed=False
            )
        contact = contact or identity.contact
    return contact


def _plausible_phone(address: str) -> bool:
    digits = sum(ch.isdigit() for ch in address)
    return address.startswith("+") and 8 <= digits <= 15


def _event(
    order: Order,
    kind: str,
    *,
    at: dt.datetime,
    shipment: Shipment | None = None,
    **data: object,
) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order, shipment=shipment, kind=kind, occurred_at=at, data=data
    )


def order_upsert(
    *, store: Store, data: OrderData, source_updated_at: dt.datetime | None = None
) -> tuple[Order, Outcome]:
    """Create or update one order (and its lines and shipments) from connector data.

    ``source_updated_at`` is the shop's timestamp of this data: data older than what is stored
    changes nothing. Two deliveries of a new order at once (Shopify sends ``orders/create`` and
    ``orders/updated`` together) both find no row; the one whose insert loses to the database's
    unique constraint starts again, finds the other's order locked, and updates it.
    """
    try:
        with transaction.atomic():
            return _order_upsert(store=store, data=data, source_updated_at=source_updated_at)
    except IntegrityError:
        if not Order.objects.filter(store=store, number=data.number).exists():
            raise
    with transaction.atomic():
        return _order_upsert(store=store, data=data, source_updated_at=source_updated_at)


def _order_upsert(
    *, store: Store, data: OrderData, source_updated_at: dt.datetime | None
) -> tuple[Order, Outcome]:
    stamp = source_updated_at or data.updated_at
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(store=store, number=data.number).first()
        if (
            order is not None
            and stamp
            and order.source_updated_at
            and stamp < order.source_updated_at
        ):
            return order, "stale"
        created = order is None
        if order is None:
            order = Order(store=store, number=data.number)
        old_status = order.status if not created else None
        status = data.status or order.status or OrderStatus.UNPROCESSED
        if (
            not created
            and order.status in {OrderStatus.DELIVERED, OrderStatus.RETURNED}
            and status == OrderStatus.SHIPPED
        ):
            status = order.status  # the carrier already knows better than the shop's "shipped"
        _order_fields_copy(order, data, store=store)
        order.status = status
        if stamp and (order.source_updated_at is None or stamp > order.source_updated_at):
            order.source_updated_at = stamp
        if order.contact_id is None:
            order.contact = order_contact_link(
                email=order.email, phone=order.phone, name=order.customer_name
            )
        order.save()
        if created:
            _event(order, OrderEventKind.PLACED, at=order.placed_at, number=order.number)
        elif old_status != order.status:
            _event(
                order,
                OrderEventKind.STATUS,
                at=stamp or timezone.now(),
                old=old_status,
                new=order.status,
            )
        if data.lines is not None:
            _order_lines_replace(order, data)
        for shipment in data.shipments:
            shipment_upsert(order=order, data=shipment, source_updated_at=stamp)
    return order, "created" if created else "updated"


def _order_fields_copy(order: Order, data: OrderData, *, store: Store) -> None:
    """What the shop says of the order; a value it leaves out keeps what we had."""
    order.external_id = data.external_id or order.external_id
    order.email = data.email or order.email
    order.phone = data.phone or order.phone
    order.customer_name = data.customer_name or order.customer_name
    order.postcode = data.postcode or order.postcode
    order.country = data.country or order.country
    order.ship_name = data.ship_name or order.ship_name
    order.ship_lines = "\n".join(data.ship_lines) or order.ship_lines
    order.city = data.city or order.city
    order.placed_at = data.placed_at
    order.total = data.total
    order.currency = data.currency or order.currency or store.currency


def _order_lines_replace(order: Order, data: OrderData) -> None:
    order.lines.all().delete()
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            sku=line.sku,
            title=line.title[:255],
            quantity=line.quantity,
            unit_price=line.unit_price,
        )
        for line in data.lines or []
    )


def _default_promise(order: Order, shipped_at: dt.datetime | None) -> dt.date | None:
    days = order.store.config.get("promise_days", settings.ORDERS_DEFAULT_PROMISE_DAYS)
    if not shipped_at or not days:
        return None
    return timezone.localtime(shipped_at).date() + dt.timedelta(days=int(days))


def shipment_upsert(
    *, order: Order, data: ShipmentData, source_updated_at: dt.datetime | None = None
) -> Shipment:
    with transaction.atomic():
        shipment = _shipment_locked(order, data)
        if shipment is not None and shipment.order_id != order.pk:
            raise PayloadError(f"tracking number {data.tracking_number} belongs to another order")
        if (
            shipment is not None
            and source_updated_at
            and shipment.source_updated_at
            and source_updated_at < shipment.source_updated_at
        ):
            return shipment
        created = shipment is None
        if shipment is None:
            shipment = Shipment(order=order)
        was_shipped = shipment.shipped_at is not None
        _shipment_fields_copy(shipment, data, order=order)
        if data.status and (
            shipment.status not in FINAL_SHIPMENT_STATUSES or data.status in FINAL_SHIPMENT_STATUSES
        ):
            shipment.status = data.status
        if data.delivered_at:
            shipment.delivered_at = data.delivered_at
            shipment.status = ShipmentStatus.DELIVERED
        if source_updated_at and (
            shipment.source_updated_at is None or source_updated_at > shipment.source_updated_at
        ):
            shipment.source_updated_at = source_updated_at
        shipment.save()
        if shipment.shipped_at and not was_shipped:
            _event(
                order,
                OrderEventKind.SHIPPED,
                at=shipment.shipped_at,
                shipment=shipment,
                carrier=shipment.carrier,
                tracking_number=shipment.tracking_number,
            )
        if created or data.status:
            _order_follow_shipments(
                order, at=source_updated_at or data.delivered_at or shipment.shipped_at
            )
    return shipment


def _shipment_locked(order: Order, data: ShipmentData) -> Shipment | None:
    """The shipment these data describe, locked: by the shop's id, else by tracking number."""
    if data.external_id:
        shipment = (
            Shipment.objects.select_for_update()
            .filter(order=order, external_id=data.external_id)
            .first()
        )
        if shipment is not None:
            return shipment
    return (
        Shipment.objects.select_for_update()
        .filter(carrier=data.carrier, tracking_number=data.tracking_number)
        .first()
    )


def _shipment_fields_copy(shipment: Shipment, data: ShipmentData, *, order: Order) -> None:
    """What the shop says of the shipment; a value it leaves out keeps what we had."""
    shipment.carrier = data.carrier
    shipment.tracking_number = data.tracking_number
    # Whatever the connector, only an http(s) link is stored, shown and sent.
    shipment.tracking_url = (
        web_url(data.tracking_url, "tracking_url") if data.tracking_url else ""
    ) or shipment.tracking_url
    shipment.external_id = data.external_id or shipment.external_id
    shipment.shipped_at = data.shipped_at or shipment.shipped_at
    shipment.promised_date = (
        data.promised_date or shipment.promised_date or _default_promise(order, shipment.shipped_at)
    )
    shipment.estimated_delivery = data.estimated_delivery or shipment.estimated_delivery
    shipment.destination_postcode = shipment.destination_postcode or order.postcode
    shipment.destination_country = shipment.destination_country or order.country


def _order_follow_shipments(order: Order, *, at: dt.datetime | None = None) -> None:
    """An open order becomes shipped with its first shipment and delivered with its last."""
    statuses = set(order.shipments.values_list("status", flat=True))
    new = None
    if statuses and statuses <= {ShipmentStatus.DELIVERED}:
        new = OrderStatus.DELIVERED
    elif statuses and order.status in {
        OrderStatus.UNPROCESSED,
        OrderStatus.AWAITING_STOCK,
        OrderStatus.PICKED,
        OrderStatus.PACKING,
        OrderStatus.READY_TO_SHIP,
    }:
        new = OrderStatus.SHIPPED
    if new and new != order.status and order.status != OrderStatus.CANCELLED:
        old = order.status
        order.status = new
        order.save(update_fields=["status", "updated_at"])
        _event(order, OrderEventKind.STATUS, at=at or timezone.now(), old=old, new=new)


def shipment_find(*, carrier: str, tracking_number: str) -> Shipment | None:
    """The shipment with this tracking number; the carrier decides between homonyms."""
    candidates = list(Shipment.objects.filter(tracking_number=tracking_number)[:10])
    if len(candidates) == 1:
        return candidates[0]
    matching = [s for s in candidates if s.carrier.lower() == carrier.lower()]
    return matching[0] if len(matching) == 1 else None


def tracking_event_record(
    *, shipment: Shipment, data: TrackingData, estimated_delivery: dt.date | None = None
) -> bool:
    """Record one carrier scan; False when it was recorded before. An older scan arriving late
    is kept in the history but does not move the shipment's status back."""
    with transaction.atomic():
        shipment = Shipment.objects.select_for_update().select_related("order").get(pk=shipment.pk)
        duplicate = TrackingEvent.objects.filter(shipment=shipment)
        if data.external_id:
            duplicate = duplicate.filter(external_id=data.external_id)
        else:
            duplicate = duplicate.filter(status=data.status, occurred_at=data.occurred_at)
        if duplicate.exists():
            return False
        TrackingEvent.objects.create(
            shipment=shipment,
            status=data.status,
            occurred_at=data.occurred_at,
            location=data.location,
            description=data.description,
            external_id=data.external_id or None,
            estimated_delivery=data.estimated_delivery,
        )
        _shipment_follow_scan(shipment, data, estimated_delivery=estimated_delivery)
        _event(
            shipment.order,
            OrderEventKind.DELIVERED
            if data.status == ShipmentStatus.DELIVERED
            else OrderEventKind.SCAN,
            at=data.occurred_at,
            shipment=shipment,
            status=data.status,
            location=data.location,
            description=data.description,
        )
        _order_follow_shipments(shipment.order, at=data.occurred_at)
    return True


def _shipment_follow_scan(
    shipment: Shipment, data: TrackingData, *, estimated_delivery: dt.date | None
) -> None:
    """The shipment's last scan, status, shipping and delivery times and estimate, from a
    scan; an older scan arriving late does not move its status back."""
    latest = shipment.last_scan_at is None or data.occurred_at >= shipment.last_scan_at
    fields = ["updated_at"]
    if latest:
        shipment.last_scan_at = data.occurred_at
        shipment.last_scan_location = data.location
        fields += ["last_scan_at", "last_scan_location"]
        if shipment.status not in FINAL_SHIPMENT_STATUSES or data.status in FINAL_SHIPMENT_STATUSES:
            shipment.status = data.status
            fields.append("status")
    if data.status == ShipmentStatus.DELIVERED and shipment.delivered_at is None:
        shipment.delivered_at = data.occurred_at
        shipment.status = ShipmentStatus.DELIVERED
        fields += ["delivered_at", "status"]
    if shipment.shipped_at is None and data.status != ShipmentStatus.PENDING:
        shipment.shipped_at = data.occurred_at
        if shipment.promised_date is None:
            shipment.promised_date = _default_promise(shipment.order, data.occurred_at)
            fields.append("promised_date")
        fields.append("shipped_at")
        _event(
            shipment.order,
            OrderEventKind.SHIPPED,
            at=data.occurred_at,
            shipment=shipment,
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
        )
    estimate = data.estimated_delivery or estimated_delivery
    if estimate and latest:
        shipment.estimated_delivery = estimate
        fields.append("estimated_delivery")
    shipment.save(update_fields=sorted(set(fields)))


@dataclass(frozen=True)
class TrackingResult:
    shipment: Shipment | None
    recorded: int


def tracking_update_apply(
    *,
    carrier: str,
    tracking_number: str,
    events: tuple[TrackingData, ...],
    estimated_delivery: dt.date | None = None,
) -> TrackingResult:
    shipment = shipment_find(carrier=carrier, tracking_number=tracking_number)
    if shipment is None:
        return TrackingResult(None, 0)
    recorded = 0
    with transaction.atomic():
        for data in sorted(events, key=lambda e: e.occurred_at):
            recorded += tracking_event_record(
                shipment=shipment, data=data, estimated_delivery=estimated_delivery
            )
        if estimated_delivery and not events:
            Shipment.objects.filter(pk=shipment.pk).update(
                estimated_delivery=estimated_delivery, updated_at=timezone.now()
            )
    return TrackingResult(shipment, recorded)
