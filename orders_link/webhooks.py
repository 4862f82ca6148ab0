"""Webhook endpoints for shops and carriers. Each verifies, parses, and hands over to services."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from helpdesk.security.payloads import MalformedPayload, json_loads
from orders_link.connectors import aftership, shopify, woocommerce
from orders_link.connectors.neutral import PayloadError, parse_order, parse_tracking
from orders_link.connectors.signing import signature_valid
from orders_link.models import Order, Shipment, Store
from orders_link.services import (
    Duplicate,
    order_upsert,
    shipment_upsert,
    tracking_event_record,
    tracking_update_apply,
    webhook_delivery_once,
)

MAX_BODY_BYTES = 2 * 1024 * 1024


def _error(reason: str, status: int) -> JsonResponse:
    return JsonResponse({"error": reason}, status=status)


def webhook(view: Callable[..., JsonResponse]) -> Callable[..., JsonResponse]:
    """POST only, no CSRF (providers sign instead), a bounded body, and clear 400s."""

    @csrf_exempt
    @require_POST
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _error("invalid Content-Length", 400)
        if length > MAX_BODY_BYTES:
            return _error(f"payload larger than {MAX_BODY_BYTES} bytes", 413)
        try:
            return view(request, *args, **kwargs)
        except PayloadError as exc:
            return _error(str(exc), 400)

    wrapped.__name__ = view.__name__
    return wrapped


def _json(body: bytes) -> Any:
    try:
        return json_loads(body, strip_nul=False)
    except MalformedPayload as exc:
        raise PayloadError(str(exc)) from None


def _bearer_valid(request: HttpRequest, token: str) -> bool:
    given = request.headers.get("Authorization", "")
    if not token or not given.startswith("Bearer "):
        return False
    return hmac.compare_digest(given.removeprefix("Bearer ").strip().encode(), token.encode())


class UnknownOrder(PayloadError):
    pass


@webhook
def shopify_webhook(request: HttpRequest, store_slug: str) -> JsonResponse:
    store = get_object_or_404(Store, slug=store_slug, connector=Store.Connector.SHOPIFY)
    secret = settings.SHOPIFY_WEBHOOK_SECRET
    if not secret:
        return _error("Shopify webhooks are not configured (SHOPIFY_WEBHOOK_SECRET)", 403)
    body = request.body
    if not signature_valid(
        secret=secret, body=body, signature=request.headers.get("X-Shopify-Hmac-Sha256", "")
    ):
        return _error("invalid X-Shopify-Hmac-Sha256 signature", 401)
    topic = request.headers.get("X-Shopify-Topic", "")
    if topic not in shopify.TOPICS:
        return JsonResponse({"status": "ignored", "topic": topic})
    payload = _json(body)
    triggered_at = parse_datetime(request.headers.get("X-Shopify-Triggered-At", "") or "")
    try:
        with webhook_delivery_once(
            source=f"shopify:{store.pk}",
            delivery_id=request.headers.get("X-Shopify-Webhook-Id", ""),
            topic=topic,
        ):
            status = _shopify_apply(store, topic, payload, triggered_at)
    except Duplicate:
        return JsonResponse({"status": "duplicate"})
    except UnknownOrder as exc:
        return _error(str(exc), 422)
    return JsonResponse({"status": status})


def _shopify_order(store: Store, external_id: str) -> Order:
    order = Order.objects.filter(store=store, external_id=external_id).first()
    if order is None:
        raise UnknownOrder(f"unknown order id {external_id}: send the order first")
    return order


def _shopify_apply(store: Store, topic: str, payload: Any, triggered_at) -> str:
    if topic in shopify.ORDER_TOPICS:
        data = shopify.order_from_payload(payload)
        _, outcome = order_upsert(store=store, data=data, source_updated_at=triggered_at)
        return outcome
    if topic in shopify.FULFILLMENT_TOPICS:
        order_id, shipment, cancelled = shopify.fulfillment_from_payload(payload)
        order = _shopify_order(store, order_id)
        if shipment is None or cancelled:
            return "ignored"
        shipment_upsert(
            order=order, data=shipment, source_updated_at=triggered_at or shipment.shipped_at
        )
        return "updated"
    order_id, fulfillment_id, event = shopify.event_from_payload(payload)
    order = _shopify_order(store, order_id)
    found = Shipment.objects.filter(order=order, external_id=fulfillment_id).first()
    if found is None:
        raise UnknownOrder(f"unknown fulfillment id {fulfillment_id}: send the fulfillment first")
    return "recorded" if tracking_event_record(shipment=found, data=event) else "duplicate"


@webhook
def woocommerce_webhook(request: HttpRequest, store_slug: str) -> JsonResponse:
    store = get_object_or_404(Store, slug=store_slug, connector=Store.Connector.WOOCOMMERCE)
    body = request.body
    if body.startswith(b"webhook_id="):
        return JsonResponse({"status": "pong"})  # WooCommerce's test delivery on creation
    secret = settings.WOOCOMMERCE_WEBHOOK_SECRET
    if not secret:
        return _error("WooCommerce webhooks are not configured (WOOCOMMERCE_WEBHOOK_SECRET)", 403)
    if not signature_valid(
        secret=secret, body=body, signature=request.headers.get("X-WC-Webhook-Signature", "")
    ):
        return _error("invalid X-WC-Webhook-Signature signature", 401)
    topic = request.headers.get("X-WC-Webhook-Topic", "")
    if not topic.startswith("order.") or topic == "order.deleted":
        return JsonResponse({"status": "ignored", "topic": topic})
    data = woocommerce.order_from_payload(_json(body))
    try:
        with webhook_delivery_once(
            source=f"woocommerce:{store.pk}",
            delivery_id=request.headers.get("X-WC-Webhook-Delivery-ID", ""),
            topic=topic,
        ):
            _, outcome = order_upsert(store=store, data=data)
    except Duplicate:
        return JsonResponse({"status": "duplicate"})
    return JsonResponse({"status": outcome})


@webhook
def orders_push(request: HttpRequest, store_slug: str) -> JsonResponse:
    """Custom shops push orders in the neutral format: all valid, or nothing stored."""
    if not _bearer_valid(request, settings.ORDERS_PUSH_TOKEN):
        return _error("missing or wrong bearer token", 401)
    store = get_object_or_404(Store, slug=store_slug, connector=Store.Connector.IMPORT)
    payload = _json(request.body)
    items = (
        payload.get("orders") if isinstance(payload, dict) and "orders" in payload else [payload]
    )
    if not isinstance(items, list) or not items:
        raise PayloadError('expected an order or {"orders": [...]}')
    parsed, errors = [], []
    for index, item in enumerate(items):
        try:
            parsed.append(parse_order(item))
        except PayloadError as exc:
            errors.append(f"orders[{index}]: {exc}")
    if errors:
        return JsonResponse(
            {"error": "invalid orders, nothing stored", "details": errors}, status=400
        )
    results = []
    with transaction.atomic():
        for data in parsed:
            order, outcome = order_upsert(store=store, data=data)
            results.append({"number": order.number, "status": outcome})
    return JsonResponse({"orders": results})


@webhook
def tracking_webhook(request: HttpRequest) -> JsonResponse:
    """Carrier events in the neutral format (see orders_link.connectors.neutral)."""
    if not _bearer_valid(request, settings.TRACKING_WEBHOOK_TOKEN):
        return _error("missing or wrong bearer token", 401)
    update = parse_tracking(_json(request.body))
    result = tracking_update_apply(
        carrier=update.carrier,
        tracking_number=update.tracking_number,
        events=update.events,
        estimated_delivery=update.estimated_delivery,
    )
    if result.shipment is None:
        return _error(f"unknown tracking number {update.tracking_number}", 404)
    return JsonResponse({"status": "ok", "recorded": result.recorded})


@webhook
def aftership_webhook(request: HttpRequest) -> JsonResponse:
    secret = settings.AFTERSHIP_WEBHOOK_SECRET
    if not secret:
        return _error("AfterShip webhooks are not configured (AFTERSHIP_WEBHOOK_SECRET)", 403)
    body = request.body
    if not signature_valid(
        secret=secret, body=body, signature=request.headers.get(aftership.SIGNATURE_HEADER, "")
    ):
        return _error(f"invalid {aftership.SIGNATURE_HEADER} signature", 401)
    update = aftership.tracking_from_payload(_json(body))
    result = tracking_update_apply(
        carrier=update.carrier,
        tracking_number=update.tracking_number,
        events=update.events,
        estimated_delivery=update.estimated_delivery,
    )
    if result.shipment is None:
        # AfterShip may follow parcels of other shops: acknowledged, not retried.
        return JsonResponse({"status": "unknown tracking number"})
    return JsonResponse({"status": "ok", "recorded": result.recorded})
