"""AfterShip tracking webhooks (signed with the ``aftership-hmac-sha256`` header)."""

from __future__ import annotations

import hashlib
from typing import Any

from orders_link.connectors.neutral import (
    PayloadError,
    TrackingData,
    TrackingUpdate,
    day,
    text,
    when,
)
from orders_link.models import ShipmentStatus

SIGNATURE_HEADER = "aftership-hmac-sha256"

TAGS = {
    "Pending": ShipmentStatus.PENDING,
    "InfoReceived": ShipmentStatus.INFO_RECEIVED,
    "InTransit": ShipmentStatus.IN_TRANSIT,
    "OutForDelivery": ShipmentStatus.OUT_FOR_DELIVERY,
    "AvailableForPickup": ShipmentStatus.OUT_FOR_DELIVERY,
    "AttemptFail": ShipmentStatus.FAILED_ATTEMPT,
    "Delivered": ShipmentStatus.DELIVERED,
    "Exception": ShipmentStatus.EXCEPTION,
    "Expired": ShipmentStatus.EXCEPTION,
}
# AfterShip's subtags that mean "late" rather than a generic exception.
DELAY_SUBTAGS = {"Exception_001", "Exception_002", "Exception_004", "InTransit_004"}


def _status(tag: Any, subtag: Any) -> str:
    if tag not in TAGS:
        raise PayloadError(f"tag: {tag!r} is not an AfterShip tag")
    if subtag in DELAY_SUBTAGS and tag in {"Exception", "InTransit"}:
        return ShipmentStatus.DELAYED
    return TAGS[tag]


def tracking_from_payload(payload: Any) -> TrackingUpdate:
    if not isinstance(payload, dict) or not isinstance(payload.get("msg"), dict):
        raise PayloadError("expected an AfterShip webhook with a msg object")
    msg = payload["msg"]
    events = []
    for i, checkpoint in enumerate(msg.get("checkpoints") or []):
        if not isinstance(checkpoint, dict):
            raise PayloadError(f"checkpoints[{i}]: expected an object")
        occurred = when(
            checkpoint.get("checkpoint_time"), f"checkpoints[{i}].checkpoint_time", required=True
        )
        status = _status(checkpoint.get("tag"), checkpoint.get("subtag"))
        location = checkpoint.get("location") or ", ".join(
            str(p) for p in (checkpoint.get("city"), checkpoint.get("country_name")) if p
        )
        key = f"{occurred.isoformat()}|{checkpoint.get('tag')}|{checkpoint.get('message')}"  # type: ignore[union-attr]
        events.append(
            TrackingData(
                status=status,
                occurred_at=occurred,  # type: ignore[arg-type]
                external_id="aftership-" + hashlib.sha256(key.encode()).hexdigest()[:40],
                location=text(location, f"checkpoints[{i}].location", max_length=200),
                description=text(
                    checkpoint.get("message"), f"checkpoints[{i}].message", max_length=500
                ),
            )
        )
    estimate = msg.get("expected_delivery")
    if not estimate and isinstance(msg.get("aftership_estimated_delivery_date"), dict):
        estimate = msg["aftership_estimated_delivery_date"].get("estimated_delivery_date")
    return TrackingUpdate(
        carrier=text(msg.get("slug"), "msg.slug", required=True, max_length=64),
        tracking_number=text(
            msg.get("tracking_number"), "msg.tracking_number", required=True, max_length=64
        ),
        events=tuple(events),
        estimated_delivery=day(estimate, "msg.expected_delivery") if estimate else None,
    )
