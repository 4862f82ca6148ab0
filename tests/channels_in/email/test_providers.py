"""Provider inbound webhooks (django-anymail): real payload formats, real authentication."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time

import pytest

from helpdesk.tickets.models import Message
from tests.channels_in.email.mails import build_mail

pytestmark = pytest.mark.django_db

SECRET = "hook-user:hook-password"
SIGNING_KEY = "key-mailgun-signing-test"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}


def auth(secret=SECRET):
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def mailgun_signed(fields: dict, key: str = SIGNING_KEY) -> dict:
    timestamp, token = str(int(time.time())), secrets.token_hex(25)
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256)
    return {**fields, "timestamp": timestamp, "token": token, "signature": signature.hexdigest()}


def test_mailgun_signed_raw_mime_is_ingested_once(client, email_inbox):
    url = f"/email/inbound/mailgun/{email_inbox.webhook_key}/"
    raw = build_mail(subject="From Mailgun")
    fields = {"body-mime": raw.decode(), "recipient": "support@shop.test"}
    assert client.post(url, mailgun_signed(fields), **auth()).status_code == 200
    assert client.post(url, mailgun_signed(fields), **auth()).status_code == 200
    message = Message.objects.get()
    assert message.subject == "From Mailgun" and message.raw.source.startswith("mailgun:")
    forged = mailgun_signed(fields, key="guessed-key")
    assert client.post(url, forged, **auth()).status_code == 400


def test_postmark_json_with_raw_email(client, email_inbox):
    url = f"/email/inbound/postmark/{email_inbox.webhook_key}/"
    raw = build_mail(subject="From Postmark", sender="Zoé <zoe@example.test>")
    payload = {
        "From": "zoe@example.test",
        "FromFull": {"Email": "zoe@example.test", "Name": "Zoé"},
        "To": "support@shop.test",
        "ToFull": [{"Email": "support@shop.test", "Name": ""}],
        "Subject": "From Postmark",
        "MessageID": "22c74902-a0c1-4511-804f-341342852c90",
        "TextBody": "Order #1001 has not arrived.",
        "Headers": [],
        "Attachments": [],
        "RawEmail": raw.decode(),
    }
    response = client.post(url, json.dumps(payload), content_type="application/json", **auth())
    assert response.status_code == 200
    message = Message.objects.get()
    assert message.identity.address == "zoe@example.test"
    assert message.identity.display_name == "Zoé"


def test_forged_or_misaddressed_posts_are_refused(client, email_inbox, settings):
    raw = {"RawEmail": build_mail().decode(), "From": "jane@example.test", "Headers": []}
    good = f"/email/inbound/postmark/{email_inbox.webhook_key}/"

    def post(url, **extra):
        return client.post(url, json.dumps(raw), content_type="application/json", **extra)

    assert post(good, **auth("hook-user:wrong")).status_code == 400
    assert post(good).status_code == 400
    assert post("/email/inbound/postmark/not-a-key/", **auth()).status_code == 404
    assert post(f"/email/inbound/nope/{email_inbox.webhook_key}/", **auth()).status_code == 404
    # Mailgun without its signing key configured: refused, not accepted unsigned.
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    mailgun = f"/email/inbound/mailgun/{email_inbox.webhook_key}/"
    fields = mailgun_signed({"body-mime": raw["RawEmail"]}, key="")
    assert client.post(mailgun, fields, **auth()).status_code == 503
    settings.ANYMAIL = {}
    assert post(good, **auth()).status_code == 503
    assert Message.objects.count() == 0
