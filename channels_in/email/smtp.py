"""Inbound SMTP/LMTP for shops whose mail server forwards to the helpdesk (aiosmtpd)."""

from __future__ import annotations

import logging

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from channels_in.email.services import email_ingest
from helpdesk.tickets.models import Inbox, InboxKind
from helpdesk.tickets.selectors import inbox_for_address

logger = logging.getLogger(__name__)


def inbox_for_recipient(address: str, *, default: Inbox | None = None) -> Inbox | None:
    """The enabled email inbox this recipient is one of the addresses of."""
    return inbox_for_address(address=address, kinds=[InboxKind.EMAIL]) or default


def _ingest_for(recipients: list[str], raw: bytes, peer: str, default_id: int | None) -> str:
    close_old_connections()
    default = Inbox.objects.filter(pk=default_id).first() if default_id else None
    inboxes: dict[int, Inbox] = {}
    for recipient in recipients:
        inbox = inbox_for_recipient(recipient, default=default)
        if inbox is not None:
            inboxes[inbox.pk] = inbox
    rejected = []
    for inbox in inboxes.values():
        result = email_ingest(raw=raw, inbox=inbox, source=f"smtp:{peer}")
        if result.outcome == "rejected":
            rejected.append(result.reason)
    close_old_connections()
    if rejected:
        return "550 5.6.0 " + " ".join(rejected)[:200]
    return "250 2.0.0 Message accepted"


class InboundHandler:
    def __init__(self, *, default_inbox_id: int | None = None) -> None:
        self.default_inbox_id = default_inbox_id

    async def handle_RCPT(self, server, session: Session, envelope: Envelope, address, options):
        inbox = await sync_to_async(inbox_for_recipient)(address)
        if inbox is None and self.default_inbox_id is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session: Session, envelope: Envelope):
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer)
        try:
            return await sync_to_async(_ingest_for)(
                list(envelope.rcpt_tos), raw, peer, self.default_inbox_id
            )
        except Exception:
            logger.exception("Inbound SMTP message could not be stored")
            return "451 4.3.0 Temporary failure, please retry"


class InboundController(Controller):
    def __init__(self, handler: InboundHandler, *, lmtp: bool = False, **kwargs) -> None:
        self.lmtp = lmtp
        super().__init__(handler, **kwargs)

    def factory(self) -> SMTP:
        server_class = LMTP if self.lmtp else SMTP
        return server_class(
            self.handler,
            data_size_limit=settings.HELPDESK_EMAIL_MAX_MESSAGE_BYTES,
            enable_SMTPUTF8=True,
            decode_data=False,
            ident="helpdesk",
        )
