"""Writes for inbound mail: every way mail arrives (IMAP, SMTP/LMTP, files) ends here."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from channels_in.base import InboundMessage, RejectedInput
from channels_in.email.parsing import parse_email
from helpdesk.contacts.models import ContactIdentity, IdentityKind, normalize_address
from helpdesk.contacts.services import identity_resolve
from helpdesk.tickets import events
from helpdesk.tickets.models import (
    AuthorType,
    DeliveryState,
    Direction,
    Inbox,
    Message,
    MessageKind,
    RawInbound,
    RawStatus,
    ThreadingReason,
    Ticket,
    TicketStatus,
)
from helpdesk.tickets.services import (
    message_delivery_update,
    message_reply,
    messages_receive,
)

logger = logging.getLogger(__name__)

Outcome = Literal["created", "threaded", "duplicate", "ignored", "rejected"]


@dataclass(frozen=True)
class IngestResult:
    outcome: Outcome
    ticket_id: int | None = None
    message_id: int | None = None
    reason: str = ""
    acknowledged: bool = False


def email_known_ids(*, inbox: Inbox, external_ids: list[str]) -> set[str]:
    """Which of these Message-IDs this inbox already stored (checked before downloading)."""
    if not external_ids:
        return set()
    found = Message.objects.filter(inbox=inbox, external_id__in=external_ids).values_list(
        "external_id", flat=True
    )
    return {external_id for external_id in found if external_id}


def email_reject_record(*, inbox: Inbox | None, raw: bytes, source: str, reason: str) -> bool:
    """Keep what was refused, with the reason, so nothing that arrived is silently lost.

    The record is keyed by the content's SHA-256: the same bytes refused again (a re-import,
    a redelivery) add nothing. Returns whether a record was added.
    """
    payload = raw[: settings.HELPDESK_EMAIL_MAX_MESSAGE_BYTES]
    key = f"sha256:{hashlib.sha256(raw).hexdigest()}"
    if inbox is None:
        RawInbound.objects.create(
            source=source[:255],
            content_type="message/rfc822",
            payload=payload,
            status=RawStatus.REJECTED,
            error=reason,
        )
        return True
    with transaction.atomic():
        _record, created = RawInbound.objects.get_or_create(
            inbox=inbox,
            external_id=key,
            defaults={
                "source": source[:255],
                "content_type": "message/rfc822",
                "payload": payload,
                "status": RawStatus.REJECTED,
                "error": reason,
            },
        )
    return created


@dataclass(frozen=True)
class ParsedMail:
    """One raw message after parsing: what ``email_ingest_parsed`` stores."""

    source: str
    raw: bytes
    inbound: InboundMessage | None
    rejection: str = ""


def email_parse(*, raw: bytes, inbox_id: int, source: str = "") -> ParsedMail:
    """Parse without touching the database, so a bulk import can parse in other processes."""
    try:
        return ParsedMail(source, raw, parse_email(raw, inbox_id=inbox_id, source=source))
    except RejectedInput as exc:
        return ParsedMail(source, raw, None, str(exc.reason))


def email_ingest(*, raw: bytes, inbox: Inbox, source: str = "") -> IngestResult:
    """Store one raw message: parsed, deduplicated, threaded; maybe acknowledged.

    Outcomes: created (a new ticket), threaded (joined one), duplicate (already stored),
    ignored (our own mail coming back: kept raw, not a message), rejected (not mail).
    """
    parsed = email_parse(raw=raw, inbox_id=inbox.pk, source=source)
    return email_ingest_parsed(inbox=inbox, mails=[parsed])[0]


def email_store(*, inbox: Inbox, mails: list[ParsedMail]) -> list[IngestResult]:
    """Store a batch in one transaction; if it fails, each message in a savepoint of its own,
    so that one failure rolls back only that message, which is then kept raw with the reason.
    Every way mail arrives in bulk (files, IMAP) stores through here."""
    try:
        with transaction.atomic():
            return email_ingest_parsed(inbox=inbox, mails=mails)
    except Exception:
        logger.info("A batch failed; storing its messages one by one", exc_info=True)
    results = []
    with transaction.atomic():
        for mail in mails:
            try:
                with transaction.atomic():
                    [result] = email_ingest_parsed(inbox=inbox, mails=[mail])
            except Exception as exc:  # one broken message must not stop the others
                logger.exception("Could not store %s", mail.source)
                reason = f"error: {type(exc).__name__}: {exc}"[:1000]
                # Nothing that arrived is lost: the bytes stay, with the reason.
                email_reject_record(inbox=inbox, raw=mail.raw, source=mail.source, reason=reason)
                result = IngestResult("rejected", reason=reason)
            results.append(result)
    return results


def email_ingest_parsed(*, inbox: Inbox, mails: list[ParsedMail]) -> list[IngestResult]:
    """Store parsed messages in their order, each with the outcome ``email_ingest`` gives it.

    Ordinary mail goes through ``messages_receive`` together; a rejected message, our own
    mail coming back or a delivery report is handled on its own, in its place.
    """
    results: list[IngestResult] = []
    ordinary: list[InboundMessage] = []

    def receive_ordinary() -> None:
        received = messages_receive(inbounds=ordinary) if ordinary else []
        for inbound, result in zip(ordinary, received, strict=True):
            acknowledged = result.outcome == "created" and email_acknowledge(
                ticket=result.ticket, inbound=inbound, inbox=inbox, message=result.message
            )
            results.append(
                IngestResult(
                    result.outcome,
                    ticket_id=result.ticket.pk,
                    message_id=result.message.pk,
                    reason=str(inbound.metadata.get("automatic", "")),
                    acknowledged=acknowledged,
                )
            )
        ordinary.clear()

    own_suffix = "@" + settings.HELPDESK_EMAIL_DOMAIN.lower() + ">"
    for mail in mails:
        inbound = mail.inbound
        if inbound is None:
            receive_ordinary()
            email_reject_record(
                inbox=inbox, raw=mail.raw, source=mail.source, reason=mail.rejection
            )
            results.append(IngestResult("rejected", reason=mail.rejection))
        elif inbound.external_id and inbound.external_id.lower().endswith(own_suffix):
            receive_ordinary()
            results.append(_own_mail_returned(inbound=inbound, inbox=inbox))
        elif inbound.metadata.get("bounce"):
            receive_ordinary()
            bounced = _bounce_receive(
                inbound=inbound, inbox=inbox, bounce=inbound.metadata["bounce"]
            )
            if bounced is None and inbound.metadata.get("email", {}).get("empty_sender"):
                # A report from nobody about mail that is not ours: kept raw, with why.
                reason = _("A delivery report or auto-reply with no sender, about no mail of ours.")
                email_reject_record(inbox=inbox, raw=mail.raw, source=mail.source, reason=reason)
                results.append(IngestResult("rejected", reason=reason))
            elif bounced is None:  # not a report on our mail: received as any mail
                ordinary.append(inbound)
            else:
                results.append(bounced)
        else:
            ordinary.append(inbound)
    receive_ordinary()
    return results


def _own_mail_returned(*, inbound: InboundMessage, inbox: Inbox) -> IngestResult:
    """Our own Message-ID coming back (a loop, a bounce copy): kept raw, never a message."""
    if not email_known_ids(inbox=inbox, external_ids=[inbound.external_id or ""]):
        email_reject_record(
            inbox=inbox,
            raw=inbound.raw,
            source=inbound.source,
            reason="Our own message came back (Message-ID in our domain).",
        )
    return IngestResult("ignored", reason=_("Our own message came back."))


def _bounce_receive(*, inbound: InboundMessage, inbox: Inbox, bounce: dict) -> IngestResult | None:
    """A delivery failure report joins the ticket of the mail that failed and flags the address.

    Returns None when the failed mail is not one of ours (then it is received as any mail).
    """
    original_ids = [i for i in bounce.get("original_ids", []) if len(i) <= 255]
    original_ids += list(inbound.in_reply_to)
    with transaction.atomic():
        existing = Message.objects.filter(inbox=inbox, external_id=inbound.external_id).first()
        if existing is not None:
            return IngestResult("duplicate", ticket_id=existing.ticket_id, message_id=existing.pk)
        original = (
            Message.objects.filter(
                inbox=inbox, external_id__in=original_ids, direction=Direction.OUTBOUND
            )
            .select_related("ticket", "identity")
            .order_by("-created_at")
            .first()
        )
        if original is None:
            return None
        now = timezone.now()
        failed = [r for r in bounce.get("recipients", []) if r.get("action") in {"failed", ""}]
        addresses = [r["address"] for r in failed if r.get("address")]
        if not addresses and original.identity is not None:
            addresses = [original.identity.address]
        ContactIdentity.objects.filter(
            kind=IdentityKind.EMAIL,
            address__in=[normalize_address(IdentityKind.EMAIL, a) for a in addresses],
            bounced_at__isnull=True,
        ).update(bounced_at=now)
        raw = RawInbound.objects.create(
            inbox=inbox,
            source=inbound.source[:255],
            content_type="message/rfc822",
            payload=inbound.raw,
            status=RawStatus.ACCEPTED,
        )
        sender = identity_resolve(
            kind=IdentityKind.EMAIL, address=inbound.sender.address, name=inbound.sender.name
        )
        diagnostic = "; ".join(
            " ".join(filter(None, [r.get("status", ""), r.get("diagnostic", "")])) for r in failed
        )
        ticket: Ticket = original.ticket
        message = Message.objects.create(
            ticket=ticket,
            inbox=inbox,
            direction=Direction.INBOUND,
            kind=MessageKind.EVENT,
            author_type=AuthorType.SYSTEM,
            identity=sender,
            subject=inbound.subject[:255],
            text=inbound.text,
            html=inbound.html,
            external_id=inbound.external_id,
            threading_reason=ThreadingReason.REPLY_HEADERS,
            metadata={**dict(inbound.metadata), "event": "bounce", "addresses": addresses},
            raw=raw,
            delivery_state=DeliveryState.RECEIVED,
        )
        events.message_event(message)
    if original.external_id:
        message_delivery_update(
            inbox=inbox,
            external_id=original.external_id,
            state=DeliveryState.FAILED,
            error=diagnostic or _("The message bounced."),
        )
    return IngestResult(
        "threaded", ticket_id=ticket.pk, message_id=message.pk, reason="delivery report"
    )


def email_acknowledge(
    *, ticket: Ticket, inbound: InboundMessage, inbox: Inbox, message: Message
) -> bool:
    """The optional automatic acknowledgement of a new ticket, at most one per sender per
    interval, never to machines (auto-replies, lists, bounces, our own domain)."""
    if not inbox.config.get("auto_acknowledge"):
        return False
    if inbound.metadata.get("automatic"):
        return False
    identity = message.identity
    if identity is None or not identity.reachable:
        return False
    key = f"email-ack:{inbox.pk}:{identity.address}"
    if not cache.add(key, 1, timeout=settings.HELPDESK_EMAIL_ACK_INTERVAL_SECONDS):
        return False
    with override(ticket.language or ticket.contact.language or settings.LANGUAGE_CODE):
        template = inbox.config.get("auto_acknowledge_text") or _(
            "Hello,\n\nWe have received your message and will answer as soon as possible. "
            "Your ticket number is #%(ticket)s: keep it in the subject if you write again."
            "\n\nThe support team"
        )
        # The custom text gets its number too; any other "%" in it is text, not a format.
        text = template.replace("%(ticket)s", str(ticket.pk))
    was_new = ticket.status == TicketStatus.NEW
    message_reply(
        ticket=ticket,
        text=text,
        author_type=AuthorType.SYSTEM,
        identity=identity,
        inbox=inbox,
        metadata={"automatic": True, "event": "acknowledgement"},
    )
    if was_new:
        # An automatic acknowledgement is not an answer: the ticket stays new in the queue.
        Ticket.objects.filter(pk=ticket.pk, status=TicketStatus.OPEN).update(
            status=TicketStatus.NEW
        )
        ticket.status = TicketStatus.NEW
    return True
