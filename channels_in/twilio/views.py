"""Twilio webhooks: inbound messages and status callbacks, both signed by Twilio."""

from __future__ import annotations

import logging

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from channels_in.twilio.adapter import form_fields, message_sid
from channels_in.twilio.selectors import outbound_media_for_token
from channels_in.twilio.services import twilio_status_record
from channels_in.webhooks import Webhook, inbox_webhook, refusal
from helpdesk.channels import get_adapter
from helpdesk.contracts import ChannelAdapter, RejectedInput
from helpdesk.security.files import file_response
from helpdesk.tickets.inbound_queue import raw_inbound_accept
from helpdesk.tickets.models import Inbox, InboxKind
from helpdesk.tickets.selectors import inbox_for_address

logger = logging.getLogger(__name__)

TWILIO_KINDS = (InboxKind.SMS, InboxKind.WHATSAPP)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
# Twilio posts forms; a multipart body would also leave request.body unreadable.
FORM = "application/x-www-form-urlencoded"


def _twiml() -> HttpResponse:
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


def _form(request: HttpRequest, inbox: Inbox, adapter: ChannelAdapter) -> dict[str, str]:
    return form_fields(request.body)


@inbox_webhook(*TWILIO_KINDS, name="Twilio", content_type=FORM, parse=_form, remember=True)
def twilio_webhook(request: HttpRequest, hook: Webhook) -> HttpResponse:
    """Keep the message to be received by a worker, answer at once.

    Status callbacks sent to this address are applied here and now (one cheap update).
    """
    return _accept(request, hook.inbox, hook.payload)


@csrf_exempt
@require_POST
def twilio_numbers_webhook(request: HttpRequest) -> HttpResponse:
    """One address for every Twilio number: the message lands in the inbox its ``To`` number
    is one of the addresses of (set on the settings page)."""
    if request.content_type != FORM:
        return refusal(f"Twilio webhooks are {FORM}.", 415)
    try:
        # Twilio's signature does not depend on the inbox: checked before ``To`` is trusted.
        get_adapter(InboxKind.SMS).verify(request, config={})
        fields = form_fields(request.body)
    except RejectedInput as exc:
        logger.info("Twilio webhook refused: %s", exc.reason)
        return refusal(exc.reason, exc.status)
    inbox = inbox_for_address(address=fields.get("To", ""), kinds=_kinds_for(fields))
    if inbox is None:
        return refusal("No inbox has this number.", 404)
    try:
        return _accept(request, inbox, fields)
    except RejectedInput as exc:
        logger.info("Twilio webhook refused for inbox %s: %s", inbox.pk, exc.reason)
        return refusal(exc.reason, exc.status)


def _kinds_for(fields: dict[str, str]) -> list[str]:
    to = fields.get("To", "").strip().lower()
    return [InboxKind.WHATSAPP] if to.startswith("whatsapp:") else [InboxKind.SMS]


def _accept(request: HttpRequest, inbox: Inbox, fields: dict[str, str]) -> HttpResponse:
    status = fields.get("MessageStatus", "").lower()
    if status and status != "received" and "Body" not in fields:
        twilio_status_record(inbox=inbox, fields=fields)
        return _twiml()
    # Stored once per MessageSid: a redelivery is answered the same and received once.
    raw_inbound_accept(
        inbox=inbox,
        payload=request.body,
        external_id=message_sid(fields),
        source=f"twilio:{inbox.kind}",
        content_type=FORM,
    )
    return _twiml()


@inbox_webhook(*TWILIO_KINDS, name="Twilio", lookup="pk", content_type=FORM, parse=_form)
def twilio_status(request: HttpRequest, hook: Webhook) -> HttpResponse:
    twilio_status_record(inbox=hook.inbox, fields=hook.payload)
    return HttpResponse(status=204)


@require_GET
def twilio_media(request: HttpRequest, token: str) -> FileResponse:
    """A reply's attachment, fetched by Twilio through the signed address it was given."""
    attachment = outbound_media_for_token(token)
    if attachment is None:
        raise Http404
    return file_response(
        attachment.file.open("rb"),
        filename=attachment.filename,
        content_type=attachment.content_type,
        keep_type=True,
    )
