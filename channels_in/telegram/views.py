"""Telegram's webhook: one URL per inbox, checked by the secret token header."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from channels_in.base import RejectedInput
from channels_in.registry import get_adapter
from channels_in.telegram.services import telegram_chat_link
from helpdesk.tickets.models import Inbox, InboxKind
from helpdesk.tickets.services import message_receive

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def telegram_webhook(request: HttpRequest, webhook_key: str) -> HttpResponse:
    inbox = get_object_or_404(Inbox, webhook_key=webhook_key, kind=InboxKind.TELEGRAM, enabled=True)
    adapter = get_adapter(inbox.kind)
    try:
        adapter.verify(request, config=inbox.config)
        messages = adapter.parse(request.body, inbox_id=inbox.pk, config=inbox.config)
    except RejectedInput as exc:
        logger.info("Telegram webhook refused for inbox %s: %s", inbox.pk, exc.reason)
        return HttpResponse(exc.reason, status=exc.status, content_type="text/plain; charset=utf-8")
    for inbound in messages:
        result = message_receive(inbound=inbound)
        callback_query_id = inbound.metadata.get("callback_query_id")
        answer = getattr(adapter, "callback_answer", None)
        if callback_query_id and answer is not None and adapter.is_configured(inbox.config):
            # Stored first: the press is answered once its message is safe.
            answer(str(callback_query_id))
        token = inbound.metadata.get("link_token")
        if token and result.outcome != "duplicate" and result.message.identity is not None:
            telegram_chat_link(identity=result.message.identity, ticket=result.ticket, token=token)
    return JsonResponse({"ok": True})
