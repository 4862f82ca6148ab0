"""WooCommerce orders, the custom-shop push endpoint and carrier tracking webhooks."""

from __future__ import annotations

import copy
import json

import pytest
from django.urls import reverse

from helpdesk.contacts.models import ContactIdentity
from orders_link.models import (
    Order,
    OrderStatus,
    Shipment,
    ShipmentStatus,
    Store,
    TrackingEvent,
)
from tests.factories import ShipmentFactory
from tests.orders_link.helpers import FIXTURES, signed_post

pytestmark = pytest.mark.django_db

WC_SECRET = "wc-secret"
PUSH_TOKEN = "push-token-0123456789"
TRACKING_TOKEN = "tracking-token-0123456789"
AFTERSHIP_SECRET = "aftership-secret"


@pytest.fixture(autouse=True)
def _secrets(settings):
    settings.WOOCOMMERCE_WEBHOOK_SECRET = WC_SECRET
    settings.ORDERS_PUSH_TOKEN = PUSH_TOKEN
    settings.TRACKING_WEBHOOK_TOKEN = TRACKING_TOKEN
    settings.AFTERSHIP_WEBHOOK_SECRET = AFTERSHIP_SECRET


def wc_order() -> dict:
    return json.loads((FIXTURES / "woocommerce_order.json").read_text())


def wc_send(client, payload, *, delivery="d1", topic="order.updated", secret=WC_SECRET):
    store, _ = Store.objects.get_or_create(
        slug="woo", defaults={"name": "Woo", "connector": Store.Connector.WOOCOMMERCE}
    )
    return signed_post(
        client,
        reverse("orders:woocommerce", args=[store.slug]),
        payload,
        secret=secret,
        header="X-WC-Webhook-Signature",
        **{"X-WC-Webhook-Topic": topic, "X-WC-Webhook-Delivery-ID": delivery},
    )


# --- WooCommerce --------------------------------------------------------------------------------


def test_a_woocommerce_order_is_stored_and_linked_by_email_and_phone(client):
    response = wc_send(client, wc_order())
    assert response.status_code == 200, response.content
    order = Order.objects.get()
    assert order.number == "727"
    assert order.status == OrderStatus.UNPROCESSED
    assert order.placed_at.isoformat() == "2026-03-02T09:12:31+00:00"
    assert order.postcode == "69003" and order.country == "FR"
    assert (order.ship_name, order.ship_lines, order.city) == (
        "Camille Martin",
        "12 rue des Lilas",
        "Lyon",
    )
    assert order.lines.get().quantity == 2
    identities = {i.kind: i for i in ContactIdentity.objects.filter(contact=order.contact)}
    assert identities["email"].address == "camille.martin@example.test"
    assert identities["phone"].address == "+33612345678"


def test_woocommerce_forged_signature_and_repeated_delivery(client):
    assert wc_send(client, wc_order(), secret="forged").status_code == 401
    assert not Order.objects.exists()
    assert wc_send(client, wc_order(), delivery="d1").json()["status"] == "created"
    later = wc_order()
    later["status"] = "completed"
    later["date_modified_gmt"] = "2026-03-03T09:00:00"
    assert wc_send(client, later, delivery="d1").json() == {"status": "duplicate"}
    assert wc_send(client, later, delivery="d2").json() == {"status": "updated"}
    assert Order.objects.get().status == OrderStatus.SHIPPED
    # The older state arriving late changes nothing.
    assert wc_send(client, wc_order(), delivery="d3").json() == {"status": "stale"}
    assert Order.objects.get().status == OrderStatus.SHIPPED


def test_woocommerce_unknown_status_is_refused(client):
    payload = wc_order()
    payload["status"] = "teleported"
    response = wc_send(client, payload)
    assert response.status_code == 400
    assert "teleported" in response.json()["error"]


# --- Push endpoint ------------------------------------------------------------------------------


def push(client, body, token=PUSH_TOKEN):
    Store.objects.get_or_create(slug="custom", defaults={"name": "Custom"})
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = body if isinstance(body, bytes) else json.dumps(body)
    return client.post(
        reverse("orders:push", args=["custom"]),
        data=data,
        content_type="application/json",
        headers=headers,
    )


ORDER = {
    "number": "C-1",
    "placed_at": "2026-03-01T10:00:00+01:00",
    "email": "jo@example.test",
    "status": "shipped",
    "total": "20.00",
    "lines": [{"title": "Mug", "sku": "MUG", "quantity": 2, "unit_price": "10.00"}],
    "shipments": [
        {
            "carrier": "Colissimo",
            "tracking_number": "6A100",
            "tracking_url": "https://track.example/6A100",
            "shipped_at": "2026-03-02T10:00:00+01:00",
            "promised_date": "2026-03-05",
        }
    ],
}


def test_pushed_orders_are_upserted_without_duplicates(client):
    assert push(client, {"orders": [ORDER]}).json() == {
        "orders": [{"number": "C-1", "status": "created"}]
    }
    assert push(client, ORDER).json() == {"orders": [{"number": "C-1", "status": "updated"}]}
    assert Order.objects.count() == 1
    assert Shipment.objects.get().promised_date.isoformat() == "2026-03-05"
    assert Order.objects.get().lines.count() == 1


def test_push_needs_the_token(client):
    assert push(client, ORDER, token="").status_code == 401
    assert push(client, ORDER, token="wrong").status_code == 401
    assert not Order.objects.exists()


def test_one_bad_order_in_a_push_stores_nothing(client):
    bad = copy.deepcopy(ORDER)
    bad["number"] = "C-2"
    bad["shipments"][0]["promised_date"] = "next week"
    response = push(client, {"orders": [ORDER, bad]})
    assert response.status_code == 400
    assert response.json()["details"] == [
        "orders[1]: shipments[0].promised_date: 'next week' is not a date (YYYY-MM-DD)"
    ]
    assert not Order.objects.exists()
    assert push(client, b"[1, 2").status_code == 400


def test_a_tracking_number_of_another_order_is_refused_and_rolled_back(client):
    push(client, ORDER)
    other = copy.deepcopy(ORDER)
    other["number"] = "C-9"
    response = push(client, other)
    assert response.status_code == 400
    assert "belongs to another order" in response.json()["error"]
    assert list(Order.objects.values_list("number", flat=True)) == ["C-1"]


# --- Tracking: neutral format and AfterShip -----------------------------------------------------


def track(client, body, token=TRACKING_TOKEN):
    return client.post(
        reverse("orders:tracking"),
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def test_neutral_tracking_events_update_the_shipment_in_order(client):
    shipment = ShipmentFactory(carrier="Colissimo", tracking_number="6A200")
    body = {
        "carrier": "colissimo",
        "tracking_number": "6A200",
        "events": [
            {
                "id": "e2",
                "status": "out_for_delivery",
                "occurred_at": "2026-03-03T08:00:00+01:00",
                "location": "Lyon",
            },
            {"id": "e1", "status": "in_transit", "occurred_at": "2026-03-02T20:00:00+01:00"},
        ],
        "estimated_delivery": "2026-03-03",
    }
    assert track(client, body).json() == {"status": "ok", "recorded": 2}
    assert track(client, body).json() == {"status": "ok", "recorded": 0}
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.OUT_FOR_DELIVERY
    assert shipment.last_scan_location == "Lyon"
    assert shipment.estimated_delivery.isoformat() == "2026-03-03"
    # A late-arriving older scan is kept but does not move the status back.
    older = {
        "carrier": "colissimo",
        "tracking_number": "6A200",
        "events": [
            {"id": "e0", "status": "info_received", "occurred_at": "2026-03-01T09:00:00+01:00"}
        ],
    }
    track(client, older)
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.OUT_FOR_DELIVERY
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 3


def test_delivered_scan_delivers_the_order(client):
    shipment = ShipmentFactory(tracking_number="6A300")
    track(
        client,
        {
            "carrier": "Colissimo",
            "tracking_number": "6A300",
            "events": [
                {"id": "d", "status": "delivered", "occurred_at": "2026-03-03T08:00:00+01:00"}
            ],
        },
    )
    shipment.refresh_from_db()
    assert shipment.delivered_at is not None
    assert shipment.order.status == OrderStatus.DELIVERED


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            {
                "carrier": "X",
                "tracking_number": "1",
                "events": [{"status": "lost", "occurred_at": "2026-03-01T09:00:00Z"}],
            },
            "events[0].status",
        ),
        (
            {
                "carrier": "X",
                "tracking_number": "1",
                "events": [{"status": "in_transit", "occurred_at": "2026-03-01 09:00"}],
            },
            "time zone",
        ),
        ({"tracking_number": "1"}, "carrier: required"),
        ([], "expected an object"),
    ],
)
def test_neutral_tracking_rejects_bad_input_with_a_reason(client, body, reason):
    response = track(client, body)
    assert response.status_code == 400
    assert reason in response.json()["error"]


def test_neutral_tracking_needs_its_token_and_a_known_parcel(client):
    body = {"carrier": "X", "tracking_number": "nope", "events": []}
    assert track(client, body, token="bad").status_code == 401
    assert track(client, body).status_code == 404


def aftership_body(tracking_number: str, tag: str, subtag: str = "") -> dict:
    return {
        "event": "tracking_update",
        "event_id": "e0a5e8b1-0001",
        "is_tracking_first_tag": False,
        "msg": {
            "id": "5b0bfa7b1b0fc2a2b6d7a0b4",
            "tracking_number": tracking_number,
            "slug": "colissimo",
            "tag": tag,
            "subtag": subtag,
            "expected_delivery": "2026-03-09",
            "checkpoints": [
                {
                    "checkpoint_time": "2026-03-03T07:30:00+01:00",
                    "city": "Paris",
                    "country_name": "France",
                    "message": "Colis en cours d'acheminement",
                    "tag": "InTransit",
                    "subtag": "InTransit_001",
                },
                {
                    "checkpoint_time": "2026-03-04T09:10:00+01:00",
                    "location": "Lyon, France",
                    "message": "Retard d'acheminement",
                    "tag": tag,
                    "subtag": subtag,
                },
            ],
        },
        "ts": 1772611800,
    }


def aftership(client, body, secret=AFTERSHIP_SECRET):
    return signed_post(
        client, reverse("orders:aftership"), body, secret=secret, header="aftership-hmac-sha256"
    )


def test_aftership_webhook_is_verified_and_normalised(client):
    shipment = ShipmentFactory(carrier="Colissimo", tracking_number="6A400")
    body = aftership_body("6A400", "Exception", "Exception_002")
    assert aftership(client, body, secret="forged").status_code == 401
    assert not TrackingEvent.objects.exists()
    assert aftership(client, body).json() == {"status": "ok", "recorded": 2}
    assert aftership(client, body).json() == {"status": "ok", "recorded": 0}
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELAYED
    assert shipment.estimated_delivery.isoformat() == "2026-03-09"
    assert list(shipment.events.values_list("status", flat=True)) == ["in_transit", "delayed"]


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("InfoReceived", "info_received"),
        ("OutForDelivery", "out_for_delivery"),
        ("AttemptFail", "failed_attempt"),
        ("Delivered", "delivered"),
        ("Exception", "exception"),
    ],
)
def test_aftership_tags_map_to_our_statuses(client, tag, expected):
    shipment = ShipmentFactory(tracking_number="6A500")
    aftership(client, aftership_body("6A500", tag))
    shipment.refresh_from_db()
    assert shipment.status == expected


def test_aftership_unknown_tag_or_parcel(client):
    assert aftership(client, aftership_body("6A600", "Teleported")).status_code == 400
    assert aftership(client, aftership_body("unknown", "InTransit")).json() == {
        "status": "unknown tracking number"
    }


def test_woocommerce_creation_ping_is_answered(client):
    Store.objects.create(name="Woo", slug="woo", connector=Store.Connector.WOOCOMMERCE)
    response = client.post(
        reverse("orders:woocommerce", args=["woo"]),
        data="webhook_id=12",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.json() == {"status": "pong"}
    assert not Order.objects.exists()


def test_the_neutral_order_carries_its_full_shipping_address():
    from orders_link.connectors.neutral import PayloadError, parse_order

    data = parse_order(
        {
            "number": "A-1",
            "placed_at": "2026-05-12T10:00:00Z",
            "shipping": {
                "name": "Jeanne Martin",
                "lines": ["Bâtiment B", "", "4 quai des Brumes"],
                "postcode": "13002",
                "city": "Marseille",
                "country": "fr",
            },
        }
    )
    assert data.ship_name == "Jeanne Martin"
    assert data.ship_lines == ("Bâtiment B", "4 quai des Brumes")
    assert (data.postcode, data.city, data.country) == ("13002", "Marseille", "FR")
    with pytest.raises(PayloadError, match=r"shipping\.lines"):
        parse_order(
            {"number": "A-2", "placed_at": "2026-05-12T10:00:00Z", "shipping": {"lines": {}}}
        )
