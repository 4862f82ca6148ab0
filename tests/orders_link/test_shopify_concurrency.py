"""A new order's create and update webhooks arriving together: stored once, never a 500."""

from __future__ import annotations

import copy
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from orders_link.models import Order, OrderEvent, Shipment, Store
from tests.orders_link.helpers import shopify_payload, signed_post

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SECRET = "shpss_test_secret"
ORDERS = 12


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.SHOPIFY_WEBHOOK_SECRET = SECRET


def order_payload(i: int) -> dict:
    payload = copy.deepcopy(shopify_payload("order"))
    order = payload["order"]
    order["id"] = 9_000_000 + i
    order["name"] = f"#C{i}"
    order["order_number"] = 5000 + i
    order["email"] = f"buyer{i}@example.test"
    for n, fulfillment in enumerate(order.get("fulfillments") or []):
        fulfillment["id"] = 7_000_000 + i * 10 + n
        fulfillment["tracking_number"] = f"TRK-C{i}-{n}"
        fulfillment["tracking_numbers"] = [fulfillment["tracking_number"]]
    return payload


def test_create_and_update_of_a_new_order_arriving_together_store_it_once():
    store = Store.objects.create(
        name="Shop", slug="shop", connector=Store.Connector.SHOPIFY, domain="shop.myshopify.com"
    )
    url = reverse("orders:shopify", args=[store.slug])
    statuses: list[int] = []
    errors: list[BaseException] = []

    def post(i: int, topic: str, barrier: threading.Barrier) -> None:
        try:
            client = Client(raise_request_exception=False)
            barrier.wait(timeout=10)
            response = signed_post(
                client,
                url,
                order_payload(i),
                secret=SECRET,
                header="X-Shopify-Hmac-Sha256",
                **{
                    "X-Shopify-Topic": topic,
                    "X-Shopify-Webhook-Id": f"{topic}-{i}",
                    "X-Shopify-Triggered-At": "2026-03-01T10:00:00Z",
                },
            )
            statuses.append(response.status_code)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    for i in range(ORDERS):
        barrier = threading.Barrier(3)
        threads = [
            threading.Thread(target=post, args=(i, topic, barrier))
            for topic in ("orders/create", "orders/updated", "orders/updated")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert not errors, errors
    assert statuses == [200] * (3 * ORDERS), statuses
    assert Order.objects.filter(store=store).count() == ORDERS
    assert OrderEvent.objects.filter(kind="placed").count() == ORDERS
    assert Shipment.objects.filter(order__store=store).count() == ORDERS
