"""Outbound: replies and notes, delivery through the channel adapters, the requeue sweep."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from helpdesk import domain_events
from helpdesk.celery import task_named
from helpdesk.channels import get_adapter
from helpdesk.contacts.models import ContactIdentity
from helpdesk.contracts import (
    ChannelAdapter,
    DeliveryError,
    OutboundAttachment,
    OutboundMessage,
    Recipient,
    SendResult,
)
from helpdesk.tickets import events
from helpdesk.tickets.models import (
    IDENTITY_KIND_FOR_INBOX,
    AuthorType,
    DeliveryState,
    Direction,
    Inbox,
    Message,
    MessageKind,
    ThreadingReason,
    Ticket,
    TicketStatus,
)
from helpdesk.tickets.services.actions import ticket_set_status
from helpdesk.tickets.services.common import attachment_store, stored_files_cleanup

logger = logging.getLogger(__name__)


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


def _new_external_id(ticket: Ticket, inbox: Inbox) -> str | None:
    """Our own id for the message, on a channel that lets us choose it (email's Message-ID)."""
    new_id = getattr(_adapter_or_none(inbox.kind), "new_external_id", None)
    return new_id(ticket_id=ticket.pk) if new_id else None


def _adapter_or_none(kind: str) -> object | None:
    try:
        return get_adapter(kind)
    except LookupError:
        return None


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
        inbox = _reply_inbox(ticket, identity)
    now = timezone.now()
    with stored_files_cleanup(), transaction.atomic():
        message = Message.objects.create(
            ticket=ticket,
            inbox=inbox,
            direction=Direction.OUTBOUND,
            kind=MessageKind.MESSAGE,
            author_type=author_type,
            author=author,
            identity=identity,
            subject=_reply_subject(ticket, inbox),
            text=text,
            html=html,
            external_id=_new_external_id(ticket, inbox),
            threading_reason=ThreadingReason.AGENT,
            delivery_state=DeliveryState.QUEUED,
            next_attempt_at=send_after,
            metadata=metadata or {},
        )
        for filename, content_type, content in files:
            attachment_store(
                message=message, filename=filename, content_type=content_type, content=content
            )
        first_response = _ticket_touch_outbound(
            ticket, author=author, author_type=author_type, now=now
        )
        events.message_event(message)
        domain_events.emit(
            domain_events.ReplySent(
                ticket_id=ticket.pk,
                message_id=message.pk,
                author_id=author.pk if author else None,
                author_type=str(author_type),
                first_response=first_response,
            )
        )
        if send_after is None or send_after <= now:
            _enqueue_delivery(message.pk)
    return message


def _reply_inbox(ticket: Ticket, identity: ContactIdentity | None) -> Inbox:
    """The ticket's inbox, or the first enabled inbox of the recipient's kind of address
    when the reply goes elsewhere (an SMS answer to an email ticket)."""
    inbox = ticket.inbox
    if identity is None or identity.kind == inbox.identity_kind:
        return inbox
    return (
        Inbox.objects.filter(enabled=True, kind__in=_inbox_kinds_for(identity.kind))
        .order_by("pk")
        .first()
        or inbox
    )


def _ticket_touch_outbound(
    ticket: Ticket, *, author: User | None, author_type: str, now: datetime
) -> bool:
    """A reply went out: the ticket moves up, a new one opens, the first agent reply is
    stamped. Saves the ticket; returns whether this was the first agent reply."""
    fields = ["last_message_at", "updated_at"]
    ticket.last_message_at = now
    first_response = author_type == AuthorType.AGENT and ticket.first_response_at is None
    if first_response:
        ticket.first_response_at = now
        fields.append("first_response_at")
    if ticket.status == TicketStatus.NEW:
        ticket.status = TicketStatus.OPEN
        fields.append("status")
        domain_events.emit(
            domain_events.TicketStatusChanged(
                ticket_id=ticket.pk,
                old=TicketStatus.NEW,
                new=TicketStatus.OPEN,
                actor_id=author.pk if author else None,
            )
        )
    ticket.save(update_fields=fields)
    return first_response


def _inbox_kinds_for(identity_kind: str) -> list[str]:
    return [str(k) for k, v in IDENTITY_KIND_FOR_INBOX.items() if v == identity_kind]


def _reply_subject(ticket: Ticket, inbox: Inbox) -> str:
    """ "Re: <subject>", with the "[#id]" token on channels that thread by it (email)."""
    subject = ticket.subject or ""
    token = f"[#{ticket.pk}]"
    if getattr(_adapter_or_none(inbox.kind), "subject_token", False) and token not in subject:
        subject = f"{subject} {token}".strip()
    if not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    return subject[:255]


def note_add(
    *, ticket: Ticket, author: User, text: str, files: tuple[tuple[str, str, bytes], ...] = ()
) -> Message:
    with stored_files_cleanup(), transaction.atomic():
        message = Message.objects.create(
            ticket=ticket,
            direction=Direction.OUTBOUND,
            kind=MessageKind.NOTE,
            author_type=AuthorType.AGENT,
            author=author,
            text=text,
            delivery_state=DeliveryState.RECEIVED,
        )
        for filename, content_type, content in files:
            attachment_store(
                message=message, filename=filename, content_type=content_type, content=content
            )
        events.message_event(message)
    return message


def ticket_respond(
    *,
    ticket: Ticket,
    author: User,
    text: str,
    internal: bool = False,
    identity: ContactIdentity | None = None,
    files: tuple[tuple[str, str, bytes], ...] = (),
    then_status: str = "",
) -> Message:
    """An agent's answer from the workspace: a reply (or an internal note) with its
    attachments, then the ticket's new status, in one transaction. Live listeners hear of it
    after commit, whole; if any step fails, nothing is stored."""
    with stored_files_cleanup(), transaction.atomic():
        if internal:
            message = note_add(ticket=ticket, author=author, text=text, files=files)
        else:
            message = message_reply(
                ticket=ticket, author=author, text=text, identity=identity, files=files
            )
        if then_status:
            ticket_set_status(ticket=ticket, status=then_status, actor=author)
    return message


DELIVER_TASK = "helpdesk.tickets.tasks.message_deliver_task"


def _enqueue_delivery(message_id: int) -> None:
    # robust: a broker that is down must not fail the request that queued the reply; the
    # message stays queued and the outbound sweep enqueues it again.
    transaction.on_commit(lambda: task_named(DELIVER_TASK).delay(message_id), robust=True)


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
    claimed = _delivery_claim(message_id)
    if isinstance(claimed, str):
        return claimed
    message, adapter, outbound = claimed
    try:
        result = adapter.send(outbound)
    except DeliveryError as exc:
        return _delivery_failed(message, exc)
    return _delivery_sent(message, result)


def _delivery_claim(message_id: int) -> str | tuple[Message, ChannelAdapter, OutboundMessage]:
    """Lock the message and move it to sending (committed before the provider is called);
    or settle it at once, returning its state: skipped, failed, kept in the outbox."""
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
        return message, adapter, _outbound_payload(message)


def _delivery_failed(message: Message, exc: DeliveryError) -> str:
    """Failed for good (permanent, or out of attempts), or queued again after a back-off
    (raises RetryLater)."""
    if exc.permanent or message.delivery_attempts >= settings.HELPDESK_DELIVERY_MAX_ATTEMPTS:
        return _mark_failed(message, reason=exc.reason, code=exc.code)
    countdown = _backoff_seconds(message.delivery_attempts)
    Message.objects.filter(pk=message.pk, delivery_state=DeliveryState.SENDING).update(
        delivery_state=DeliveryState.QUEUED,
        delivery_error=exc.reason,
        next_attempt_at=timezone.now() + timedelta(seconds=countdown),
    )
    raise RetryLater(countdown) from exc


def _delivery_sent(message: Message, result: SendResult) -> str:
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
            for a in message.attachments.order_by("pk")
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
