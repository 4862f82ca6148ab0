from __future__ import annotations

import copy

import pytest
from django.urls import reverse

from helpdesk.contacts.models import ContactIdentity
from orders_link.models import (
    Order,
    OrderEvent,
    OrderStatus,
    Shipment,
    ShipmentStatus,
    Store,
    TrackingEvent,
    WebhookDelivery,
)
from tests.factories import IdentityFactory
from tests.orders_link.helpers import shopify_payload, signed_post

pytestmark = pytest.mark.django_db

SECRET = "shpss_test_secret"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.SHOPIFY_WEBHOOK_SECRET = SECRET


@pytest.fixture
def store(db):
    return Store.objects.create(
        name="Bob's shop",
        slug="bobs",
        connector=Store.Connector.SHOPIFY,
        domain="bobs.myshopify.com",
    )


def send(
    client, store, topic, payload, *, webhook_id, triggered_at="2026-03-01T10:00:00Z", secret=SECRET
):
    return signed_post(
        client,
        reverse("orders:shopify", args=[store.slug]),
        payload,
        secret=secret,
        header="X-Shopify-Hmac-Sha256",
        **{
            "X-Shopify-Topic": topic,
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Triggered-At": triggered_at,
            "X-Shopify-Shop-Domain": store.domain,
        },
    )


def test_the_example_order_is_stored_with_its_lines_shipment_and_customer(client, store):
    response = send(client, store, "orders/create", shopify_payload("order"), webhook_id="w1")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "created"}
    order = Order.objects.get(store=store)
    assert order.number == "#1001"
    assert order.external_id == "450789469"
    assert order.email == "bob.norman@hostmail.com"
    assert order.postcode == "40202" and order.country == "US"
    assert (order.ship_name, order.ship_lines, order.city) == (
        "Bob Norman",
        "Chestnut Street 92",
        "Louisville",
    )
    assert order.status == OrderStatus.SHIPPED  # it has a fulfillment with a tracking number
    assert str(order.total) == "409.94"
    assert order.lines.count() == len(shopify_payload("order")["order"]["line_items"])
    shipment = order.shipments.get()
    assert shipment.tracking_number == "1Z2345"
    assert shipment.external_id == "255858046"
    assert order.contact is not None
    identity = ContactIdentity.objects.get(kind="email", address="bob.norman@hostmail.com")
    assert identity.contact == order.contact
    assert list(OrderEvent.objects.filter(order=order).values_list("kind", flat=True))[:1] == [
        "placed"
    ]


def test_every_order_of_the_example_list_goes_through(client, store):
    for i, order in enumerate(shopify_payload("orders")["orders"]):
        response = send(client, store, "orders/updated", order, webhook_id=f"list-{i}")
        assert response.status_code == 200, response.content
    assert Order.objects.filter(store=store).count() == len(shopify_payload("orders")["orders"])


def test_an_existing_customer_gets_the_order_and_no_duplicate_identity(client, store):
    existing = IdentityFactory(address="bob.norman@hostmail.com")
    send(client, store, "orders/create", shopify_payload("order"), webhook_id="w1")
    assert Order.objects.get().contact == existing.contact
    assert ContactIdentity.objects.filter(address="bob.norman@hostmail.com").count() == 1


@pytest.mark.parametrize(
    "signature",
    ["", "not-base64", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="],
)
def test_a_forged_or_missing_signature_is_refused_and_stores_nothing(client, store, signature):
    import json

    response = client.post(
        reverse("orders:shopify", args=[store.slug]),
        data=json.dumps(shopify_payload("order")),
        content_type="application/json",
        headers={"X-Shopify-Hmac-Sha256": signature, "X-Shopify-Topic": "orders/create"},
    )
    assert response.status_code == 401
    assert "signature" in response.json()["error"]
    assert not Order.objects.exists()


def test_a_body_signed_with_another_secret_is_refused(client, store):
    response = send(
        client, store, "orders/create", shopify_payload("order"), webhook_id="w1", secret="wrong"
    )
    assert response.status_code == 401
    assert not Order.objects.exists()


def test_a_tampered_body_is_refused(client, store):
    import json

    from orders_link.connectors.signing import hmac_sha256_base64

    body = json.dumps(shopify_payload("order")).encode()
    signature = hmac_sha256_base64(SECRET, body)
    response = client.post(
        reverse("orders:shopify", args=[store.slug]),
        data=body.replace(b"bob.norman", b"eve.hacker"),
        content_type="application/json",
        headers={"X-Shopify-Hmac-Sha256": signature, "X-Shopify-Topic": "orders/create"},
    )
    assert response.status_code == 401


def test_without_a_configured_secret_every_call_is_refused(client, store, settings):
    settings.SHOPIFY_WEBHOOK_SECRET = ""
    response = send(
        client, store, "orders/create", shopify_payload("order"), webhook_id="w1", secret=""
    )
    assert response.status_code == 403
    assert not Order.objects.exists()


def test_a_repeated_webhook_id_is_applied_once(client, store):
    payload = shopify_payload("order")
    assert (
        send(client, store, "orders/create", payload, webhook_id="same").json()["status"]
        == "created"
    )
    changed = copy.deepcopy(payload)
    changed["order"]["email"] = "changed@example.test"
    response = send(
        client,
        store,
        "orders/updated",
        changed,
        webhook_id="same",
        triggered_at="2026-03-02T10:00:00Z",
    )
    assert response.json() == {"status": "duplicate"}
    assert Order.objects.get().email == "bob.norman@hostmail.com"
    assert WebhookDelivery.objects.count() == 1
    assert OrderEvent.objects.filter(kind="placed").count() == 1


def test_a_stale_payload_never_overwrites_newer_data(client, store):
    payload = shopify_payload("order")
    newer = copy.deepcopy(payload)
    newer["order"]["cancelled_at"] = "2026-03-02T09:00:00Z"
    send(
        client,
        store,
        "orders/cancelled",
        newer,
        webhook_id="w2",
        triggered_at="2026-03-02T10:00:00Z",
    )
    assert Order.objects.get().status == OrderStatus.CANCELLED
    response = send(
        client,
        store,
        "orders/updated",
        payload,
        webhook_id="w1",
        triggered_at="2026-03-01T10:00:00Z",
    )
    assert response.json() == {"status": "stale"}
    order = Order.objects.get()
    assert order.status == OrderStatus.CANCELLED
    assert order.source_updated_at.isoformat().startswith("2026-03-02T10:00:00")


def test_malformed_json_and_payloads_get_a_clear_400(client, store):
    response = send(client, store, "orders/create", b"{not json", webhook_id="w1")
    assert response.status_code == 400
    assert "JSON" in response.json()["error"]
    broken = shopify_payload("order")
    broken["order"]["created_at"] = "yesterday"
    response = send(client, store, "orders/create", broken, webhook_id="w2")
    assert response.status_code == 400
    assert "created_at" in response.json()["error"]
    assert not Order.objects.exists()
    # A refused delivery is not remembered: the corrected retry is applied.
    assert not WebhookDelivery.objects.exists()


def test_fulfillment_then_its_events_update_the_shipment(client, store):
    send(client, store, "orders/create", shopify_payload("order"), webhook_id="w1")
    fulfillment = shopify_payload("fulfillment")
    fulfillment["fulfillment"]["shipment_status"] = "in_transit"
    response = send(
        client,
        store,
        "fulfillments/update",
        fulfillment,
        webhook_id="w2",
        triggered_at="2026-03-01T11:00:00Z",
    )
    assert response.status_code == 200, response.content
    shipment = Shipment.objects.get()
    assert shipment.carrier == "null-company"  # updated in place, not a second shipment
    assert shipment.status == ShipmentStatus.IN_TRANSIT

    event = shopify_payload("fulfillment_event")
    event["fulfillment_event"].update(
        order_id=450789469, fulfillment_id=255858046, status="attempted_delivery", city="Louisville"
    )
    response = send(client, store, "fulfillment_events/create", event, webhook_id="w3")
    assert response.json() == {"status": "recorded"}
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.FAILED_ATTEMPT
    assert shipment.last_scan_location == "Louisville"
    assert TrackingEvent.objects.get().external_id == "shopify-12584341209251"
    # The same event under another delivery id is still one scan.
    response = send(client, store, "fulfillment_events/create", event, webhook_id="w4")
    assert response.json() == {"status": "duplicate"}
    assert TrackingEvent.objects.count() == 1


def test_a_fulfillment_for_an_unknown_order_is_refused_for_a_later_retry(client, store):
    response = send(
        client, store, "fulfillments/create", shopify_payload("fulfillment"), webhook_id="w1"
    )
    assert response.status_code == 422
    assert "unknown order" in response.json()["error"]
    assert not WebhookDelivery.objects.exists()


def test_an_unknown_topic_is_acknowledged_and_ignored(client, store):
    response = send(client, store, "products/create", {"product": {}}, webhook_id="w1")
    assert response.json()["status"] == "ignored"


def test_another_stores_slug_or_get_is_refused(client, store):
    assert client.get(reverse("orders:shopify", args=[store.slug])).status_code == 405
    response = send(client, store, "orders/create", shopify_payload("order"), webhook_id="w1")
    assert response.status_code == 200
    Store.objects.create(name="Woo", slug="woo", connector=Store.Connector.WOOCOMMERCE)
    woo = Store.objects.get(slug="woo")
    assert (
        send(client, woo, "orders/create", shopify_payload("order"), webhook_id="w9").status_code
        == 404
    )


def test_a_stale_fulfillment_update_does_not_move_the_shipment_back(client, store):
    send(client, store, "orders/create", shopify_payload("order"), webhook_id="w1")
    newer = shopify_payload("fulfillment")
    newer["fulfillment"]["shipment_status"] = "delivered"
    send(
        client,
        store,
        "fulfillments/update",
        newer,
        webhook_id="w2",
        triggered_at="2026-03-05T10:00:00Z",
    )
    older = shopify_payload("fulfillment")
    older["fulfillment"]["shipment_status"] = "in_transit"
    older["fulfillment"]["tracking_company"] = "Stale Carrier"
    send(
        client,
        store,
        "fulfillments/update",
        older,
        webhook_id="w3",
        triggered_at="2026-03-04T10:00:00Z",
    )
    shipment = Shipment.objects.get()
    assert shipment.status == ShipmentStatus.DELIVERED
    assert shipment.carrier == "null-company"


def test_an_oversized_body_is_refused_before_parsing(client, store):
    body = b"{" + b" " * (3 * 1024 * 1024) + b"}"
    response = send(client, store, "orders/create", body, webhook_id="big")
    assert response.status_code == 413
    assert not Order.objects.exists()
