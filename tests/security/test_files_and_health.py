"""Attachments never render in the helpdesk's origin, their names cannot lie, and /healthz
tells details to staff and local probes only."""

from __future__ import annotations

import pytest
from django.core import signing
from django.test import Client

from channels_in.base import InboundAttachment, InboundMessage, Sender
from channels_in.twilio.constants import MEDIA_SALT
from helpdesk.security.files import safe_filename
from helpdesk.tickets.models import Attachment, Direction, Message
from helpdesk.tickets.services import message_receive
from tests.factories import AgentFactory, InboxFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
HTML = b"<html><script>alert(document.cookie)</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
RLO = "\u202e"


def receive(*attachments: InboundAttachment) -> list[Attachment]:
    inbox = InboxFactory(kind="email", config={"address": "support@shop.test"})
    result = message_receive(
        inbound=InboundMessage(
            inbox_id=inbox.pk,
            sender=Sender(kind="email", address="buyer@example.test"),
            text="see attached",
            external_id="m-1",
            attachments=attachments,
        )
    )
    return list(result.message.attachments.order_by("pk"))


@pytest.fixture
def agent_client():
    client = Client()
    client.force_login(AgentFactory())
    return client


def stored():
    return receive(
        InboundAttachment("page.html", "text/html", HTML),
        InboundAttachment("logo.svg", "image/svg+xml", SVG),
        InboundAttachment("fake.png", "text/html", PNG),  # a name that says image
        InboundAttachment("photo.png", "image/png", PNG),
        InboundAttachment(f"invoice{RLO}gpj.exe", "application/octet-stream", b"MZ"),
    )


@pytest.mark.parametrize("prefix", ["/inbox/attachments/", "/email/attachments/"])
def test_html_and_svg_are_always_downloads(agent_client, prefix):
    html, svg, fake, photo, _exe = stored()
    for attachment in (html, svg, fake):
        response = agent_client.get(f"{prefix}{attachment.pk}/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
    if prefix == "/email/attachments/":
        shown = agent_client.get(f"{prefix}{photo.pk}/")
        assert shown["Content-Type"] == "image/png"
        assert shown["Content-Disposition"].startswith("inline;")


def test_twilio_media_links_never_serve_html_or_svg(client):
    html, svg, _fake, photo, _exe = stored()
    Message.objects.filter(pk=html.message_id).update(direction=Direction.OUTBOUND)

    def url(attachment: Attachment) -> str:
        index = list(Attachment.objects.filter(message_id=attachment.message_id).order_by("pk"))
        token = signing.dumps(
            {"m": attachment.message_id, "i": index.index(attachment)}, salt=MEDIA_SALT
        )
        return f"/hooks/twilio/media/{token}/"

    for attachment in (html, svg):
        response = client.get(url(attachment))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment;")
    media = client.get(url(photo))
    assert media["Content-Type"] == "image/png"  # Twilio needs the real type of an image


def test_right_to_left_overrides_are_neutralised_in_file_names(agent_client):
    *_others, exe = stored()
    assert exe.filename == "invoicegpj.exe"
    response = agent_client.get(f"/inbox/attachments/{exe.pk}/")
    assert RLO not in response["Content-Disposition"]
    assert "%E2%80%AE" not in response["Content-Disposition"].upper()
    # A name stored before is cleaned when served.
    Attachment.objects.filter(pk=exe.pk).update(filename=f"old{RLO}fdp.exe")
    response = agent_client.get(f"/inbox/attachments/{exe.pk}/")
    assert "oldfdp.exe" in response["Content-Disposition"]


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        (f"report{RLO}fdp.scr", "reportfdp.scr"),
        ("a\u2066b\u2069c\u200f.txt", "abc.txt"),
        ("../../etc/passwd", "_.._etc_passwd"),
        ("tab\there\x00.txt", "tabhere.txt"),
        ("", "attachment"),
        ("résumé.pdf", "résumé.pdf"),
        ("فاتورة.pdf", "فاتورة.pdf"),
    ],
)
def test_safe_filename(name, clean):
    assert safe_filename(name) == clean


def test_healthz_public_answer_is_only_ok_or_not(client):
    response = client.get("/healthz", REMOTE_ADDR="203.0.113.4")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_details_for_loopback_and_staff(client):
    assert set(client.get("/healthz").json()["checks"]) == {"database", "channel_layer", "broker"}
    client.force_login(AgentFactory())
    body = client.get("/healthz", REMOTE_ADDR="203.0.113.4").json()
    assert set(body["checks"]) == {"database", "channel_layer", "broker"}


def test_healthz_public_failure_says_not_ok_without_details(client, monkeypatch):
    from django.db import connection

    def broken(*args, **kwargs):
        raise ConnectionError("password authentication failed for user admin at db.internal")

    monkeypatch.setattr(connection, "cursor", broken)
    response = client.get("/healthz", REMOTE_ADDR="203.0.113.4")
    assert response.status_code == 503
    assert response.json() == {"status": "error"}
