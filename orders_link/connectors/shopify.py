"""Shopify Admin webhooks: orders, fulfillments and fulfillment events."""

from __future__ import annotations

from typing import Any

from orders_link.connectors.neutral import (
    LineData,
    OrderData,
    PayloadError,
    ShipmentData,
    TrackingData,
    address_lines,
    day,
    money,
    quantity,
    text,
    web_url,
    when,
)
from orders_link.models import OrderStatus, ShipmentStatus

ORDER_TOPICS = {"orders/create", "orders/updated", "orders/cancelled", "orders/fulfilled"}
FULFILLMENT_TOPICS = {"fulfillments/create", "fulfillments/update"}
EVENT_TOPICS = {"fulfillment_events/create"}
TOPICS = ORDER_TOPICS | FULFILLMENT_TOPICS | EVENT_TOPICS

# Shopify's shipment_status (fulfillment) and fulfillment event status.
SHIPMENT_STATUS = {
    "label_printed": ShipmentStatus.INFO_RECEIVED,
    "label_purchased": ShipmentStatus.INFO_RECEIVED,
    "confirmed": ShipmentStatus.INFO_RECEIVED,
    "in_transit": ShipmentStatus.IN_TRANSIT,
    "out_for_delivery": ShipmentStatus.OUT_FOR_DELIVERY,
    "ready_for_pickup": ShipmentStatus.OUT_FOR_DELIVERY,
    "attempted_delivery": ShipmentStatus.FAILED_ATTEMPT,
    "delayed": ShipmentStatus.DELAYED,
    "delivered": ShipmentStatus.DELIVERED,
    "failure": ShipmentStatus.EXCEPTION,
}


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _unwrap(payload: Any, key: str) -> dict[str, Any]:
    if isinstance(payload, dict) and isinstance(payload.get(key), dict):
        payload = payload[key]
    if not isinstance(payload, dict):
        raise PayloadError(f"expected a {key} object")
    return payload


def _order_status(order: dict[str, Any]) -> str:
    if order.get("cancelled_at"):
        return OrderStatus.CANCELLED
    if order.get("fulfillment_status") in {"fulfilled", "partial", "shipped"}:
        return OrderStatus.SHIPPED
    return OrderStatus.UNPROCESSED


def fulfillment_to_shipment(fulfillment: dict[str, Any]) -> ShipmentData | None:
    """None for a fulfillment without a tracking number (nothing to follow)."""
    numbers = fulfillment.get("tracking_numbers") or []
    number = fulfillment.get("tracking_number") or (numbers[0] if numbers else "")
    if not number:
        return None
    urls = fulfillment.get("tracking_urls") or []
    status = fulfillment.get("shipment_status")
    return ShipmentData(
        carrier=text(
            fulfillment.get("tracking_company") or "unknown", "tracking_company", max_length=64
        ),
        tracking_number=text(number, "tracking_number", max_length=64),
        tracking_url=web_url(
            fulfillment.get("tracking_url") or (urls[0] if urls else ""), "tracking_url"
        ),
        status=SHIPMENT_STATUS.get(status) if status else None,
        shipped_at=when(fulfillment.get("created_at"), "fulfillment.created_at"),
        external_id=text(fulfillment.get("id"), "fulfillment.id", max_length=64),
    )


def order_from_payload(payload: Any) -> OrderData:
    order = _unwrap(payload, "order")
    customer = _obj(order.get("customer"))
    shipping = _obj(order.get("shipping_address"))
    billing = _obj(order.get("billing_address"))
    name = (
        " ".join(part for part in (customer.get("first_name"), customer.get("last_name")) if part)
        or shipping.get("name")
        or billing.get("name")
        or ""
    )
    lines = []
    for i, item in enumerate(order.get("line_items") or []):
        if not isinstance(item, dict):
            raise PayloadError(f"line_items[{i}]: expected an object")
        lines.append(
            LineData(
                title=text(item.get("name") or item.get("title") or "?", f"line_items[{i}].title"),
                sku=text(item.get("sku"), f"line_items[{i}].sku", max_length=64),
                quantity=quantity(item.get("quantity") or 0, f"line_items[{i}].quantity"),
                unit_price=money(item.get("price"), f"line_items[{i}].price"),
            )
        )
    shipments = []
    for fulfillment in order.get("fulfillments") or []:
        if isinstance(fulfillment, dict) and fulfillment.get("status") not in {
            "cancelled",
            "error",
        }:
            shipment = fulfillment_to_shipment(fulfillment)
            if shipment is not None:
                shipments.append(shipment)
    return OrderData(
        number=text(
            order.get("name") or order.get("order_number"), "name", required=True, max_length=64
        ),
        external_id=text(order.get("id"), "id", max_length=64),
        placed_at=when(order.get("created_at"), "created_at", required=True),  # type: ignore[arg-type]
        email=text(order.get("email") or customer.get("email"), "email", max_length=254),
        phone=text(
            order.get("phone") or customer.get("phone") or shipping.get("phone"),
            "phone",
            max_length=32,
        ),
        customer_name=text(name, "customer", max_length=200),
        status=_order_status(order),
        total=money(order.get("total_price"), "total_price"),
        currency=text(order.get("currency"), "currency", max_length=3).upper(),
        postcode=text(shipping.get("zip"), "shipping_address.zip", max_length=20),
        country=text(
            shipping.get("country_code"), "shipping_address.country_code", max_length=2
        ).upper(),
        ship_name=text(shipping.get("name"), "shipping_address.name", max_length=200),
        ship_lines=address_lines(
            [shipping.get("company"), shipping.get("address1"), shipping.get("address2")],
            "shipping_address.address1",
        ),
        city=text(shipping.get("city"), "shipping_address.city", max_length=100),
        updated_at=when(order.get("updated_at"), "updated_at"),
        lines=tuple(lines),
        shipments=tuple(shipments),
    )


def fulfillment_from_payload(payload: Any) -> tuple[str, ShipmentData | None, bool]:
    """(the order's Shopify id, the shipment, whether the fulfillment was cancelled)."""
    fulfillment = _unwrap(payload, "fulfillment")
    order_id = text(fulfillment.get("order_id"), "order_id", required=True)
    cancelled = fulfillment.get("status") in {"cancelled", "error"}
    return order_id, fulfillment_to_shipment(fulfillment), cancelled


def event_from_payload(payload: Any) -> tuple[str, str, TrackingData]:
    """(the order's Shopify id, the fulfillment's id, the tracking event)."""
    event = _unwrap(payload, "fulfillment_event")
    status = event.get("status")
    if status not in SHIPMENT_STATUS:
        raise PayloadError(f"status: {status!r} is not a Shopify fulfillment event status")
    location = ", ".join(
        str(part) for part in (event.get("city"), event.get("zip"), event.get("country")) if part
    )
    estimate = event.get("estimated_delivery_at")
    return (
        text(event.get("order_id"), "order_id", required=True),
        text(event.get("fulfillment_id"), "fulfillment_id", required=True),
        TrackingData(
            status=SHIPMENT_STATUS[status],
            occurred_at=when(
                event.get("happened_at") or event.get("created_at"), "happened_at", required=True
            ),  # type: ignore[arg-type]
            external_id=f"shopify-{text(event.get('id'), 'id', required=True)}",
            location=location[:200],
            description=text(event.get("message"), "message", max_length=500),
            estimated_delivery=day(estimate, "estimated_delivery_at") if estimate else None,
        ),
    )
