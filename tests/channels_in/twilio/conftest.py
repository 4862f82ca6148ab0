from __future__ import annotations

import uuid
from urllib.parse import urlencode

import pytest
from django.test import TestCase
from twilio.request_validator import RequestValidator

from tests.factories import InboxFactory
from tests.fakes.twilio import FakeTwilio

ACCOUNT_SID = "AC" + "5" * 32
AUTH_TOKEN = "twilio-test-auth-token-0123456789"
PUBLIC_URL = "https://help.shop.test"


@pytest.fixture(autouse=True)
def _no_inbox_read_kept():
    """Each test reads its inboxes afresh (a process keeps them for a few seconds)."""
    from channels_in import webhooks

    webhooks._webhook_inboxes.clear()
    yield
    webhooks._webhook_inboxes.clear()


@pytest.fixture
def twilio_settings(settings):
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.PUBLIC_URL = PUBLIC_URL
    settings.ALLOWED_HOSTS = ["testserver", "help.shop.test", "127.0.0.1"]
    return settings


@pytest.fixture
def fake_twilio(twilio_settings):
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake:
        twilio_settings.TWILIO_API_BASE_URL = fake.url
        yield fake


@pytest.fixture
def sms_inbox(db):
    return InboxFactory(kind="sms", name="Shop SMS", config={"from": "+33700000001"})


@pytest.fixture
def whatsapp_inbox(db):
    return InboxFactory(
        kind="whatsapp",
        name="Shop WhatsApp",
        config={
            "from": "+33700000002",
            "templates": [
                {"name": "order_update", "content_sid": "HX" + "a" * 32, "label": "Order update"}
            ],
        },
    )


def sms_fields(**overrides: str) -> dict[str, str]:
    """An inbound message webhook as Twilio documents it."""
    sid = "SM" + uuid.uuid4().hex
    fields = {
        "ToCountry": "FR",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": "Hello, where is my order #1001?",
        "FromCountry": "FR",
        "To": "+33700000001",
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": "+33612345678",
        "ApiVersion": "2010-04-01",
    }
    fields.update(overrides)
    return fields


def sign(path: str, fields: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(PUBLIC_URL + path, fields)


def post_signed(client, path: str, fields: dict[str, str], signature: str | None = None):
    """Post a webhook as Twilio does, then run what it queued on commit (its receipt)."""
    headers = {}
    signature = sign(path, fields) if signature is None else signature
    if signature:
        headers["HTTP_X_TWILIO_SIGNATURE"] = signature
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            path, urlencode(fields), content_type="application/x-www-form-urlencoded", **headers
        )
