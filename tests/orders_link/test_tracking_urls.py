"""Links from shops and carriers are shown to agents and sent to customers: http(s) only."""

from __future__ import annotations

import copy

import pytest

from orders_link.connectors.neutral import PayloadError, ShipmentData
from orders_link.connectors.shopify import fulfillment_to_shipment
from orders_link.models import Order, Shipment
from tests.orders_link.test_connectors import ORDER, PUSH_TOKEN, push


@pytest.fixture(autouse=True)
def _push_token(settings):
    settings.ORDERS_PUSH_TOKEN = PUSH_TOKEN


pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        " JavaScript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox(1)",
        "//evil.test/track",
        "ftp://track.example/6A100",
    ],
)
def test_a_pushed_order_with_a_non_web_tracking_url_is_refused(client, url):
    order = copy.deepcopy(ORDER)
    order["shipments"][0]["tracking_url"] = url
    response = push(client, {"orders": [order]})
    assert response.status_code == 400
    assert response.json()["details"] == [
        "orders[0]: shipments[0].tracking_url: not an http(s) address"
    ]
    assert not Order.objects.exists()
    assert not Shipment.objects.exists()


def test_an_https_tracking_url_is_kept(client):
    assert push(client, {"orders": [ORDER]}).status_code == 200
    assert Shipment.objects.get().tracking_url == "https://track.example/6A100"


def test_shopify_fulfillment_with_a_javascript_url_is_refused():
    with pytest.raises(PayloadError, match="tracking_url: not an http"):
        fulfillment_to_shipment(
            {"tracking_number": "1Z", "tracking_url": "javascript:alert(1)", "id": 5}
        )


def test_the_service_refuses_a_javascript_url_from_any_connector(client):
    from orders_link.services import shipment_upsert

    assert push(client, {"orders": [ORDER]}).status_code == 200
    order = Order.objects.get()
    data = ShipmentData(carrier="X", tracking_number="T1", tracking_url="javascript:alert(1)")
    with pytest.raises(PayloadError):
        shipment_upsert(order=order, data=data)
    assert list(Shipment.objects.values_list("tracking_url", flat=True)) == [
        "https://track.example/6A100"
    ]
