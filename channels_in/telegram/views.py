"""Telegram's webhook: one URL per inbox, checked by the secret token header."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from channels_in.telegram.services import telegram_chat_link
from channels_in.webhooks import Webhook, adapter_parse, inbox_webhook
from helpdesk.tickets.models import InboxKind
from helpdesk.tickets.services import message_receive


@inbox_webhook(InboxKind.TELEGRAM, name="Telegram", parse=adapter_parse)
def telegram_webhook(request: HttpRequest, hook: Webhook) -> HttpResponse:
    for inbound in hook.payload:
        result = message_receive(inbound=inbound)
        callback_query_id = inbound.metadata.get("callback_query_id")
        answer = getattr(hook.adapter, "callback_answer", None)
        if (
            callback_query_id
            and answer is not None
            and hook.adapter.is_configured(hook.inbox.config)
        ):
            # Stored first: the press is answered once its message is safe.
            answer(str(callback_query_id))
        token = inbound.metadata.get("link_token")
        if token and result.outcome != "duplicate" and result.message.identity is not None:
            telegram_chat_link(identity=result.message.identity, ticket=result.ticket, token=token)
    return JsonResponse({"ok": True})
