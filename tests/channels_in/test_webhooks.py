"""The one webhook decorator: each step refuses with its status and its reason, in order."""

from __future__ import annotations

import json

import pytest
from django.test import RequestFactory

from channels_in.webhooks import Webhook, adapter_parse, inbox_for_key, inbox_webhook
from helpdesk.contracts import RejectedInput
from tests.factories import InboxFactory

pytestmark = pytest.mark.django_db

SECRET = "telegram-secret-token"
calls: list[Webhook] = []


@inbox_webhook("telegram", name="Test", content_type="application/json", parse=adapter_parse)
def hook_view(request, hook: Webhook, extra: str = ""):
    from django.http import HttpResponse

    calls.append(hook)
    if extra == "refuse":
        raise RejectedInput("The view refuses this one.", status=422)
    return HttpResponse(f"{len(hook.payload)} message(s) {extra}")


UPDATE = {
    "update_id": 1,
    "message": {
        "message_id": 7,
        "date": 1_700_000_000,
        "chat": {"id": 42, "type": "private"},
        "from": {"id": 42, "is_bot": False, "first_name": "Ana"},
        "text": "Hello",
    },
}


@pytest.fixture
def inbox(settings):
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET
    calls.clear()
    return InboxFactory(kind="telegram", name="Telegram")


def post(key, body=UPDATE, *, secret=SECRET, content_type="application/json", **kwargs):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    request = RequestFactory().post(
        "/x/", data, content_type=content_type, HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=secret
    )
    return hook_view(request, webhook_key=key, **kwargs)


def text(response) -> str:
    return response.content.decode()


def test_a_checked_request_reaches_the_view_with_its_inbox_adapter_and_payload(inbox):
    response = post(inbox.webhook_key, extra="ok")
    assert (response.status_code, text(response)) == (200, "1 message(s) ok")
    (hook,) = calls
    assert hook.inbox == inbox
    assert hook.adapter.kind == "telegram"
    assert hook.payload[0].text == "Hello"


def test_only_the_accepted_methods(inbox):
    request = RequestFactory().get("/x/")
    response = hook_view(request, webhook_key=inbox.webhook_key)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "POST" in text(response)


@pytest.mark.parametrize("key", ["unknown", "", "a\x00b"])
def test_an_address_naming_no_inbox_is_404_with_a_reason(inbox, key):
    response = post(key)
    assert response.status_code == 404
    assert text(response) == "No Test inbox at this address."
    assert not calls


def test_a_disabled_inbox_or_one_of_another_kind_is_404(inbox):
    other = InboxFactory(kind="sms", name="SMS")
    assert post(other.webhook_key).status_code == 404
    inbox.enabled = False
    inbox.save(update_fields=["enabled"])
    assert post(inbox.webhook_key).status_code == 404
    assert not calls


def test_another_content_type_is_415(inbox):
    response = post(inbox.webhook_key, "a=1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert "application/json" in text(response)


def test_a_failed_verification_is_refused_with_its_reason(inbox, settings):
    response = post(inbox.webhook_key, secret="wrong")
    assert (response.status_code, text(response)) == (
        403,
        "Invalid X-Telegram-Bot-Api-Secret-Token.",
    )
    settings.TELEGRAM_WEBHOOK_SECRET = ""
    assert text(post(inbox.webhook_key)) == "Telegram is not configured here."
    assert not calls


def test_a_body_that_does_not_parse_is_400_with_its_reason(inbox):
    response = post(inbox.webhook_key, b"{not json")
    assert response.status_code == 400
    assert text(response)
    assert not calls


def test_a_refusal_from_the_view_itself_keeps_its_status(inbox):
    response = post(inbox.webhook_key, extra="refuse")
    assert (response.status_code, text(response)) == (422, "The view refuses this one.")


def test_remembered_inboxes_are_read_once_per_ttl(inbox, django_assert_num_queries):
    from channels_in import webhooks

    webhooks._webhook_inboxes.clear()
    try:
        with django_assert_num_queries(1):
            for _ in range(3):
                found = inbox_for_key(
                    webhook_key=inbox.webhook_key, kinds=["telegram"], remember=True
                )
                assert found == inbox
        with django_assert_num_queries(3):
            for _ in range(3):
                assert inbox_for_key(webhook_key=inbox.webhook_key, kinds=["telegram"]) == inbox
    finally:
        webhooks._webhook_inboxes.clear()


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/hooks/telegram/nope/", 404),
        ("/hooks/twilio/nope/", 404),
        ("/hooks/twilio/status/999999/", 404),
        ("/email/inbound/postmark/nope/", 404),
    ],
)
def test_every_inbound_webhook_refuses_through_the_decorator(client, url, status):
    response = client.post(url, "x=1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == status
    assert b"inbox at this address" in response.content
