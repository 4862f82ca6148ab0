"""The widget's WebSocket: one visitor's live conversation.

Protocol (JSON frames):
- client ``{"type": "hello", "visitor": <token|null>, "after": <last message id seen>,
  "customer": {"id", "email", "signature", "name"}?, "language": "fr"|"en"}``
  -> ``{"type": "welcome", "visitor": <token>, "available": bool, "verified": bool,
  "messages": [...]}`` (every message after ``after``: a reconnect loses nothing);
- client ``{"type": "message", "client_id", "text", "image"?: {"name", "type", "data"}}``
  -> ``{"type": "ack", "client_id", "id"}``; a resent client_id is stored once;
- client ``{"type": "email", "email", "language"?}`` (nobody available) ->
  ``{"type": "email_saved"}``, or ``{"type": "code_sent"}`` when the address is a known
  customer's: a one-time code went there, and the visitor stays unverified until
  ``{"type": "code", "code"}`` -> ``{"type": "code_accepted"}`` (their conversation joins
  that customer) or ``{"type": "error", "error": "bad_code", "reason"}``;
- client ``{"type": "typing"}``; server ``{"type": "typing"}`` when an agent types;
- server ``{"type": "message", "message": {...}}`` for every new message in the conversation;
- server ``{"type": "error", "error": <code>}``; ``origin_refused`` (with ``origin``) before
  closing with 4403 when the page's origin is not in the inbox's ``allowed_origins``;
  ``customer_signature_invalid`` after the welcome when the shop's signature did not match
  (the visitor continues, and is stored, as an anonymous visitor).
"""

from __future__ import annotations

import json
import time
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ValidationError

from channels_in.base import RejectedInput
from channels_in.webchat.selectors import (
    visitor_identity,
    visitor_message,
    visitor_messages,
    visitor_tickets,
    webchat_available,
)
from channels_in.webchat.services import (
    Visitor,
    webchat_claim_verify,
    webchat_email_leave,
    webchat_message_receive,
    webchat_origin_refused,
    webchat_visitor_start,
    webchat_visitor_typing,
)
from channels_in.webchat.visitors import visitor_group
from channels_in.webhooks import inbox_for_key
from helpdesk.contracts import DomainError
from helpdesk.security.ratelimit import rate_hit
from helpdesk.security.sockets import CLOSE_POLICY_VIOLATION, FrameBudget
from helpdesk.tickets.models import Inbox, InboxKind

LANGUAGES = {code for code, _name in settings.LANGUAGES}
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_BIG = 1009
# A visitor's "typing" is relayed at most this often per socket (seconds).
TYPING_INTERVAL = 1.0


def _load_inbox(webhook_key: str) -> Inbox | None:
    return inbox_for_key(webhook_key=webhook_key, kinds=(InboxKind.WEBCHAT,))


def _rate_allowed(*, visitor: str, client_ip: str, new_conversation: bool) -> bool:
    """Messages per visitor (over all their sockets), per address, and new conversations per
    address: counted in the shared cache, so the limits hold across sockets and processes."""
    if not rate_hit(
        bucket="webchat-visitor",
        key=visitor,
        limit=settings.WEBCHAT_RATE_MESSAGES,
        seconds=settings.WEBCHAT_RATE_SECONDS,
    ):
        return False
    if not rate_hit(
        bucket="webchat-ip",
        key=client_ip,
        limit=settings.WEBCHAT_RATE_IP_MESSAGES,
        seconds=settings.WEBCHAT_RATE_IP_SECONDS,
    ):
        return False
    return not new_conversation or rate_hit(
        bucket="webchat-ip-new",
        key=client_ip,
        limit=settings.WEBCHAT_RATE_IP_CONVERSATIONS,
        seconds=settings.WEBCHAT_RATE_IP_CONVERSATION_SECONDS,
    )


class WidgetConsumer(AsyncWebsocketConsumer):
    inbox: Inbox | None = None
    visitor: Visitor | None = None
    # Whether the visitor has written before (their first message opens a conversation).
    known: bool = False
    typing_at: float = 0.0
    language: str = ""

    async def connect(self) -> None:
        self.group = ""
        self.frames = FrameBudget()
        client = self.scope.get("client") or ("", 0)
        self.client_ip = str(client[0] or "")
        key = self.scope["url_route"]["kwargs"]["webhook_key"]
        # A NUL byte cannot be in any key (nor in PostgreSQL text): refused before the query.
        self.inbox = None if "\x00" in key else await database_sync_to_async(_load_inbox)(key)
        if self.inbox is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        origin = dict(self.scope.get("headers", [])).get(b"origin", b"").decode("latin-1")
        if origin.lower() not in self.inbox.config.get("allowed_origins", []):
            # Accepted only to say why, then closed: a browser never sees the close code of
            # a refused handshake, and the widget would retry for ever in silence.
            await database_sync_to_async(webchat_origin_refused)(
                inbox=self.inbox, origin=origin[:200]
            )
            await self.accept()
            await self._error("origin_refused", origin=origin[:200])
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def _send(self, payload: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(payload))

    async def _error(self, code: str, **extra: Any) -> None:
        await self._send({"type": "error", "error": code, **extra})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        limit = settings.WEBCHAT_MAX_IMAGE_BYTES * 4 // 3 + settings.WEBCHAT_MAX_TEXT_CHARS * 4
        if not self.frames.spend():
            await self.close(code=CLOSE_POLICY_VIOLATION)
            return
        if bytes_data is not None or text_data is None:
            await self._error("text_frames_only")
            return
        if len(text_data) > limit + 4096:
            await self.close(code=CLOSE_TOO_BIG)
            return
        try:
            content = json.loads(text_data)
        except (json.JSONDecodeError, RecursionError):  # not JSON, or nested too deep
            await self._error("bad_json")
            return
        if not isinstance(content, dict):
            await self._error("bad_json")
            return
        kind = content.get("type")
        if kind == "hello":
            await self._hello(content)
        elif self.visitor is None:
            await self._error("hello_first")
        elif kind == "message":
            await self._message(content)
        elif kind == "email":
            await self._email(content)
        elif kind == "code":
            await self._code(content)
        elif kind == "typing":
            await self._typing()
        elif kind == "ping":
            await self._send({"type": "pong"})
        else:
            await self._error("unknown_type")

    async def _hello(self, content: dict[str, Any]) -> None:
        assert self.inbox is not None
        if self.visitor is not None:
            await self._error("already_started")
            return
        customer = content.get("customer") if isinstance(content.get("customer"), dict) else None
        language = content.get("language")
        self.language = language if isinstance(language, str) and language in LANGUAGES else ""
        after = content.get("after")
        after = after if isinstance(after, int) and after >= 0 else 0
        token = content.get("visitor") if isinstance(content.get("visitor"), str) else None
        inbox = self.inbox

        def start() -> tuple[Visitor, list[dict], bool, bool]:
            visitor = webchat_visitor_start(inbox=inbox, token=token, customer=customer)
            history: dict[int, dict] = {}
            known = False
            for address in visitor.addresses:
                identity = visitor_identity(address=address)
                if identity is not None:
                    known = True
                    for item in visitor_messages(inbox=inbox, identity=identity, after=after):
                        history[item["id"]] = item
            messages = [history[k] for k in sorted(history)]
            return visitor, messages, webchat_available(inbox=inbox), known

        self.visitor, history, available, self.known = await database_sync_to_async(start)()
        self.group = visitor_group(self.visitor.address)
        self.groups_joined = [visitor_group(a) for a in self.visitor.addresses]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self._send(
            {
                "type": "welcome",
                "visitor": self.visitor.token,
                "verified": self.visitor.verified,
                "available": available,
                "messages": history,
            }
        )
        if self.visitor.customer_refused:
            await self._error("customer_signature_invalid")

    async def _rate_limited(self) -> bool:
        assert self.visitor is not None
        allowed = await sync_to_async(_rate_allowed, thread_sensitive=False)(
            visitor=self.visitor.address, client_ip=self.client_ip, new_conversation=not self.known
        )
        return not allowed

    async def _message(self, content: dict[str, Any]) -> None:
        assert self.inbox is not None and self.visitor is not None
        client_id = content.get("client_id")
        if await self._rate_limited():
            await self._error("rate_limited", client_id=client_id)
            return
        payload = {
            "client_id": client_id,
            "text": content.get("text", ""),
            "image": content.get("image"),
            "language": content.get("language", ""),
            "page": content.get("page", ""),
            "quick_reply": content.get("quick_reply"),
        }
        inbox, visitor = self.inbox, self.visitor
        try:
            result = await database_sync_to_async(webchat_message_receive)(
                inbox=inbox, visitor=visitor, payload=payload
            )
        except RejectedInput as exc:
            await self._error(exc.reason, client_id=client_id)
            return
        self.known = True
        await self._send({"type": "ack", "client_id": client_id, "id": result.message.pk})

    async def _email(self, content: dict[str, Any]) -> None:
        assert self.inbox is not None and self.visitor is not None
        if await self._rate_limited():
            await self._error("rate_limited")
            return
        language = content.get("language")
        if not isinstance(language, str) or language not in LANGUAGES:
            language = self.language
        try:
            result = await database_sync_to_async(webchat_email_leave)(
                inbox=self.inbox,
                visitor=self.visitor,
                email=str(content.get("email", ""))[:254],
                language=language or "",
            )
        except ValidationError:
            await self._error("bad_email")
            return
        except DomainError:
            await self._error("rate_limited")
            return
        if result is None:
            # A known customer's address: a code went there; the widget asks for it.
            await self._send({"type": "code_sent"})
            return
        await self._send({"type": "email_saved"})

    async def _code(self, content: dict[str, Any]) -> None:
        assert self.inbox is not None and self.visitor is not None
        if await self._rate_limited():
            await self._error("rate_limited")
            return
        code = str(content.get("code", ""))[:20]
        try:
            await database_sync_to_async(webchat_claim_verify)(visitor=self.visitor, code=code)
        except DomainError as exc:
            await self._send({"type": "error", "error": "bad_code", "reason": str(exc)})
            return
        await self._send({"type": "code_accepted"})

    async def _typing(self) -> None:
        assert self.inbox is not None and self.visitor is not None
        now = time.monotonic()
        if now - self.typing_at < TYPING_INTERVAL:
            return  # the widget says it at most every few seconds; a flood is ignored
        self.typing_at = now
        inbox, address = self.inbox, self.visitor.address

        def ticket_ids() -> list[int]:
            identity = visitor_identity(address=address)
            if identity is None:
                return []
            tickets = visitor_tickets(inbox=inbox, identity=identity)
            ids = list(tickets.order_by("-last_message_at").values_list("pk", flat=True)[:1])
            webchat_visitor_typing(ticket_ids=ids)
            return ids

        await database_sync_to_async(ticket_ids)()

    async def helpdesk_event(self, message: dict[str, Any]) -> None:
        event = message.get("event", {})
        if event.get("type") == "webchat.typing":
            await self._send({"type": "typing"})
            return
        if event.get("type") != "webchat.message" or self.visitor is None:
            return
        inbox, addresses = self.inbox, self.visitor.addresses

        def load() -> dict | None:
            for address in addresses:
                identity = visitor_identity(address=address)
                if identity is None or inbox is None:
                    continue
                found = visitor_message(inbox=inbox, identity=identity, message_id=event["message"])
                if found is not None:
                    return found
            return None

        found = await database_sync_to_async(load)()
        if found is not None:
            await self._send({"type": "message", "message": found})
