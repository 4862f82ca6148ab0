"""The same delivery arriving several times at once on every webhook: stored once, never a 500.

Each request runs in its own thread with its own PostgreSQL connection, released together,
so that the database's constraints, not luck, decide between them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from helpdesk.tickets.models import Message, RawInbound
from orders_link.models import Order, OrderLine, Shipment, Store, TrackingEvent, WebhookDelivery
from tests.channels_in.email.mails import build_mail
from tests.channels_in.email.test_providers import SECRET as ANYMAIL_SECRET
from tests.channels_in.email.test_providers import SIGNING_KEY, auth, mailgun_signed
from tests.channels_in.telegram.test_telegram import SECRET as TELEGRAM_SECRET
from tests.channels_in.telegram.test_telegram import TOKEN as TELEGRAM_TOKEN
from tests.channels_in.telegram.test_telegram import update as telegram_update
from tests.channels_in.twilio.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, sign, sms_fields
from tests.factories import InboxFactory
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from tests.orders_link.factories import ShipmentFactory
from tests.orders_link.helpers import shopify_payload, signed_post
from tests.orders_link.test_connectors import (
    AFTERSHIP_SECRET,
    ORDER,
    PUSH_TOKEN,
    TRACKING_TOKEN,
    WC_SECRET,
    aftership,
    aftership_body,
    push,
    track,
    wc_order,
    wc_send,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

COPIES = 6
SHOPIFY_SECRET = "shpss_dup_secret"


@pytest.fixture(autouse=True)
def _secrets(settings):
    settings.SHOPIFY_WEBHOOK_SECRET = SHOPIFY_SECRET
    settings.WOOCOMMERCE_WEBHOOK_SECRET = WC_SECRET
    settings.ORDERS_PUSH_TOKEN = PUSH_TOKEN
    settings.TRACKING_WEBHOOK_TOKEN = TRACKING_TOKEN
    settings.AFTERSHIP_WEBHOOK_SECRET = AFTERSHIP_SECRET
    settings.ANYMAIL = {
        "WEBHOOK_SECRET": ANYMAIL_SECRET,
        "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY,
    }
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TELEGRAM_BOT_TOKEN = TELEGRAM_TOKEN
    settings.TELEGRAM_WEBHOOK_SECRET = TELEGRAM_SECRET
    settings.PUBLIC_URL = PUBLIC_URL
    settings.ALLOWED_HOSTS = ["testserver", "help.shop.test"]


def all_at_once(call: Callable[[Client], object], copies: int = COPIES) -> list[int]:
    """Run ``call`` in ``copies`` threads released together; their HTTP status codes."""
    barrier = threading.Barrier(copies)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            client = Client(raise_request_exception=False)
            barrier.wait(timeout=20)
            statuses.append(call(client).status_code)
        except BaseException as exc:  # reported below: a thread's failure fails the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(statuses) == copies
    assert all(status < 500 for status in statuses), statuses
    return statuses


def test_shopify_order_delivered_six_times_at_once():
    store = Store.objects.create(
        name="Shop", slug="shop", connector=Store.Connector.SHOPIFY, domain="shop.myshopify.com"
    )
    payload = shopify_payload("order")
    statuses = all_at_once(
        lambda client: signed_post(
            client,
            reverse("orders:shopify", args=[store.slug]),
            payload,
            secret=SHOPIFY_SECRET,
            header="X-Shopify-Hmac-Sha256",
            **{"X-Shopify-Topic": "orders/create", "X-Shopify-Webhook-Id": "same-delivery"},
        )
    )
    assert statuses == [200] * COPIES
    assert Order.objects.count() == 1
    assert WebhookDelivery.objects.count() == 1
    assert OrderLine.objects.count() == len(payload["order"]["line_items"])


def test_woocommerce_order_delivered_six_times_at_once():
    Store.objects.create(name="Woo", slug="woo", connector=Store.Connector.WOOCOMMERCE)
    statuses = all_at_once(lambda client: wc_send(client, wc_order(), delivery="same"))
    assert statuses == [200] * COPIES
    assert Order.objects.count() == 1


def test_custom_shop_push_six_times_at_once():
    Store.objects.create(slug="custom", name="Custom")
    statuses = all_at_once(lambda client: push(client, ORDER))
    assert statuses == [200] * COPIES
    assert Order.objects.count() == 1
    assert Shipment.objects.count() == len(ORDER["shipments"])
    assert OrderLine.objects.count() == len(ORDER["lines"])


def test_tracking_events_six_times_at_once():
    ShipmentFactory(carrier="Colissimo", tracking_number="6A900")
    body = {
        "carrier": "colissimo",
        "tracking_number": "6A900",
        "events": [
            {"occurred_at": "2026-03-03T07:30:00+01:00", "status": "in_transit", "id": "e1"},
            {"occurred_at": "2026-03-04T09:10:00+01:00", "status": "delayed", "id": "e2"},
        ],
    }
    all_at_once(lambda client: track(client, body))
    assert TrackingEvent.objects.count() == 2


def test_aftership_six_times_at_once():
    ShipmentFactory(carrier="Colissimo", tracking_number="6A901")
    body = aftership_body("6A901", "Exception", "Exception_002")
    statuses = all_at_once(lambda client: aftership(client, body))
    assert statuses == [200] * COPIES
    assert TrackingEvent.objects.count() == 2


def test_twilio_sms_six_times_at_once():
    inbox = InboxFactory(kind="sms", name="Shop SMS", config={"from": "+33700000001"})
    fields = sms_fields()
    path = f"/hooks/twilio/{inbox.webhook_key}/"
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN):
        statuses = all_at_once(
            lambda client: client.post(
                path,
                urlencode(fields),
                content_type="application/x-www-form-urlencoded",
                HTTP_HOST="help.shop.test",
                HTTP_X_TWILIO_SIGNATURE=sign(path, fields),
            )
        )
    assert statuses == [200] * COPIES
    assert RawInbound.objects.count() == 1
    assert Message.objects.filter(external_id=fields["MessageSid"]).count() == 1


def test_telegram_update_six_times_at_once(settings):
    inbox = InboxFactory(kind="telegram", name="Shop Telegram", config={"bot_username": "bot"})
    data = telegram_update("text_message")
    with FakeTelegram(TELEGRAM_TOKEN) as fake:
        settings.TELEGRAM_API_BASE_URL = fake.url
        statuses = all_at_once(
            lambda client: client.post(
                f"/hooks/telegram/{inbox.webhook_key}/",
                json.dumps(data),
                content_type="application/json",
                HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=TELEGRAM_SECRET,
            )
        )
    assert statuses == [200] * COPIES
    assert Message.objects.filter(inbox=inbox).count() == 1


@pytest.mark.parametrize("provider", ["postmark", "mailgun"])
def test_email_provider_webhook_six_times_at_once(provider):
    inbox = InboxFactory(kind="email", name="Support", config={"address": "support@shop.test"})
    url = f"/email/inbound/{provider}/{inbox.webhook_key}/"
    raw = build_mail(subject="Twice?")
    if provider == "postmark":
        body = {
            "From": "zoe@example.test",
            "FromFull": {"Email": "zoe@example.test", "Name": "Zoe"},
            "To": "support@shop.test",
            "ToFull": [{"Email": "support@shop.test", "Name": ""}],
            "Subject": "Twice?",
            "MessageID": "22c74902-a0c1-4511-804f-341342852c91",
            "TextBody": "Order #1001 has not arrived.",
            "Headers": [],
            "Attachments": [],
            "RawEmail": raw.decode(),
        }

        def call(client):
            return client.post(url, json.dumps(body), content_type="application/json", **auth())
    else:
        fields = {"body-mime": raw.decode(), "recipient": "support@shop.test"}

        def call(client):
            return client.post(url, mailgun_signed(fields), **auth())

    statuses = all_at_once(call)
    assert statuses == [200] * COPIES
    assert Message.objects.filter(inbox=inbox).count() == 1
