"""The widget tells the visitor what really happened, and the inbox's admin page tells the shop
which pages were refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.utils.translation import override

from channels_in.webchat.views import widget_strings
from channels_in.webchat.visitors import customer_signature
from tests.channels_in.webchat.test_widget_consumer import ORIGIN, say, socket, start
from tests.factories import InboxFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def inbox(db):
    return InboxFactory(kind="webchat", name="Site chat", config={"allowed_origins": [ORIGIN]})


def test_every_error_the_widget_can_receive_has_its_own_words():
    source = (ROOT / "channels_in/webchat/consumers.py").read_text()
    source += (ROOT / "channels_in/webchat/adapter.py").read_text()
    codes = set(re.findall(r'_error\(\s*"([a-z_]+)"', source))
    codes |= set(re.findall(r'RejectedInput\(\s*"([a-z_]+)"', source))
    assert {"origin_refused", "customer_signature_invalid", "too_long"} <= codes
    for language in ("en", "fr"):
        with override(language):
            strings = widget_strings()
        # Errors a visitor's browser can never cause (a frame the widget never sends) fall
        # back to the generic words; every other one is named.
        protocol_only = {
            "bad_json",
            "hello_first",
            "unknown_type",
            "already_started",
            "text_frames_only",
        }
        missing = codes - set(strings) - protocol_only
        assert not missing, (language, missing)
    with override("en"):
        strings = widget_strings()
    # A message stored as a guest's was sent: the widget must not say it was not.
    assert "could not be sent" not in strings["customer_signature_invalid"]
    assert "as a guest" in strings["customer_signature_invalid"]
    assert "kept" in strings["origin_refused"]


async def test_a_refused_origin_is_remembered_for_the_inbox_admin(inbox, admin_client):
    for origin in ("https://new-domain.test", "https://new-domain.test", "http://shop.test"):
        comm = socket(inbox, origin=origin)
        await comm.connect()
        assert (await comm.receive_json_from())["error"] == "origin_refused"
        await comm.wait()

    page = await sync_to_async(admin_client.get)(f"/admin/tickets/inbox/{inbox.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Refused origins" in body
    assert "<code>https://new-domain.test</code>" in body
    assert body.count("https://new-domain.test</code>") == 1
    assert "<code>http://shop.test</code>" in body


async def test_a_customer_signing_in_keeps_the_chat_they_had_as_a_guest(inbox, settings):
    settings.WEBCHAT_IDENTITY_SECRET = "shop-shared-secret"
    guest, welcome = await start(inbox)
    await say(guest, "Before signing in: is #1001 shipped?", "g-1")
    await guest.disconnect()

    signature = customer_signature(customer_id="7", email="jo@example.test")
    customer = {"id": "7", "email": "jo@example.test", "signature": signature}
    # The same browser (its visitor cookie) now signed in by the shop.
    comm, signed = await start(inbox, visitor=welcome["visitor"], customer=customer)
    assert signed["verified"] is True
    assert [m["text"] for m in signed["messages"]] == ["Before signing in: is #1001 shipped?"]
    await say(comm, "Now signed in", "c-1")
    await comm.disconnect()

    # On another device, signed in, the customer's own conversation is there; the guest's
    # chat of the other browser is not (nothing proves it was theirs there).
    other, elsewhere = await start(inbox, customer=customer)
    assert [m["text"] for m in elsewhere["messages"]] == ["Now signed in"]
    # A new guest in the first browser (the customer signed out, the shop dropped the
    # cookie) sees neither conversation.
    stranger, seen = await start(inbox)
    assert seen["messages"] == []
    await other.disconnect()
    await stranger.disconnect()
