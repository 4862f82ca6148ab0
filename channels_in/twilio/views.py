"""Twilio webhooks: inbound messages and status callbacks, both signed by Twilio."""

from __future__ import annotations

import logging

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from channels_in.base import RejectedInput
from channels_in.registry import get_adapter
from channels_in.twilio.adapter import form_fields, message_sid
from channels_in.twilio.selectors import inbox_for_webhook, outbound_media_for_token
from channels_in.twilio.services import twilio_status_record
from helpdesk.security.files import file_response
from helpdesk.tickets.inbound_queue import raw_inbound_accept
from helpdesk.tickets.models import Inbox, InboxKind
from helpdesk.tickets.selectors import inbox_for_address

logger = logging.getLogger(__name__)

TWILIO_KINDS = (InboxKind.SMS, InboxKind.WHATSAPP)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _twiml() -> HttpResponse:
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


FORM = "application/x-www-form-urlencoded"


def _not_a_form() -> HttpResponse:
    # Twilio posts forms; a multipart body would also leave request.body unreadable.
    return HttpResponse(
        f"Twilio webhooks are {FORM}.", status=415, content_type="text/plain; charset=utf-8"
    )


def _refuse(exc: RejectedInput) -> HttpResponse:
    return HttpResponse(exc.reason, status=exc.status, content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_POST
def twilio_webhook(request: HttpRequest, webhook_key: str) -> HttpResponse:
    """Check the signature, keep the message to be received by a worker, answer at once.

    Status callbacks sent to this address are applied here and now (one cheap update).
    """
    inbox = inbox_for_webhook(webhook_key=webhook_key, kinds=TWILIO_KINDS)
    if inbox is None:
        raise Http404
    if request.content_type != FORM:
        return _not_a_form()
    try:
        get_adapter(inbox.kind).verify(request, config=inbox.config)
        fields = form_fields(request.body)
    except RejectedInput as exc:
        logger.info("Twilio webhook refused for inbox %s: %s", inbox.pk, exc.reason)
        return _refuse(exc)
    return _accept(request, inbox, fields)


@csrf_exempt
@require_POST
def twilio_numbers_webhook(request: HttpRequest) -> HttpResponse:
    """One address for every Twilio number: the message lands in the inbox its ``To`` number
    is one of the addresses of (set on the settings page)."""
    if request.content_type != FORM:
        return _not_a_form()
    try:
        # Twilio's signature does not depend on the inbox: checked before ``To`` is trusted.
        get_adapter(InboxKind.SMS).verify(request, config={})
        fields = form_fields(request.body)
    except RejectedInput as exc:
        logger.info("Twilio webhook refused: %s", exc.reason)
        return _refuse(exc)
    inbox = inbox_for_address(address=fields.get("To", ""), kinds=_kinds_for(fields))
    if inbox is None:
        return HttpResponse(
            "No inbox has this number.", status=404, content_type="text/plain; charset=utf-8"
        )
    return _accept(request, inbox, fields)


def _kinds_for(fields: dict[str, str]) -> list[str]:
    to = fields.get("To", "").strip().lower()
    return [InboxKind.WHATSAPP] if to.startswith("whatsapp:") else [InboxKind.SMS]


def _accept(request: HttpRequest, inbox: Inbox, fields: dict[str, str]) -> HttpResponse:
    try:
        status = fields.get("MessageStatus", "").lower()
        if status and status != "received" and "Body" not in fields:
            twilio_status_record(inbox=inbox, fields=fields)
            return _twiml()
        sid = message_sid(fields)
    except RejectedInput as exc:
        logger.info("Twilio webhook refused for inbox %s: %s", inbox.pk, exc.reason)
        return _refuse(exc)
    # Stored once per MessageSid: a redelivery is answered the same and received once.
    raw_inbound_accept(
        inbox=inbox,
        payload=request.body,
        external_id=sid,
        source=f"twilio:{inbox.kind}",
        content_type="application/x-www-form-urlencoded",
    )
    return _twiml()


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest, inbox_id: int) -> HttpResponse:
    inbox = get_object_or_404(Inbox, pk=inbox_id, kind__in=TWILIO_KINDS)
    if request.content_type != FORM:
        return _not_a_form()
    try:
        get_adapter(inbox.kind).verify(request, config=inbox.config)
        fields = form_fields(request.body)
    except RejectedInput as exc:
        return _refuse(exc)
    twilio_status_record(inbox=inbox, fields=fields)
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
