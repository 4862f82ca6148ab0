"""Twilio webhooks through the ASGI application daphne serves, not the test client's handler."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from asgiref.sync import SyncToAsync, async_to_sync
from channels.testing import HttpCommunicator

from helpdesk.contacts.models import ContactIdentity
from helpdesk.tickets.models import (
    AuthorType,
    DeliveryState,
    Direction,
    Message,
    MessageKind,
    RawInbound,
    Ticket,
)
from tests.channels_in.twilio.conftest import ACCOUNT_SID, sign, sms_fields
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)


def post(path: str, fields: dict[str, str], signature: str | None = None) -> dict:
    from helpdesk.asgi import application

    signature = sign(path, fields) if signature is None else signature
    headers = [
        (b"host", b"help.shop.test"),
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"x-twilio-signature", signature.encode()),
    ]
    body = urlencode(fields).encode()

    async def exchange() -> dict:
        communicator = HttpCommunicator(application, "POST", path, body=body, headers=headers)
        response = await communicator.get_response(timeout=20)
        await communicator.wait(timeout=20)
        response["headers"] = {k.decode().lower(): v.decode() for k, v in response["headers"]}
        return response

    return async_to_sync(exchange)()


def hook(inbox) -> str:
    return f"/hooks/twilio/{inbox.webhook_key}/"


def test_a_signed_sms_is_stored_and_the_middleware_still_apply(sms_inbox, fake_twilio):
    fields = sms_fields()
    response = post(hook(sms_inbox), fields)

    assert response["status"] == 200
    assert response["headers"]["content-type"] == "text/xml"
    assert response["body"].startswith(b"<?xml")
    # SecurityMiddleware and XFrameOptionsMiddleware ran on the way out.
    assert response["headers"]["x-content-type-options"] == "nosniff"
    assert response["headers"]["x-frame-options"] == "DENY"
    message = Message.objects.get()
    assert message.external_id == fields["MessageSid"]
    assert message.identity.address == "+33612345678"
    assert RawInbound.objects.count() == 1


def test_a_forged_signature_is_refused_with_nothing_stored(sms_inbox, fake_twilio):
    response = post(hook(sms_inbox), sms_fields(), signature="forged")

    assert response["status"] == 403
    assert b"Signature" in response["body"]
    assert not Message.objects.exists()
    assert not RawInbound.objects.exists()
    assert not Ticket.objects.exists()


def test_a_repeated_message_sid_is_stored_once_and_answered_200_twice(sms_inbox, fake_twilio):
    fields = sms_fields()
    assert post(hook(sms_inbox), fields)["status"] == 200
    assert post(hook(sms_inbox), fields)["status"] == 200

    assert Message.objects.filter(external_id=fields["MessageSid"]).count() == 1
    assert Ticket.objects.count() == 1
    assert RawInbound.objects.count() == 1


def test_stop_then_start_is_recorded_on_the_phone_number(sms_inbox, fake_twilio):
    assert post(hook(sms_inbox), sms_fields(Body="STOP"))["status"] == 200
    identity = ContactIdentity.objects.get(kind="phone", address="+33612345678")
    assert identity.opted_out_at is not None
    assert Message.objects.get().text == "STOP"

    assert post(hook(sms_inbox), sms_fields(Body="start"))["status"] == 200
    identity.refresh_from_db()
    assert identity.opted_out_at is None


def test_status_callbacks_move_the_delivery_state_forward_only(sms_inbox, fake_twilio):
    ticket = TicketFactory(inbox=sms_inbox)
    reply = Message.objects.create(
        ticket=ticket,
        inbox=sms_inbox,
        direction=Direction.OUTBOUND,
        kind=MessageKind.MESSAGE,
        author_type=AuthorType.AGENT,
        text="It left our warehouse today.",
        external_id="SM" + "c" * 32,
        delivery_state=DeliveryState.QUEUED,
    )
    path = f"/hooks/twilio/status/{sms_inbox.pk}/"
    callback = {"MessageSid": reply.external_id, "AccountSid": ACCOUNT_SID}

    assert post(path, {**callback, "MessageStatus": "delivered"})["status"] == 204
    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.DELIVERED

    assert post(path, {**callback, "MessageStatus": "sent"})["status"] == 204
    forged = post(path, {**callback, "MessageStatus": "failed"}, signature="forged")
    assert forged["status"] == 403
    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.DELIVERED


def test_middleware_and_view_run_in_one_hop_to_the_worker_thread(
    sms_inbox, fake_twilio, monkeypatch
):
    """Each hop between the event loop and a worker thread costs CPU on every request."""
    hops: list[str] = []
    original = SyncToAsync.__call__

    async def counting(self, *args, **kwargs):
        hops.append(getattr(self.func, "__qualname__", repr(self.func)))
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counting)
    assert post(hook(sms_inbox), sms_fields())["status"] == 200

    # request_started, the middleware chain with the view, and closing the response (which
    # sends request_finished): nothing per middleware.
    assert len(hops) == 3, hops
    assert Message.objects.count() == 1
