"""The provider-neutral order, shipment and tracking format.

It is what ``import_orders`` reads, what the custom-shop push endpoint and the neutral tracking
webhook accept, and what every shop or carrier connector produces. JSON shape::

    {"number": "1001", "placed_at": "2026-03-01T10:00:00+01:00", "email": "...",
     "phone": "+33...", "customer_name": "...", "status": "shipped", "total": "12.50",
     "currency": "EUR", "postcode": "75011", "country": "FR",
     "shipping": {"name": "...", "lines": ["12 rue Oberkampf", "Bât. B"],  # optional: the
                  "postcode": "75011", "city": "Paris", "country": "FR"},  # full address
     "updated_at": "...",                      # the shop's own timestamp (optional)
     "lines": [{"sku": "...", "title": "...", "quantity": 1, "unit_price": "12.50"}],
     "shipments": [{"carrier": "Colissimo", "tracking_number": "6A123...",
                    "tracking_url": "https://...", "status": "in_transit",
                    "shipped_at": "...", "promised_date": "2026-03-04",
                    "estimated_delivery": "2026-03-05", "delivered_at": null}]}

Tracking events (webhook)::

    {"carrier": "Colissimo", "tracking_number": "6A123...", "estimated_delivery": "2026-03-05",
     "events": [{"id": "evt-1", "status": "in_transit", "occurred_at": "...",
                 "location": "Lyon", "description": "..."}]}

Statuses are ShipmentStatus values: info_received, in_transit, out_for_delivery, delivered,
failed_attempt, exception, delayed, returned (and pending for a label not yet scanned).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.dateparse import parse_date, parse_datetime

from orders_link.models import OrderStatus, ShipmentStatus


class PayloadError(ValueError):
    """The data cannot be used; the message says which field and why."""


@dataclass(frozen=True)
class LineData:
    title: str
    sku: str = ""
    quantity: int = 1
    unit_price: Decimal = Decimal("0")


@dataclass(frozen=True)
class ShipmentData:
    carrier: str
    tracking_number: str
    tracking_url: str = ""
    status: str | None = None
    shipped_at: dt.datetime | None = None
    promised_date: dt.date | None = None
    estimated_delivery: dt.date | None = None
    delivered_at: dt.datetime | None = None
    external_id: str = ""


@dataclass(frozen=True)
class OrderData:
    number: str
    placed_at: dt.datetime
    external_id: str = ""
    email: str = ""
    phone: str = ""
    customer_name: str = ""
    status: str | None = None
    total: Decimal = Decimal("0")
    currency: str = ""
    postcode: str = ""
    country: str = ""
    ship_name: str = ""
    ship_lines: tuple[str, ...] = ()
    city: str = ""
    updated_at: dt.datetime | None = None
    lines: tuple[LineData, ...] | None = None
    shipments: tuple[ShipmentData, ...] = ()


@dataclass(frozen=True)
class TrackingData:
    status: str
    occurred_at: dt.datetime
    external_id: str = ""
    location: str = ""
    description: str = ""
    estimated_delivery: dt.date | None = None


@dataclass(frozen=True)
class TrackingUpdate:
    carrier: str
    tracking_number: str
    events: tuple[TrackingData, ...] = ()
    estimated_delivery: dt.date | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def text(value: Any, name: str, *, required: bool = False, max_length: int = 255) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str | int):
        raise PayloadError(f"{name}: expected text")
    value = str(value).strip()
    if required and not value:
        raise PayloadError(f"{name}: required")
    if len(value) > max_length:
        raise PayloadError(f"{name}: longer than {max_length} characters")
    return value


def address_lines(value: Any, name: str) -> tuple[str, ...]:
    """The street lines of an address: a list of text (or one text), empty lines dropped."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or len(value) > 4:
        raise PayloadError(f"{name}: expected a list of at most 4 lines")
    found = (text(item, f"{name}[{i}]", max_length=200) for i, item in enumerate(value))
    return tuple(line for line in found if line)


def web_url(value: Any, name: str, *, max_length: int = 500) -> str:
    """A link we will show agents and send to customers: http(s) only (never ``javascript:``,
    ``data:`` or a relative path), or empty."""
    value = text(value, name, max_length=max_length)
    if not value:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        raise PayloadError(f"{name}: not an http(s) address") from None
    return value


def when(value: Any, name: str, *, required: bool = False) -> dt.datetime | None:
    if value in (None, ""):
        if required:
            raise PayloadError(f"{name}: required")
        return None
    if not isinstance(value, str):
        raise PayloadError(f"{name}: expected an ISO-8601 date and time")
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise PayloadError(f"{name}: {value!r} is not an ISO-8601 date and time")
    if parsed.tzinfo is None:
        raise PayloadError(f"{name}: {value!r} has no time zone offset")
    return parsed


def day(value: Any, name: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise PayloadError(f"{name}: expected a date (YYYY-MM-DD)")
    value = value.strip()
    try:
        parsed = parse_date(value[:10])
    except ValueError:
        parsed = None
    if parsed is None:
        raise PayloadError(f"{name}: {value!r} is not a date (YYYY-MM-DD)")
    return parsed


def money(value: Any, name: str) -> Decimal:
    if value in (None, ""):
        return Decimal("0")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise PayloadError(f"{name}: {value!r} is not an amount") from None
    if not amount.is_finite() or abs(amount) >= Decimal("1e10"):
        raise PayloadError(f"{name}: {value!r} is not an amount")
    return amount.quantize(Decimal("0.01"))


def choice(value: Any, name: str, choices: list[str]) -> str | None:
    if value in (None, ""):
        return None
    if value not in choices:
        raise PayloadError(f"{name}: {value!r} is not one of {', '.join(choices)}")
    return str(value)


def _mapping(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PayloadError(f"{name}: expected an object")
    return value


def _items(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{name}: expected a list")
    return value


MAX_QUANTITY = 1_000_000


def quantity(value: Any, name: str) -> int:
    """A line's quantity: a whole number from 0 to MAX_QUANTITY (digits in a string too)."""
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 9:
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_QUANTITY:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "..."
        raise PayloadError(f"{name}: expected a whole number from 0 to {MAX_QUANTITY}, got {shown}")
    return value


def parse_line(raw: Any, name: str) -> LineData:
    raw = _mapping(raw, name)
    raw_quantity = raw.get("quantity", 1)
    if isinstance(raw_quantity, str):  # the neutral format takes a JSON number only
        raise PayloadError(f"{name}.quantity: expected a whole number from 0 to {MAX_QUANTITY}")
    return LineData(
        title=text(raw.get("title"), f"{name}.title", required=True),
        sku=text(raw.get("sku"), f"{name}.sku", max_length=64),
        quantity=quantity(raw_quantity, f"{name}.quantity"),
        unit_price=money(raw.get("unit_price"), f"{name}.unit_price"),
    )


def parse_shipment(raw: Any, name: str) -> ShipmentData:
    raw = _mapping(raw, name)
    return ShipmentData(
        carrier=text(raw.get("carrier"), f"{name}.carrier", required=True, max_length=64),
        tracking_number=text(
            raw.get("tracking_number"), f"{name}.tracking_number", required=True, max_length=64
        ),
        tracking_url=web_url(raw.get("tracking_url"), f"{name}.tracking_url"),
        status=choice(raw.get("status"), f"{name}.status", ShipmentStatus.values),
        shipped_at=when(raw.get("shipped_at"), f"{name}.shipped_at"),
        promised_date=day(raw.get("promised_date"), f"{name}.promised_date"),
        estimated_delivery=day(raw.get("estimated_delivery"), f"{name}.estimated_delivery"),
        delivered_at=when(raw.get("delivered_at"), f"{name}.delivered_at"),
        external_id=text(raw.get("id"), f"{name}.id", max_length=64),
    )


def parse_order(raw: Any) -> OrderData:
    raw = _mapping(raw, "order")
    if "__error__" in raw:
        raise PayloadError(raw["__error__"])
    lines = raw.get("lines")
    shipping = _mapping(raw.get("shipping") or {}, "shipping")
    country = text(
        shipping.get("country") or raw.get("country"), "shipping.country", max_length=2
    ).upper()
    return OrderData(
        number=text(raw.get("number"), "number", required=True, max_length=64),
        placed_at=when(raw.get("placed_at"), "placed_at", required=True),  # type: ignore[arg-type]
        external_id=text(raw.get("id"), "id", max_length=64),
        email=text(raw.get("email"), "email", max_length=254),
        phone=text(raw.get("phone"), "phone", max_length=32),
        customer_name=text(raw.get("customer_name"), "customer_name", max_length=200),
        status=choice(raw.get("status"), "status", OrderStatus.values),
        total=money(raw.get("total"), "total"),
        currency=text(raw.get("currency"), "currency", max_length=3).upper(),
        postcode=text(
            shipping.get("postcode") or raw.get("postcode"), "shipping.postcode", max_length=20
        ),
        country=country,
        ship_name=text(shipping.get("name"), "shipping.name", max_length=200),
        ship_lines=address_lines(shipping.get("lines"), "shipping.lines"),
        city=text(shipping.get("city") or raw.get("city"), "shipping.city", max_length=100),
        updated_at=when(raw.get("updated_at"), "updated_at"),
        lines=None
        if lines is None
        else tuple(
            parse_line(item, f"lines[{i}]") for i, item in enumerate(_items(lines, "lines"))
        ),
        shipments=tuple(
            parse_shipment(item, f"shipments[{i}]")
            for i, item in enumerate(_items(raw.get("shipments"), "shipments"))
        ),
    )


def parse_tracking(raw: Any) -> TrackingUpdate:
    raw = _mapping(raw, "tracking")
    events = []
    for i, item in enumerate(_items(raw.get("events"), "events")):
        item = _mapping(item, f"events[{i}]")
        status = choice(item.get("status"), f"events[{i}].status", ShipmentStatus.values)
        if status is None:
            raise PayloadError(f"events[{i}].status: required")
        events.append(
            TrackingData(
                status=status,
                occurred_at=when(
                    item.get("occurred_at"), f"events[{i}].occurred_at", required=True
                ),  # type: ignore[arg-type]
                external_id=text(item.get("id"), f"events[{i}].id", max_length=128),
                location=text(item.get("location"), f"events[{i}].location", max_length=200),
                description=text(
                    item.get("description"), f"events[{i}].description", max_length=500
                ),
                estimated_delivery=day(
                    item.get("estimated_delivery"), f"events[{i}].estimated_delivery"
                ),
            )
        )
    return TrackingUpdate(
        carrier=text(raw.get("carrier"), "carrier", required=True, max_length=64),
        tracking_number=text(
            raw.get("tracking_number"), "tracking_number", required=True, max_length=64
        ),
        events=tuple(events),
        estimated_delivery=day(raw.get("estimated_delivery"), "estimated_delivery"),
    )
