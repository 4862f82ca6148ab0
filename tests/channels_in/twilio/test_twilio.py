from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from helpdesk.channels import get_adapter
from helpdesk.contacts.models import ContactIdentity
from helpdesk.tickets.models import DeliveryState, Message, RawInbound, RawStatus, Ticket
from helpdesk.tickets.services import message_reply
from tests.channels_in.twilio.conftest import ACCOUNT_SID, post_signed, sign, sms_fields

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def hook(inbox) -> str:
    return f"/hooks/twilio/{inbox.webhook_key}/"


def test_a_signed_sms_lands_in_a_ticket_with_its_raw_payload(client, sms_inbox, fake_twilio):
    fields = sms_fields()
    response = post_signed(client, hook(sms_inbox), fields)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml"
    message = Message.objects.get()
    assert message.external_id == fields["MessageSid"]
    assert message.text == "Hello, where is my order #1001?"
    assert message.identity.kind == "phone"
    assert message.identity.address == "+33612345678"
    assert message.ticket.inbox == sms_inbox
    raw = RawInbound.objects.get()
    assert bytes(raw.payload).startswith(b"ToCountry=FR")
    assert raw.status == RawStatus.ACCEPTED
    assert raw.external_id == fields["MessageSid"]
    assert message.raw == raw


@pytest.mark.parametrize(
    "signature",
    ["", "forged", "use-other-token", "use-other-url"],
)
def test_missing_or_forged_signature_is_refused_and_nothing_stored(
    client, sms_inbox, fake_twilio, signature
):
    fields = sms_fields()
    if signature == "use-other-token":
        signature = sign(hook(sms_inbox), fields, token="someone-elses-token")
    elif signature == "use-other-url":
        signature = sign("/hooks/twilio/another-inbox/", fields)
    response = post_signed(client, hook(sms_inbox), fields, signature=signature)

    assert response.status_code == 403
    assert "Signature" in response.content.decode()
    assert not Message.objects.exists()
    assert not RawInbound.objects.exists()


def test_tampered_body_fails_the_signature(client, sms_inbox, fake_twilio):
    fields = sms_fields()
    signature = sign(hook(sms_inbox), fields)
    fields["Body"] = "Refund me 1000 EUR"
    assert post_signed(client, hook(sms_inbox), fields, signature=signature).status_code == 403
    assert not Message.objects.exists()


def test_a_repeated_message_sid_is_stored_once_and_answered_200_twice(
    client, sms_inbox, fake_twilio
):
    fields = sms_fields()
    assert post_signed(client, hook(sms_inbox), fields).status_code == 200
    assert post_signed(client, hook(sms_inbox), fields).status_code == 200
    assert Message.objects.count() == 1
    assert Ticket.objects.count() == 1
    assert RawInbound.objects.get().status == RawStatus.ACCEPTED


def test_malformed_payload_is_refused_with_a_reason(client, sms_inbox, fake_twilio):
    fields = sms_fields()
    del fields["MessageSid"], fields["SmsMessageSid"]
    response = post_signed(client, hook(sms_inbox), fields)
    assert response.status_code == 400
    assert "MessageSid" in response.content.decode()
    assert not Message.objects.exists()


def test_unknown_webhook_key_is_404(client, sms_inbox, fake_twilio):
    assert post_signed(client, "/hooks/twilio/nope/", sms_fields()).status_code == 404


def test_a_disabled_inbox_is_refused_once_the_read_inbox_expires(
    client, sms_inbox, fake_twilio, monkeypatch
):
    from channels_in import webhooks

    assert post_signed(client, hook(sms_inbox), sms_fields()).status_code == 200
    sms_inbox.enabled = False
    sms_inbox.save(update_fields=["enabled"])
    # Within WEBHOOK_INBOX_TTL the process still answers from what it read.
    assert post_signed(client, hook(sms_inbox), sms_fields()).status_code == 200
    monkeypatch.setattr(webhooks, "WEBHOOK_INBOX_TTL", 0.0)
    webhooks._webhook_inboxes.clear()
    assert post_signed(client, hook(sms_inbox), sms_fields()).status_code == 404
    assert Message.objects.count() == 2


def test_mms_media_are_fetched_through_the_api_and_stored(client, sms_inbox, fake_twilio):
    fields = sms_fields(NumMedia="2", Body="Broken on arrival")
    sid = fields["MessageSid"]
    fields["MediaUrl0"] = fake_twilio.add_media("image/png", PNG, sid)
    fields["MediaContentType0"] = "image/png"
    fields["MediaUrl1"] = fake_twilio.add_media("application/pdf", b"%PDF-1.4 invoice", sid)
    fields["MediaContentType1"] = "application/pdf"

    assert post_signed(client, hook(sms_inbox), fields).status_code == 200

    attachments = sorted(Message.objects.get().attachments.all(), key=lambda a: a.content_type)
    assert [a.content_type for a in attachments] == ["application/pdf", "image/png"]
    assert attachments[1].file.read() == PNG
    assert attachments[1].filename.endswith(".png")
    assert attachments[0].size == len(b"%PDF-1.4 invoice")


def test_a_redelivered_mms_is_answered_200_without_fetching_its_media_again(
    client, sms_inbox, fake_twilio
):
    fields = sms_fields(NumMedia="1", MediaContentType0="image/png")
    fields["MediaUrl0"] = fake_twilio.add_media("image/png", PNG, fields["MessageSid"])

    assert post_signed(client, hook(sms_inbox), fields).status_code == 200
    assert post_signed(client, hook(sms_inbox), fields).status_code == 200

    assert len([r for r in fake_twilio.requests if "media" in r]) == 1
    assert Message.objects.get().attachments.count() == 1


def test_media_from_elsewhere_is_refused_when_received_and_the_payload_kept(
    client, sms_inbox, fake_twilio
):
    fields = sms_fields(NumMedia="1", MediaUrl0="http://169.254.169.254/latest/meta-data")
    response = post_signed(client, hook(sms_inbox), fields)
    # Media are fetched by the worker, after Twilio has its answer.
    assert response.status_code == 200
    assert not Message.objects.exists()
    raw = RawInbound.objects.get()
    assert raw.status == RawStatus.REJECTED
    assert raw.error == "MediaUrl0 is not a Twilio media address."
    assert raw.external_id == fields["MessageSid"]


def test_oversized_media_is_refused_when_received(client, sms_inbox, fake_twilio, settings):
    settings.TWILIO_MEDIA_MAX_BYTES = 10
    fields = sms_fields(NumMedia="1", MediaContentType0="image/png")
    fields["MediaUrl0"] = fake_twilio.add_media("image/png", PNG, fields["MessageSid"])
    assert post_signed(client, hook(sms_inbox), fields).status_code == 200
    assert not Message.objects.exists()
    raw = RawInbound.objects.get()
    assert raw.status == RawStatus.REJECTED
    assert raw.error == "Media 0 is larger than 10 bytes."


def test_reply_goes_out_through_the_sdk_and_status_callbacks_move_its_state(
    client, sms_inbox, fake_twilio, agent, django_capture_on_commit_callbacks
):
    post_signed(client, hook(sms_inbox), sms_fields())
    ticket = Ticket.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        reply = message_reply(ticket=ticket, author=agent, text="It left our warehouse today.")

    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.SENT
    assert len(fake_twilio.sent) == 1
    sent = fake_twilio.sent[0]
    assert sent["To"] == "+33612345678"
    assert sent["From"] == "+33700000001"
    assert sent["Body"] == "It left our warehouse today."
    status_path = f"/hooks/twilio/status/{sms_inbox.pk}/"
    assert sent["StatusCallback"] == "https://help.shop.test" + status_path
    assert reply.external_id == sent["sid"]

    callback = {
        "MessageSid": sent["sid"],
        "SmsSid": sent["sid"],
        "AccountSid": ACCOUNT_SID,
        "From": "+33700000001",
        "To": "+33612345678",
        "ApiVersion": "2010-04-01",
    }
    assert (
        post_signed(
            client, status_path, {**callback, "MessageStatus": "sent", "SmsStatus": "sent"}
        ).status_code
        == 204
    )
    assert (
        post_signed(
            client,
            status_path,
            {**callback, "MessageStatus": "delivered", "SmsStatus": "delivered"},
        ).status_code
        == 204
    )
    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.DELIVERED
    # A late "sent" never moves it back.
    post_signed(client, status_path, {**callback, "MessageStatus": "sent", "SmsStatus": "sent"})
    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.DELIVERED

    # A forged callback is refused and changes nothing.
    forged = {**callback, "MessageStatus": "failed", "ErrorCode": "30007"}
    assert post_signed(client, status_path, forged, signature="forged").status_code == 403
    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.DELIVERED


def fetch_media(client, url: str):
    assert url.startswith("https://help.shop.test/hooks/twilio/media/")
    return client.get(url.removeprefix("https://help.shop.test"))


def test_reply_attachments_go_as_signed_media_urls_twilio_can_fetch(
    client, sms_inbox, fake_twilio, agent, django_capture_on_commit_callbacks
):
    post_signed(client, hook(sms_inbox), sms_fields())
    ticket = Ticket.objects.get()
    files = (("label.png", "image/png", PNG), ("invoice.pdf", "application/pdf", b"%PDF-1.4 x"))
    with django_capture_on_commit_callbacks(execute=True):
        reply = message_reply(ticket=ticket, author=agent, text="Here it is.", files=files)

    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.SENT
    [sent] = fake_twilio.sent
    assert sent["Body"] == "Here it is."
    assert len(sent["media"]) == 2
    for url, (_name, content_type, content) in zip(sent["media"], files, strict=True):
        response = fetch_media(client, url)
        assert response.status_code == 200
        assert response["Content-Type"] == content_type
        assert b"".join(response.streaming_content) == content

    # A tampered address, or one naming a customer's own upload, serves nothing.
    token = sent["media"][0].rstrip("/").rsplit("/", 1)[1]
    assert (
        fetch_media(client, sent["media"][0].replace(token, token[:-2] + "xx")).status_code == 404
    )
    post_signed(
        client,
        hook(sms_inbox),
        sms_fields(
            NumMedia="1",
            MediaContentType0="image/png",
            MediaUrl0=fake_twilio.add_media("image/png", PNG, "MM" + "1" * 32),
        ),
    )
    inbound = Message.objects.filter(direction="in").exclude(attachments=None).get()
    from channels_in.twilio.adapter import outbound_media_url

    forged = outbound_media_url(message_id=inbound.pk, index=0)
    assert fetch_media(client, forged).status_code == 404


def test_whatsapp_sends_one_media_per_message_text_first(
    client, whatsapp_inbox, fake_twilio, agent, django_capture_on_commit_callbacks
):
    post_signed(client, hook(whatsapp_inbox), whatsapp_fields())
    ticket = Ticket.objects.get()
    files = (("a.png", "image/png", PNG), ("b.png", "image/png", PNG + b"b"))
    with django_capture_on_commit_callbacks(execute=True):
        reply = message_reply(ticket=ticket, author=agent, text="Two photos")
    assert [s["media"] for s in fake_twilio.sent] == [[]]
    fake_twilio.sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reply = message_reply(ticket=ticket, author=agent, text="Two photos", files=files)
    first, second = fake_twilio.sent
    assert first["Body"] == "Two photos" and len(first["media"]) == 1
    assert "Body" not in second and len(second["media"]) == 1
    reply.refresh_from_db()
    assert reply.external_id == first["sid"]
    assert b"".join(fetch_media(client, second["media"][0]).streaming_content) == PNG + b"b"

    # The text went but a later media was refused: failed for good, never sent twice.
    fake_twilio.fail_next = [None, (400, 21620, "Invalid media URL(s)")]
    with django_capture_on_commit_callbacks(execute=True):
        partial = message_reply(ticket=ticket, author=agent, text="Again", files=files)
    partial.refresh_from_db()
    assert partial.delivery_state == DeliveryState.FAILED
    assert "Only the first 1 part(s) were sent, then: Twilio 400" in partial.delivery_error
    assert partial.delivery_attempts == 1


def test_undelivered_callback_records_the_error_code(
    client, sms_inbox, fake_twilio, agent, django_capture_on_commit_callbacks
):
    post_signed(client, hook(sms_inbox), sms_fields())
    with django_capture_on_commit_callbacks(execute=True):
        reply = message_reply(ticket=Ticket.objects.get(), author=agent, text="Hi")
    reply.refresh_from_db()
    fields = {
        "MessageSid": reply.external_id,
        "AccountSid": ACCOUNT_SID,
        "MessageStatus": "undelivered",
        "ErrorCode": "30007",
    }
    # Status callbacks also arrive on the inbox's main webhook when set on the number.
    assert post_signed(client, hook(sms_inbox), fields).status_code == 200
    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.FAILED
    assert reply.delivery_error.startswith("30007")
    assert Message.objects.filter(direction="in").count() == 1


def test_permanent_error_fails_at_once_and_transient_error_is_retried(
    client, sms_inbox, fake_twilio, agent, django_capture_on_commit_callbacks
):
    post_signed(client, hook(sms_inbox), sms_fields())
    ticket = Ticket.objects.get()
    fake_twilio.fail_next.append((400, 21211, "The 'To' number is not a valid phone number."))
    with django_capture_on_commit_callbacks(execute=True):
        bad = message_reply(ticket=ticket, author=agent, text="one")
    bad.refresh_from_db()
    assert bad.delivery_state == DeliveryState.FAILED
    assert bad.delivery_error.startswith("21211")
    assert bad.delivery_attempts == 1

    fake_twilio.fail_next.append((503, 20500, "Service unavailable"))
    with django_capture_on_commit_callbacks(execute=True):
        later = message_reply(ticket=ticket, author=agent, text="two")
    later.refresh_from_db()
    assert later.delivery_state == DeliveryState.QUEUED
    assert later.next_attempt_at is not None
    assert "503" in later.delivery_error
    assert len(fake_twilio.sent) == 0


@pytest.mark.parametrize("word", ["STOP", "arret", "Arrêt"])
def test_stop_opts_out_and_replies_are_not_sent_until_start(
    client, sms_inbox, fake_twilio, agent, django_capture_on_commit_callbacks, word
):
    post_signed(client, hook(sms_inbox), sms_fields(Body=word))
    identity = ContactIdentity.objects.get(kind="phone", address="+33612345678")
    assert identity.opted_out_at is not None
    ticket = Ticket.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        refused = message_reply(ticket=ticket, author=agent, text="Are you sure?")
    refused.refresh_from_db()
    assert refused.delivery_state == DeliveryState.FAILED
    assert "opted out" in refused.delivery_error
    assert fake_twilio.sent == []

    post_signed(client, hook(sms_inbox), sms_fields(Body="START"))
    identity.refresh_from_db()
    assert identity.opted_out_at is None
    with django_capture_on_commit_callbacks(execute=True):
        message_reply(ticket=ticket, author=agent, text="Welcome back")
    assert [m["Body"] for m in fake_twilio.sent] == ["Welcome back"]


def test_a_sentence_containing_stop_is_not_an_opt_out(client, sms_inbox, fake_twilio):
    post_signed(client, hook(sms_inbox), sms_fields(Body="Please stop the delivery"))
    assert ContactIdentity.objects.get(kind="phone").opted_out_at is None


def test_without_credentials_replies_wait_in_the_outbox(
    client, sms_inbox, fake_twilio, agent, django_capture_on_commit_callbacks, settings
):
    post_signed(client, hook(sms_inbox), sms_fields())
    settings.TWILIO_AUTH_TOKEN = ""
    with django_capture_on_commit_callbacks(execute=True):
        reply = message_reply(ticket=Ticket.objects.get(), author=agent, text="Hi")
    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.OUTBOX
    assert fake_twilio.sent == []
    # And an unconfigured helpdesk cannot check signatures: it refuses webhooks.
    assert post_signed(client, hook(sms_inbox), sms_fields()).status_code == 403


def whatsapp_fields(**overrides):
    return sms_fields(
        From="whatsapp:+33698765432",
        To="whatsapp:+33700000002",
        ProfileName="Camille",
        WaId="33698765432",
        **overrides,
    )


def test_whatsapp_message_with_image_and_reply_inside_the_window(
    client, whatsapp_inbox, fake_twilio, agent, django_capture_on_commit_callbacks
):
    fields = whatsapp_fields(NumMedia="1", MediaContentType0="image/jpeg", Body="")
    fields["MediaUrl0"] = fake_twilio.add_media(
        "image/jpeg", b"\xff\xd8\xff jpeg", fields["MessageSid"]
    )
    assert post_signed(client, hook(whatsapp_inbox), fields).status_code == 200

    message = Message.objects.get()
    assert message.identity.kind == "whatsapp"
    assert message.identity.address == "+33698765432"
    assert message.identity.display_name == "Camille"
    assert message.attachments.get().content_type == "image/jpeg"

    with django_capture_on_commit_callbacks(execute=True):
        message_reply(ticket=message.ticket, author=agent, text="We are on it")
    assert fake_twilio.sent[0]["To"] == "whatsapp:+33698765432"
    assert fake_twilio.sent[0]["From"] == "whatsapp:+33700000002"


def test_whatsapp_outside_the_window_offers_templates_and_sends_one(
    client, whatsapp_inbox, fake_twilio, agent, django_capture_on_commit_callbacks
):
    post_signed(client, hook(whatsapp_inbox), whatsapp_fields())
    ticket = Ticket.objects.get()
    identity = Message.objects.get().identity
    adapter = get_adapter("whatsapp")
    assert adapter.reply_window(identity=identity, config=whatsapp_inbox.config).open
    Message.objects.update(created_at=timezone.now() - timedelta(hours=25))

    window = adapter.reply_window(identity=identity, config=whatsapp_inbox.config)
    assert not window.open
    assert [t["name"] for t in window.templates] == ["order_update"]
    metadata = adapter.template_metadata(template=window.templates[0], variables={"1": "#1001"})
    with django_capture_on_commit_callbacks(execute=True):
        sent = message_reply(ticket=ticket, text="Order update", author=agent, metadata=metadata)
    sent.refresh_from_db()
    assert sent.delivery_state == DeliveryState.SENT
    form = fake_twilio.sent[0]
    assert form["ContentSid"] == "HX" + "a" * 32
    assert form["ContentVariables"] == '{"1": "#1001"}'
    assert "Body" not in form


def test_whatsapp_window_error_from_twilio_is_permanent_with_a_clear_reason(
    client, whatsapp_inbox, fake_twilio, agent, django_capture_on_commit_callbacks
):
    post_signed(client, hook(whatsapp_inbox), whatsapp_fields())
    fake_twilio.fail_next.append((400, 63016, "Failed to send freeform message"))
    with django_capture_on_commit_callbacks(execute=True):
        reply = message_reply(ticket=Ticket.objects.get(), author=agent, text="late")
    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.FAILED
    assert "24 hours" in reply.delivery_error
