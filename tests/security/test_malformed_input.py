"""Senders with valid credentials and a malformed body get a 4xx with a reason, never a 500;
text carrying NUL bytes is stored without them."""

from __future__ import annotations

import base64
import copy
import json
from urllib.parse import urlencode

import pytest

from helpdesk.tickets.models import Message, RawInbound
from orders_link.models import Order, Store
from tests.channels_in.twilio.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_URL,
    post_signed,
    sign,
    sms_fields,
)
from tests.factories import InboxFactory
from tests.orders_link.helpers import shopify_payload, signed_post

pytestmark = pytest.mark.django_db

DEEP = ("[" * 10_000 + "]" * 10_000).encode()
DEEP_OBJECT = ('{"a":' * 10_000 + "1" + "}" * 10_000).encode()
PUSH_TOKEN = "push-token-0123456789"
SHOPIFY_SECRET = "shopify-secret-0123456789"
TELEGRAM_SECRET = "telegram-webhook-secret-0123456789"
ANYMAIL_SECRET = "hook-user:hook-password"
ORDER = {
    "number": "C-1",
    "placed_at": "2026-03-01T10:00:00+01:00",
    "email": "jo@example.test",
    "status": "shipped",
    "lines": [{"title": "Mug", "sku": "MUG", "quantity": 2, "unit_price": "10.00"}],
}


@pytest.fixture(autouse=True)
def _credentials(settings):
    settings.ORDERS_PUSH_TOKEN = PUSH_TOKEN
    settings.TRACKING_WEBHOOK_TOKEN = PUSH_TOKEN
    settings.SHOPIFY_WEBHOOK_SECRET = SHOPIFY_SECRET
    settings.TELEGRAM_WEBHOOK_SECRET = TELEGRAM_SECRET
    settings.TELEGRAM_BOT_TOKEN = "123456:ABC"
    settings.ANYMAIL = {"WEBHOOK_SECRET": ANYMAIL_SECRET}
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.PUBLIC_URL = PUBLIC_URL
    settings.ALLOWED_HOSTS = ["testserver", "help.shop.test"]


@pytest.fixture(autouse=True)
def _fresh_inboxes():
    from channels_in import webhooks

    webhooks._webhook_inboxes.clear()
    yield
    webhooks._webhook_inboxes.clear()


@pytest.fixture
def client(client):
    client.raise_request_exception = False
    return client


def push(client, body: bytes, url: str = "/orders/webhooks/push/custom/"):
    Store.objects.get_or_create(slug="custom", defaults={"name": "Custom"})
    return client.post(
        url, data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {PUSH_TOKEN}"
    )


def telegram(client, body: bytes):
    inbox = InboxFactory(kind="telegram", config={"bot_username": "shop_bot"})
    return client.post(
        f"/hooks/telegram/{inbox.webhook_key}/",
        body,
        content_type="application/json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=TELEGRAM_SECRET,
    )


def postmark(client, body: bytes):
    inbox = InboxFactory(kind="email", config={"address": "support@shop.test"})
    auth = "Basic " + base64.b64encode(ANYMAIL_SECRET.encode()).decode()
    return client.post(
        f"/email/inbound/postmark/{inbox.webhook_key}/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )


def shopify(client, body: bytes):
    Store.objects.get_or_create(
        slug="bobs", defaults={"name": "Bob", "connector": Store.Connector.SHOPIFY}
    )
    return signed_post(
        client,
        "/orders/webhooks/shopify/bobs/",
        body,
        secret=SHOPIFY_SECRET,
        header="X-Shopify-Hmac-Sha256",
        **{"X-Shopify-Topic": "orders/create", "X-Shopify-Webhook-Id": "w-1"},
    )


SENDERS = {"push": push, "telegram": telegram, "postmark": postmark, "shopify": shopify}


@pytest.mark.parametrize("sender", SENDERS)
@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["array", "object"])
def test_ten_thousand_deep_json_is_a_400(client, sender, body):
    response = SENDERS[sender](client, body)
    assert response.status_code == 400, response.content[:300]


@pytest.mark.parametrize("sender", ["push", "shopify"])
def test_a_nul_in_an_order_is_a_400(client, sender):
    if sender == "push":
        order = {**ORDER, "number": "C-\u00001"}
    else:
        order = shopify_payload("order")["order"]
        order["name"] = "#10\u000001"
    response = SENDERS[sender](client, json.dumps(order).encode())
    assert response.status_code == 400, response.content[:300]
    assert b"NUL" in response.content
    assert not Order.objects.exists()


@pytest.mark.parametrize("quantity", ["two", 10**30, -5, 1.5, None, [], "9" * 400])
def test_a_bad_quantity_is_a_400(client, quantity):
    order = copy.deepcopy(ORDER)
    order["lines"][0]["quantity"] = quantity
    response = push(client, json.dumps(order).encode())
    assert response.status_code == 400, response.content[:300]
    assert b"quantity" in response.content
    assert not Order.objects.exists()


@pytest.mark.parametrize("quantity", ["two", 10**30, -5, "9" * 400, {"a": 1}])
def test_a_bad_shopify_quantity_is_a_400(client, quantity):
    order = shopify_payload("order")["order"]
    order["line_items"][0]["quantity"] = quantity
    response = shopify(client, json.dumps(order).encode())
    assert response.status_code == 400, response.content[:300]
    assert b"quantity" in response.content
    assert not Order.objects.exists()


def test_telegram_text_with_nul_bytes_is_stored_without_them(client):
    update = {
        "update_id": 501,
        "message": {
            "message_id": 9,
            "date": 1441645532,
            "chat": {"id": 42, "type": "private", "first_name": "Zo\u0000e"},
            "from": {"id": 42, "is_bot": False, "first_name": "Zo\u0000e"},
            "text": "Where\u0000 is my\u0000 parcel?",
        },
    }
    response = telegram(client, json.dumps(update).encode())
    assert response.status_code == 200, response.content[:300]
    message = Message.objects.get(direction="in")
    assert message.text == "Where is my parcel?"


def test_postmark_text_with_nul_bytes_is_stored_without_them(client):
    payload = {
        "From": "zoe@example.test",
        "FromFull": {"Email": "zoe@example.test", "Name": "Zo\u0000e"},
        "To": "support@shop.test",
        "Subject": "Par\u0000cel",
        "MessageID": "nul-1",
        "TextBody": "Where\u0000 is it?",
        "Headers": [],
        "Attachments": [],
    }
    response = postmark(client, json.dumps(payload).encode())
    assert response.status_code == 200, response.content[:300]
    message = Message.objects.get(direction="in")
    assert "\x00" not in message.text and "Where is it?" in message.text


@pytest.fixture
def sms_inbox(db):
    return InboxFactory(kind="sms", name="Shop SMS", config={"from": "+33700000001"})


def test_a_nul_in_a_message_sid_is_a_400(client, sms_inbox):
    path = f"/hooks/twilio/{sms_inbox.webhook_key}/"
    fields = sms_fields(MessageSid="SM\x00" + "a" * 30, SmsSid="SM\x00" + "a" * 30)
    response = post_signed(client, path, fields)
    assert response.status_code == 400, response.content[:300]
    assert not RawInbound.objects.exists()


def test_sms_text_with_nul_bytes_is_stored_without_them(client, sms_inbox):
    path = f"/hooks/twilio/{sms_inbox.webhook_key}/"
    response = post_signed(client, path, sms_fields(Body="Hello\x00 there\x00"))
    assert response.status_code == 200, response.content[:300]
    assert Message.objects.get(direction="in").text == "Hello there"


def test_a_multipart_body_on_the_twilio_hook_is_a_4xx(client, sms_inbox):
    path = f"/hooks/twilio/{sms_inbox.webhook_key}/"
    fields = sms_fields()
    response = client.post(path, fields, HTTP_X_TWILIO_SIGNATURE=sign(path, fields))
    assert 400 <= response.status_code < 500, response.content[:300]
    assert not RawInbound.objects.exists()
    urlencoded = urlencode(fields)
    assert urlencoded  # the same fields form-encoded are accepted (see the Twilio tests)


def test_a_huge_signed_sms_keeps_its_overflow_as_an_attachment(client, sms_inbox, settings):
    settings.HELPDESK_INBOUND_TEXT_LIMITS = {"default": 5000, "email": 200_000}
    body = "".join(f"line {n} of a very long message\n" for n in range(40_000))  # ~1.3 MB
    path = f"/hooks/twilio/{sms_inbox.webhook_key}/"
    assert post_signed(client, path, sms_fields(Body=body)).status_code == 200
    message = Message.objects.get(direction="in")
    assert len(message.text) <= 5000 + 10
    assert message.text.startswith("line 0 of a very long message")
    [overflow] = message.attachments.all()
    assert overflow.filename == "full-message.txt"
    with overflow.file.open("rb") as handle:
        assert handle.read().decode() == body


def test_a_message_within_the_limit_is_unchanged(client, sms_inbox):
    path = f"/hooks/twilio/{sms_inbox.webhook_key}/"
    body = "x" * 4000
    assert post_signed(client, path, sms_fields(Body=body)).status_code == 200
    message = Message.objects.get(direction="in")
    assert message.text == body and not message.attachments.exists()
