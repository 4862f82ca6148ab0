"""Writes on tickets and messages: the one path every channel's messages take."""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from channels_in.base import (
    DeliveryError,
    InboundMessage,
    OutboundAttachment,
    OutboundMessage,
    Recipient,
)
from channels_in.registry import get_adapter
from helpdesk.contacts.models import Contact, ContactIdentity
from helpdesk.contacts.services import identity_resolve
from helpdesk.tickets import events
from helpdesk.tickets.models import (
    Attachment,
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
from helpdesk.tickets.threading import ticket_for_inbound
from orders_link.models import Order

logger = logging.getLogger(__name__)

Outcome = Literal["created", "threaded", "duplicate"]


@dataclass(frozen=True)
class ReceiveResult:
    outcome: Outcome
    ticket: Ticket
    message: Message


def message_receive(*, inbound: InboundMessage) -> ReceiveResult:
    """Store one inbound message: deduplicated, threaded, announced live after commit.

    The (inbox, external_id) constraint decides between concurrent deliveries of the same
    message: the loser's transaction rolls back whole and its second pass finds the winner's
    message. The same second pass settles two first messages from a new address racing to
    create its identity.
    """
    try:
        with transaction.atomic():
            return _receive(inbound)
    except IntegrityError:
        with transaction.atomic():
            return _receive(inbound)


def _receive(inbound: InboundMessage) -> ReceiveResult:
    inbox = Inbox.objects.get(pk=inbound.inbox_id)
    if inbound.external_id:
        existing = (
            Message.objects.select_related("ticket")
            .filter(inbox=inbox, external_id=inbound.external_id)
            .first()
        )
        if existing is not None:
            return ReceiveResult("duplicate", existing.ticket, existing)

    now = timezone.now()
    raw = None
    if inbound.raw:
        raw = RawInbound.objects.create(
            inbox=inbox,
            source=inbound.source[:255],
            content_type=inbound.raw_content_type[:255],
            payload=inbound.raw,
            status=RawStatus.ACCEPTED,
        )
    identity = identity_resolve(
        kind=inbound.sender.kind,
        address=inbound.sender.address,
        name=inbound.sender.name,
        verified=inbound.sender.verified,
        seen_at=now,
    )
    contact = identity.contact
    if inbound.language and not contact.language:
        contact.language = inbound.language
        contact.save(update_fields=["language", "updated_at"])

    ticket, reason = ticket_for_inbound(inbound=inbound, inbox=inbox, contact=contact, now=now)
    created = ticket is None
    if ticket is None:
        ticket = Ticket.objects.create(
            contact=contact,
            inbox=inbox,
            team=inbox.team,
            subject=_subject_for(inbound),
            language=inbound.language or contact.language,
            last_message_at=now,
            last_inbound_at=now,
        )
    message = Message.objects.create(
        ticket=ticket,
        inbox=inbox,
        direction=Direction.INBOUND,
        kind=MessageKind.MESSAGE,
        author_type=AuthorType.CONTACT,
        identity=identity,
        subject=inbound.subject[:255],
        text=inbound.text,
        html=inbound.html,
        external_id=inbound.external_id,
        threading_reason=reason,
        metadata=dict(inbound.metadata),
        raw=raw,
        delivery_state=DeliveryState.RECEIVED,
    )
    for item in inbound.attachments:
        attachment_store(
            message=message,
            filename=item.filename,
            content_type=item.content_type,
            content=item.content,
            content_id=item.content_id,
            inline=item.inline,
        )
    if not created:
        _ticket_touch_inbound(ticket, now=now)
    if ticket.order_id is None:
        ticket_link_order_from_message(ticket=ticket, message=message)
    events.message_event(message, created_ticket=created)
    return ReceiveResult("created" if created else "threaded", ticket, message)


def ticket_open(
    *,
    contact: Contact,
    inbox: Inbox,
    subject: str,
    order: Order | None = None,
    language: str = "",
) -> Ticket:
    """Open a ticket from our side (a proactive notice), before any customer message."""
    now = timezone.now()
    return Ticket.objects.create(
        contact=contact,
        inbox=inbox,
        team=inbox.team,
        subject=subject[:255],
        order=order,
        language=language or contact.language,
        last_message_at=now,
    )


def ticket_link_order_from_message(*, ticket: Ticket, message: Message) -> None:
    """Link the order the customer is writing about, when it is theirs to ask about."""
    from orders_link.selectors import order_for_message

    order = order_for_message(contact=ticket.contact, text=f"{message.subject}\n{message.text}")
    if order is not None:
        ticket.order = order
        ticket.save(update_fields=["order", "updated_at"])


def message_delivery_update(
    *, inbox: Inbox, external_id: str, state: str, error: str = ""
) -> Message | None:
    """A provider reports what became of a message we sent (Twilio status callbacks...).

    States only move forward (sent -> delivered -> read; failed is final); a late or repeated
    report never moves a message back. Returns None for an id we never sent.
    """
    order = [DeliveryState.SENT, DeliveryState.DELIVERED, DeliveryState.READ]
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(of=("self",))
            .filter(inbox=inbox, external_id=external_id, direction=Direction.OUTBOUND)
            .first()
        )
        if message is None:
            return None
        current = message.delivery_state
        if current == DeliveryState.FAILED:
            return message
        if state == DeliveryState.FAILED:
            message.delivery_state = DeliveryState.FAILED
            message.delivery_error = error
        elif state in order and (
            current not in order
            or order.index(DeliveryState(state)) > order.index(DeliveryState(current))
        ):
            message.delivery_state = state
            if state == DeliveryState.DELIVERED:
                message.delivered_at = timezone.now()
        else:
            return message
        message.save(update_fields=["delivery_state", "delivery_error", "delivered_at"])
        events.delivery_event(message)
    return message


def _subject_for(inbound: InboundMessage) -> str:
    subject = inbound.subject.strip()
    if subject:
        return subject[:255]
    first_line = next((line.strip() for line in inbound.text.splitlines() if line.strip()), "")
    return (first_line[:77] + "...") if len(first_line) > 80 else first_line


def _ticket_touch_inbound(ticket: Ticket, *, now: datetime) -> None:
    ticket.last_message_at = now
    ticket.last_inbound_at = now
    fields = ["last_message_at", "last_inbound_at", "updated_at"]
    if ticket.status in {TicketStatus.PENDING, TicketStatus.SOLVED}:
        if ticket.status == TicketStatus.SOLVED:
            ticket.reopened_count += 1
            ticket.solved_at = None
            fields += ["reopened_count", "solved_at"]
        ticket_status_event(ticket, old=ticket.status, new=TicketStatus.OPEN, actor=None)
        ticket.status = TicketStatus.OPEN
        fields.append("status")
    ticket.save(update_fields=fields)


def attachment_store(
    *,
    message: Message,
    filename: str,
    content_type: str,
    content: bytes,
    content_id: str = "",
    inline: bool = False,
) -> Attachment:
    safe_name = (filename or "attachment").replace("/", "_").replace("\\", "_")[:200]
    attachment = Attachment(
        message=message,
        filename=safe_name,
        content_type=(content_type or "application/octet-stream")[:255],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content_id=content_id[:255],
        inline=inline,
    )
    attachment.file.save(safe_name, ContentFile(content), save=False)
    attachment.save()
    return attachment


def ticket_status_event(ticket: Ticket, *, old: str, new: str, actor: User | None) -> Message:
    """Record a status change in the ticket's timeline."""
    return Message.objects.create(
        ticket=ticket,
        direction=Direction.OUTBOUND,
        kind=MessageKind.EVENT,
        author_type=AuthorType.AGENT if actor else AuthorType.SYSTEM,
        author=actor,
        delivery_state=DeliveryState.RECEIVED,
        metadata={"event": "status", "from": old, "to": new},
    )


def ticket_set_status(*, ticket: Ticket, status: str, actor: User | None = None) -> Ticket:
    if status == ticket.status:
        return ticket
    now = timezone.now()
    old = ticket.status
    with transaction.atomic():
        ticket.status = status
        if status == TicketStatus.SOLVED:
            ticket.solved_at = now
        elif status == TicketStatus.CLOSED:
            ticket.closed_at = now
            ticket.solved_at = ticket.solved_at or now
        elif old in {TicketStatus.SOLVED, TicketStatus.CLOSED}:
            ticket.reopened_count += 1
            ticket.solved_at = None
            ticket.closed_at = None
        ticket.save()
        ticket_status_event(ticket, old=old, new=status, actor=actor)
        events.ticket_event(ticket, change="status")
    return ticket


# --- Outbound ---------------------------------------------------------------------------------


def _reply_identity(ticket: Ticket) -> ContactIdentity | None:
    """The address the customer last wrote from on this ticket, else one for its inbox."""
    last_inbound = (
        ticket.messages.filter(direction=Direction.INBOUND, identity__isnull=False)
        .select_related("identity")
        .order_by("-created_at", "-id")
        .first()
    )
    if last_inbound is not None:
        return last_inbound.identity
    return ticket.contact.identities.filter(kind=ticket.inbox.identity_kind).first()


def _new_message_id(ticket: Ticket) -> str:
    return f"<ticket-{ticket.pk}.{uuid.uuid4().hex}@{settings.HELPDESK_EMAIL_DOMAIN}>"


def message_reply(
    *,
    ticket: Ticket,
    text: str,
    author: User | None = None,
    author_type: str = AuthorType.AGENT,
    html: str = "",
    identity: ContactIdentity | None = None,
    inbox: Inbox | None = None,
    files: tuple[tuple[str, str, bytes], ...] = (),
    metadata: dict | None = None,
    send_after: datetime | None = None,
) -> Message:
    """Queue a reply to the customer; a Celery task delivers it after commit.

    With ``send_after`` (quiet hours) the message waits, queued and visible, until the
    outbound sweep finds it due.
    """
    identity = identity or _reply_identity(ticket)
    if inbox is None:
        inbox = ticket.inbox
        if identity is not None and identity.kind != inbox.identity_kind:
            inbox = (
                Inbox.objects.filter(enabled=True, kind__in=_inbox_kinds_for(identity.kind))
                .order_by("pk")
                .first()
                or inbox
            )
    now = timezone.now()
    with transaction.atomic():
        message = Message.objects.create(
            ticket=ticket,
            inbox=inbox,
            direction=Direction.OUTBOUND,
            kind=MessageKind.MESSAGE,
            author_type=author_type,
            author=author,
            identity=identity,
            subject=_reply_subject(ticket),
            text=text,
            html=html,
            external_id=_new_message_id(ticket) if inbox.kind == "email" else None,
            threading_reason=ThreadingReason.AGENT,
            delivery_state=DeliveryState.QUEUED,
            next_attempt_at=send_after,
            metadata=metadata or {},
        )
        for filename, content_type, content in files:
            attachment_store(
                message=message, filename=filename, content_type=content_type, content=content
            )
        fields = ["last_message_at", "updated_at"]
        ticket.last_message_at = now
        if author_type == AuthorType.AGENT and ticket.first_response_at is None:
            ticket.first_response_at = now
            fields.append("first_response_at")
        if ticket.status == TicketStatus.NEW:
            ticket.status = TicketStatus.OPEN
            fields.append("status")
        ticket.save(update_fields=fields)
        events.message_event(message)
        if send_after is None or send_after <= now:
            _enqueue_delivery(message.pk)
    return message


def _inbox_kinds_for(identity_kind: str) -> list[str]:
    from helpdesk.tickets.models import IDENTITY_KIND_FOR_INBOX

    return [str(k) for k, v in IDENTITY_KIND_FOR_INBOX.items() if v == identity_kind]


def _reply_subject(ticket: Ticket) -> str:
    subject = ticket.subject or ""
    token = f"[#{ticket.pk}]"
    if token not in subject:
        subject = f"{subject} {token}".strip()
    if not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    return subject[:255]


def note_add(*, ticket: Ticket, author: User, text: str) -> Message:
    with transaction.atomic():
        message = Message.objects.create(
            ticket=ticket,
            direction=Direction.OUTBOUND,
            kind=MessageKind.NOTE,
            author_type=AuthorType.AGENT,
            author=author,
            text=text,
            delivery_state=DeliveryState.RECEIVED,
        )
        events.message_event(message)
    return message


def _enqueue_delivery(message_id: int) -> None:
    from helpdesk.tickets.tasks import message_deliver_task

    # robust: a broker that is down must not fail the request that queued the reply; the
    # message stays queued and the outbound sweep enqueues it again.
    transaction.on_commit(lambda: message_deliver_task.delay(message_id), robust=True)


class RetryLater(Exception):
    def __init__(self, countdown: int) -> None:
        super().__init__(countdown)
        self.countdown = countdown


def _backoff_seconds(attempt: int) -> int:
    return settings.HELPDESK_DELIVERY_BACKOFF_SECONDS * (2 ** max(attempt - 1, 0))


def message_deliver(*, message_id: int) -> str:
    """Hand one queued message to its channel, exactly once.

    The state moves queued -> sending in its own committed transaction before the provider is
    called, so a second task for the same message (a duplicate enqueue, a redelivery after a
    worker died) finds it no longer queued and does nothing. Returns the resulting state.
    Raises RetryLater after a transient failure (the message is queued again).
    """
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(of=("self",))
            .select_related("inbox", "identity", "ticket")
            .get(pk=message_id)
        )
        if message.delivery_state != DeliveryState.QUEUED:
            return "skipped"
        inbox = message.inbox
        if inbox is None or message.identity is None:
            return _mark_failed(message, reason="No channel or recipient for this message.")
        try:
            adapter = get_adapter(inbox.kind)
        except LookupError as exc:
            return _mark_failed(message, reason=str(exc))
        if not adapter.is_configured(inbox.config):
            message.delivery_state = DeliveryState.OUTBOX
            message.delivery_error = ""
            message.save(update_fields=["delivery_state", "delivery_error"])
            events.delivery_event(message)
            return message.delivery_state
        if message.identity.opted_out_at is not None:
            return _mark_failed(message, reason="The customer opted out of messages here.")
        message.delivery_state = DeliveryState.SENDING
        message.delivery_attempts += 1
        message.last_attempt_at = timezone.now()
        message.save(update_fields=["delivery_state", "delivery_attempts", "last_attempt_at"])
        outbound = _outbound_payload(message)

    try:
        result = adapter.send(outbound)
    except DeliveryError as exc:
        if exc.permanent or message.delivery_attempts >= settings.HELPDESK_DELIVERY_MAX_ATTEMPTS:
            return _mark_failed(message, reason=exc.reason, code=exc.code)
        countdown = _backoff_seconds(message.delivery_attempts)
        Message.objects.filter(pk=message.pk, delivery_state=DeliveryState.SENDING).update(
            delivery_state=DeliveryState.QUEUED,
            delivery_error=exc.reason,
            next_attempt_at=timezone.now() + timedelta(seconds=countdown),
        )
        raise RetryLater(countdown) from exc

    message.delivery_state = DeliveryState.SENT
    message.delivery_error = ""
    message.sent_at = timezone.now()
    message.next_attempt_at = None
    message.external_id = result.external_id or message.external_id
    message.save(
        update_fields=[
            "delivery_state",
            "delivery_error",
            "sent_at",
            "next_attempt_at",
            "external_id",
        ]
    )
    events.delivery_event(message)
    return message.delivery_state


def _mark_failed(message: Message, *, reason: str, code: str = "") -> str:
    message.delivery_state = DeliveryState.FAILED
    message.delivery_error = f"{code}: {reason}" if code and code not in reason else reason
    message.next_attempt_at = None
    message.save(update_fields=["delivery_state", "delivery_error", "next_attempt_at"])
    events.delivery_event(message)
    return message.delivery_state


def _outbound_payload(message: Message) -> OutboundMessage:
    ticket = message.ticket
    inbox = message.inbox
    identity = message.identity
    assert inbox is not None and identity is not None
    earlier_ids = (
        ticket.messages.filter(inbox=inbox, kind=MessageKind.MESSAGE, external_id__isnull=False)
        .exclude(pk=message.pk)
        .order_by("created_at", "id")
        .values_list("external_id", flat=True)
    )
    thread = tuple(external_id for external_id in earlier_ids if external_id)
    return OutboundMessage(
        message_id=message.pk,
        ticket_id=ticket.pk,
        inbox_id=inbox.pk,
        inbox_name=inbox.name,
        inbox_config=dict(inbox.config),
        to=Recipient(kind=identity.kind, address=identity.address, name=identity.display_name),
        text=message.text,
        html=message.html,
        subject=message.subject,
        external_id=message.external_id,
        thread=thread,
        attachments=tuple(
            OutboundAttachment(a.filename, a.content_type, a.file.path)
            for a in message.attachments.all()
        ),
        language=ticket.language or ticket.contact.language,
        metadata=dict(message.metadata),
    )


def outbound_requeue_stale(*, now: datetime | None = None) -> dict[str, int]:
    """Sweep the outbound queue: re-enqueue due retries, fail sends a worker abandoned.

    A message left in ``sending`` by a worker that died mid-call may or may not have reached
    the customer; it is marked failed with that reason rather than risking a second send.
    """
    now = now or timezone.now()
    due = list(
        Message.objects.filter(delivery_state=DeliveryState.QUEUED)
        .filter(
            Q(next_attempt_at__lte=now)
            # queued but never picked up: the enqueue was lost (broker down at commit)
            | Q(next_attempt_at__isnull=True, created_at__lte=now - timedelta(minutes=2))
        )
        .values_list("pk", flat=True)[:1000]
    )
    for message_id in due:
        _enqueue_delivery(message_id)
    abandoned = Message.objects.filter(
        delivery_state=DeliveryState.SENDING,
        last_attempt_at__lte=now - timedelta(minutes=15),
    )
    failed = 0
    for message in abandoned.select_related("ticket")[:1000]:
        _mark_failed(
            message,
            reason="Sending was interrupted; the message may not have reached the customer.",
        )
        failed += 1
    return {"requeued": len(due), "abandoned": failed}
