"""The site chat widget: visitors write over a WebSocket; replies go back over it.

Inbox configuration (``Inbox.config``):
- ``allowed_origins``: the shop's origins allowed to open the widget's WebSocket, e.g.
  ``["https://shop.example"]``;
- ``title``: the widget's heading (optional).

Outside the inbox's business hours (``Inbox.business_calendar``, holidays included) or with no
agent online, the widget asks for an email address.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from channels_in.base import (
    DeliveryError,
    InboundAttachment,
    InboundMessage,
    OutboundMessage,
    RejectedInput,
    Sender,
    SendResult,
)
from channels_in.webchat.services import webchat_agent_typing
from channels_in.webchat.visitors import visitor_group
from helpdesk.security.payloads import MalformedPayload, json_loads

# Image types the widget accepts, with the bytes they start with.
IMAGE_SIGNATURES = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}


def _origin(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(value)
    return f"{parts.scheme}://{parts.netloc}".lower()


class WebchatAdapter:
    kind = "webchat"

    def clean_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        cleaned = dict(config)
        try:
            cleaned["allowed_origins"] = [_origin(o) for o in cleaned.get("allowed_origins", [])]
        except (ValueError, AttributeError, TypeError):
            raise ValidationError(
                {"config": _("'allowed_origins' must list origins like https://shop.example.")}
            ) from None
        return cleaned

    def is_configured(self, config: Mapping[str, Any]) -> bool:
        return True

    def verify(self, request: HttpRequest, *, config: Mapping[str, Any]) -> None:
        raise RejectedInput("The chat widget only talks over its WebSocket.", status=405)

    def parse(
        self, payload: bytes, *, inbox_id: int, config: Mapping[str, Any]
    ) -> list[InboundMessage]:
        """A visitor's message as the widget consumer hands it over (JSON)."""
        try:
            # NUL characters cannot be stored: the text keeps everything else.
            data = json_loads(payload, strip_nul=True)
        except MalformedPayload:
            raise RejectedInput("Not JSON.") from None
        if not isinstance(data, dict):
            raise RejectedInput("Not a message.")
        text = data.get("text") or ""
        client_id = data.get("client_id")
        if (
            not isinstance(text, str)
            or not isinstance(client_id, str)
            or not (0 < len(client_id) <= 64)
        ):
            raise RejectedInput("A message needs text and a client_id.")
        if len(text) > settings.WEBCHAT_MAX_TEXT_CHARS:
            raise RejectedInput("too_long", status=413)
        attachments: tuple[InboundAttachment, ...] = ()
        if data.get("image"):
            attachments = (self._image(data["image"]),)
        if not text.strip() and not attachments:
            raise RejectedInput("empty")
        address = data["visitor"]
        language = data.get("language")
        metadata = {"page": str(data.get("page", ""))[:500]}
        quick_reply = data.get("quick_reply")
        if isinstance(quick_reply, str) and 0 < len(quick_reply) <= 64:
            metadata["quick_reply"] = quick_reply
        return [
            InboundMessage(
                inbox_id=inbox_id,
                sender=Sender(
                    kind="webchat",
                    address=address,
                    name=str(data.get("name", ""))[:200],
                    verified=bool(data.get("verified")),
                ),
                text=text,
                external_id=f"webchat:{address}:{client_id}",
                attachments=attachments,
                language=str(language) if language in {"en", "fr"} else "",
                source="webchat",
                metadata=metadata,
            )
        ]

    def _image(self, image: Any) -> InboundAttachment:
        if not isinstance(image, dict):
            raise RejectedInput("bad_image")
        content_type = str(image.get("type", ""))
        if content_type not in IMAGE_SIGNATURES:
            raise RejectedInput("bad_image", status=415)
        encoded = str(image.get("data", ""))
        if len(encoded) > settings.WEBCHAT_MAX_IMAGE_BYTES * 4 // 3 + 4:
            raise RejectedInput("too_large", status=413)
        try:
            content = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise RejectedInput("bad_image") from None
        if len(content) > settings.WEBCHAT_MAX_IMAGE_BYTES:
            raise RejectedInput("too_large", status=413)
        if not content.startswith(IMAGE_SIGNATURES[content_type]):
            raise RejectedInput("bad_image", status=415)
        name = str(image.get("name") or "image")[:100]
        return InboundAttachment(filename=name, content_type=content_type, content=content)

    def agent_typing(self, ticket: Any) -> None:
        """An agent is typing a reply: the ticket's visitors see it in their widget."""

        webchat_agent_typing(ticket=ticket)

    def send(self, message: OutboundMessage) -> SendResult:
        """Announce the reply to the visitor's open widgets; a closed widget catches up from
        the stored conversation when it reconnects."""
        layer = get_channel_layer()
        if layer is None:
            raise DeliveryError("No channel layer is configured.", permanent=True)
        event = {"type": "webchat.message", "message": message.message_id}
        try:
            async_to_sync(layer.group_send)(
                visitor_group(message.to.address), {"type": "helpdesk.event", "event": event}
            )
        except Exception as exc:  # the layer's backend errors (Redis down...) are transient
            raise DeliveryError(f"The live channel is unreachable: {exc}") from exc
        return SendResult(external_id=None)
