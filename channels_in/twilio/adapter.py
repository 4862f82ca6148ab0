"""SMS and WhatsApp through Twilio.

Inbound: Twilio's messaging webhook (form-encoded, signed with X-Twilio-Signature).
Outbound: the SDK's ``messages.create`` with a status callback to this helpdesk; a reply's
attachments go as ``MediaUrl``s, signed addresses of this helpdesk that Twilio fetches.

Inbox configuration (``Inbox.config``):
- ``from``: the Twilio number (E.164, without the ``whatsapp:`` prefix), or
- ``messaging_service_sid``: a Messaging Service to send from instead;
- WhatsApp only: ``templates``: approved templates offered outside the 24-hour window,
  a list of ``{"name": ..., "content_sid": "HX...", "label": ...}``.
Credentials come from the environment: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import requests
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.request_validator import RequestValidator

from channels_in.base import (
    DeliveryError,
    InboundAttachment,
    InboundMessage,
    OutboundMessage,
    RejectedInput,
    Sender,
    SendResult,
)
from channels_in.twilio.client import media_url_allowed, twilio_client
from channels_in.twilio.constants import (
    MAX_MEDIA,
    MEDIA_SALT,
    PERMANENT_CODES,
    START_WORDS,
    STOP_WORDS,
)
from channels_in.twilio.selectors import whatsapp_identity_window
from channels_in.twilio.services import identity_opt_set
from helpdesk.security.payloads import without_nul

if TYPE_CHECKING:
    from helpdesk.contracts import ReceiveResult


def outbound_media_url(*, message_id: int, index: int) -> str:
    """A public, signed, expiring address of an outbound message's ``index``-th attachment."""
    token = signing.dumps({"m": message_id, "i": index}, salt=MEDIA_SALT)
    return f"{settings.PUBLIC_URL}/hooks/twilio/media/{token}/"


def status_callback_url(inbox_id: int) -> str:
    return f"{settings.PUBLIC_URL}/hooks/twilio/status/{inbox_id}/"


def form_fields(payload: bytes) -> dict[str, str]:
    try:
        parsed = parse_qs(payload.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise RejectedInput("The request body is not UTF-8 form data.") from None
    return {key: values[-1] for key, values in parsed.items()}


def message_sid(fields: Mapping[str, str]) -> str:
    """The MessageSid of an incoming message webhook, after the checks that need no I/O."""
    sid = fields.get("MessageSid") or fields.get("SmsMessageSid") or ""
    if not sid or not fields.get("From", "").strip():
        raise RejectedInput("A Twilio message needs MessageSid and From.")
    if len(sid) > 64 or not sid.isascii() or not sid.isalnum():
        raise RejectedInput("MessageSid must be letters and digits (at most 64).")
    if fields.get("AccountSid") and fields["AccountSid"] != settings.TWILIO_ACCOUNT_SID:
        raise RejectedInput("The message belongs to another Twilio account.", status=403)
    return sid


def opt_keyword(body: str) -> str:
    word = body.strip().upper().rstrip(".!")
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    return ""


class TwilioSMSAdapter:
    kind = "sms"
    identity_kind = "phone"
    address_prefix = ""

    # --- configuration -------------------------------------------------------------------
    def clean_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        cleaned = dict(config)
        sender = str(cleaned.get("from", "")).strip()
        service = str(cleaned.get("messaging_service_sid", "")).strip()
        if not sender and not service:
            raise ValidationError(
                {"config": _("A Twilio inbox needs 'from' (a number) or 'messaging_service_sid'.")}
            )
        if sender and not (sender.startswith("+") and sender[1:].isdigit()):
            raise ValidationError(
                {"config": _("'from' must be an E.164 number like +33612345678.")}
            )
        cleaned["from"] = sender
        cleaned["messaging_service_sid"] = service
        return cleaned

    def is_configured(self, config: Mapping[str, Any]) -> bool:
        return bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN)

    # --- inbound -------------------------------------------------------------------------
    def verify(self, request: HttpRequest, *, config: Mapping[str, Any]) -> None:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not settings.TWILIO_AUTH_TOKEN:
            raise RejectedInput("Twilio is not configured here.", status=403)
        if not signature:
            raise RejectedInput("Missing X-Twilio-Signature.", status=403)
        url = settings.PUBLIC_URL + request.get_full_path()
        validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
        if not validator.validate(url, request.POST.dict(), signature):
            raise RejectedInput("Invalid X-Twilio-Signature.", status=403)

    def address_of(self, value: str) -> str:
        value = value.strip()
        if self.address_prefix and value.startswith(self.address_prefix):
            value = value[len(self.address_prefix) :]
        return value

    def parse(
        self, payload: bytes, *, inbox_id: int, config: Mapping[str, Any]
    ) -> list[InboundMessage]:
        fields = form_fields(payload)
        sid = message_sid(fields)
        # NUL characters cannot be stored: the text keeps everything else.
        fields = {key: without_nul(value) for key, value in fields.items()}
        sender = self.address_of(fields["From"])
        body = fields.get("Body", "")
        try:
            num_media = int(fields.get("NumMedia", "0") or 0)
        except ValueError:
            raise RejectedInput("NumMedia is not a number.") from None
        if not 0 <= num_media <= MAX_MEDIA:
            raise RejectedInput("NumMedia is out of range.")
        attachments = tuple(
            self._fetch_media(
                fields.get(f"MediaUrl{i}", ""), fields.get(f"MediaContentType{i}", ""), i
            )
            for i in range(num_media)
        )
        metadata: dict[str, Any] = {"to": self.address_of(fields.get("To", ""))}
        keyword = opt_keyword(body)
        if keyword:
            metadata["opt"] = keyword
        return [
            InboundMessage(
                inbox_id=inbox_id,
                sender=Sender(
                    kind=self.identity_kind, address=sender, name=fields.get("ProfileName", "")
                ),
                text=body,
                external_id=sid,
                attachments=attachments,
                raw=payload,
                raw_content_type="application/x-www-form-urlencoded",
                source=f"twilio:{self.kind}",
                metadata=metadata,
            )
        ]

    def after_receive(self, inbound: InboundMessage, result: ReceiveResult) -> None:
        """STOP/START is recorded in the same transaction as the message that carried it."""
        keyword = inbound.metadata.get("opt")
        if keyword and result.message.identity:
            identity_opt_set(identity=result.message.identity, keyword=keyword)

    def _fetch_media(self, url: str, content_type: str, index: int) -> InboundAttachment:
        if not media_url_allowed(url):
            raise RejectedInput(f"MediaUrl{index} is not a Twilio media address.")
        limit = settings.TWILIO_MEDIA_MAX_BYTES
        try:
            with requests.get(
                url,
                auth=(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN),
                timeout=settings.TWILIO_TIMEOUT,
                stream=True,
            ) as response:
                if response.status_code != 200:
                    raise RejectedInput(
                        f"Media {index} could not be fetched (HTTP {response.status_code}).",
                        status=502,
                    )
                content = bytearray()
                for chunk in response.iter_content(64 * 1024):
                    content += chunk
                    if len(content) > limit:
                        raise RejectedInput(
                            f"Media {index} is larger than {limit} bytes.", status=413
                        )
                content_type = content_type or response.headers.get("Content-Type", "")
        except requests.RequestException as exc:
            raise RejectedInput(f"Media {index} could not be fetched: {exc}", status=502) from exc
        extension = mimetypes.guess_extension(content_type.split(";")[0].strip()) or ""
        return InboundAttachment(
            filename=f"{url.rstrip('/').rsplit('/', 1)[-1]}{extension}",
            content_type=content_type or "application/octet-stream",
            content=bytes(content),
        )

    # --- outbound ------------------------------------------------------------------------
    def _to(self, address: str) -> str:
        return f"{self.address_prefix}{address}"

    def _from(self, config: Mapping[str, Any]) -> dict[str, str]:
        if config.get("messaging_service_sid"):
            return {"messaging_service_sid": config["messaging_service_sid"]}
        return {"from_": self._to(config["from"])}

    # How many MediaUrls one message may carry (MMS: 10; WhatsApp: 1).
    media_per_message = MAX_MEDIA

    def _content(self, message: OutboundMessage) -> dict[str, Any]:
        return {"body": message.text}

    def _parts(self, message: OutboundMessage) -> list[dict[str, Any]]:
        """The text with the first media, then the remaining media a message at a time."""
        urls = [
            outbound_media_url(message_id=message.message_id, index=i)
            for i in range(len(message.attachments))
        ]
        size = self.media_per_message
        chunks = [urls[start : start + size] for start in range(0, len(urls), size)]
        first = self._content(message)
        if chunks and "content_sid" not in first:
            first["media_url"] = chunks.pop(0)
        return [first, *({"media_url": chunk} for chunk in chunks)]

    def send(self, message: OutboundMessage) -> SendResult:
        first_sid = None
        for number, part in enumerate(self._parts(message)):
            try:
                created = twilio_client().messages.create(
                    to=self._to(message.to.address),
                    status_callback=status_callback_url(message.inbox_id),
                    **self._from(message.inbox_config),
                    **part,
                )
            except TwilioRestException as exc:
                code = str(exc.code or "")
                reason = PERMANENT_CODES.get(code) or f"Twilio {exc.status}: {exc.msg}"
                permanent = code in PERMANENT_CODES or (
                    400 <= exc.status < 500 and exc.status != 429
                )
                raise self._failed(reason, number, permanent=permanent, code=code) from exc
            except (TwilioException, requests.RequestException) as exc:
                raise self._failed(f"Twilio could not be reached: {exc}", number) from exc
            first_sid = first_sid or created.sid
        return SendResult(external_id=first_sid)

    @staticmethod
    def _failed(reason: str, number: int, *, permanent: bool = False, code: str = ""):
        if number == 0:
            return DeliveryError(reason, permanent=permanent, code=code)
        # Part of the reply is already with the customer: a retry would send it twice.
        return DeliveryError(
            f"Only the first {number} part(s) were sent, then: {reason}", permanent=True, code=code
        )


class TwilioWhatsAppAdapter(TwilioSMSAdapter):
    kind = "whatsapp"
    identity_kind = "whatsapp"
    address_prefix = "whatsapp:"

    def clean_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        cleaned = super().clean_config(config)
        templates = cleaned.get("templates", [])
        if not isinstance(templates, list) or not all(
            isinstance(t, dict) and t.get("name") and str(t.get("content_sid", "")).startswith("HX")
            for t in templates
        ):
            raise ValidationError(
                {"config": _("'templates' must be a list of {name, content_sid: 'HX...'}.")}
            )
        cleaned["templates"] = templates
        return cleaned

    media_per_message = 1

    def reply_window(self, *, identity: Any, config: Mapping[str, Any]) -> Any:
        """Whether free text can go to ``identity`` now (WhatsApp's 24-hour window), and the
        approved templates otherwise: the workspace shows it in the reply box."""
        return whatsapp_identity_window(identity=identity, templates=config.get("templates", []))

    def template_metadata(self, *, template: Mapping[str, Any], variables: dict[str, str]) -> dict:
        """What a reply carries to go out as this approved template (see ``_content``)."""
        return {"whatsapp_template": template["content_sid"], "template_variables": variables}

    def _content(self, message: OutboundMessage) -> dict[str, Any]:
        template = message.metadata.get("whatsapp_template")
        if template:
            return {
                "content_sid": template,
                "content_variables": json.dumps(message.metadata.get("template_variables", {})),
            }
        return {"body": message.text}
