"""WooCommerce order webhooks (order.created, order.updated, ...)."""

from __future__ import annotations

from typing import Any

from orders_link.connectors.neutral import (
    LineData,
    OrderData,
    PayloadError,
    address_lines,
    money,
    quantity,
    text,
    when,
)
from orders_link.models import OrderStatus

STATUS = {
    "pending": OrderStatus.UNPROCESSED,
    "processing": OrderStatus.UNPROCESSED,
    "on-hold": OrderStatus.AWAITING_STOCK,
    "completed": OrderStatus.SHIPPED,
    "cancelled": OrderStatus.CANCELLED,
    "refunded": OrderStatus.RETURNED,
    "failed": OrderStatus.CANCELLED,
}


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _gmt(value: Any, name: str, *, required: bool = False) -> Any:
    # WooCommerce's *_gmt fields carry no offset: they are UTC.
    if isinstance(value, str) and value and value[-1] != "Z" and "+" not in value[10:]:
        value = f"{value}+00:00"
    return when(value, name, required=required)


def order_from_payload(payload: Any) -> OrderData:
    if not isinstance(payload, dict):
        raise PayloadError("expected an order object")
    billing = _obj(payload.get("billing"))
    shipping = _obj(payload.get("shipping"))
    status = payload.get("status")
    if status not in STATUS:
        raise PayloadError(f"status: {status!r} is not a WooCommerce order status")
    lines = []
    for i, item in enumerate(payload.get("line_items") or []):
        if not isinstance(item, dict):
            raise PayloadError(f"line_items[{i}]: expected an object")
        lines.append(
            LineData(
                title=text(item.get("name") or "?", f"line_items[{i}].name"),
                sku=text(item.get("sku"), f"line_items[{i}].sku", max_length=64),
                quantity=quantity(item.get("quantity") or 0, f"line_items[{i}].quantity"),
                unit_price=money(item.get("price"), f"line_items[{i}].price"),
            )
        )
    name = " ".join(p for p in (billing.get("first_name"), billing.get("last_name")) if p)
    return OrderData(
        number=text(
            payload.get("number") or payload.get("id"), "number", required=True, max_length=64
        ),
        external_id=text(payload.get("id"), "id", max_length=64),
        placed_at=_gmt(payload.get("date_created_gmt"), "date_created_gmt", required=True),
        email=text(billing.get("email"), "billing.email", max_length=254),
        phone=text(billing.get("phone") or shipping.get("phone"), "billing.phone", max_length=32),
        customer_name=text(name, "billing name", max_length=200),
        status=STATUS[status],
        total=money(payload.get("total"), "total"),
        currency=text(payload.get("currency"), "currency", max_length=3).upper(),
        postcode=text(
            shipping.get("postcode") or billing.get("postcode"), "shipping.postcode", max_length=20
        ),
        country=text(
            shipping.get("country") or billing.get("country"), "shipping.country", max_length=2
        ).upper(),
        ship_name=text(
            " ".join(p for p in (shipping.get("first_name"), shipping.get("last_name")) if p)
            or name,
            "shipping name",
            max_length=200,
        ),
        ship_lines=address_lines(
            [shipping.get("company"), shipping.get("address_1"), shipping.get("address_2")],
            "shipping.address_1",
        ),
        city=text(shipping.get("city") or billing.get("city"), "shipping.city", max_length=100),
        updated_at=_gmt(payload.get("date_modified_gmt"), "date_modified_gmt"),
        lines=tuple(lines),
    )
