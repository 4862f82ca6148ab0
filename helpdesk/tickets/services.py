"""Writes on tickets and messages: the one path every channel's messages take."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import IntegrityError, connections, models, router, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_in.base import (
    DeliveryError,
    InboundMessage,
    OutboundAttachment,
    OutboundMessage,
    Recipient,
    Sender,
)
from channels_in.registry import get_adapter
from helpdesk.contacts.models import Contact, ContactIdentity, normalize_address
from helpdesk.contacts.services import identity_sighting_note
from helpdesk.security.files import safe_filename
from helpdesk.tickets import events
from helpdesk.tickets.models import (
    UNSOLVED_STATUSES,
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
    return messages_receive(inbounds=[inbound])[0]


def messages_receive(*, inbounds: list[InboundMessage]) -> list[ReceiveResult]:
    """Store a batch of inbound messages in one transaction; results in the same order.

    Each message gets the outcome ``message_receive`` would give it one after the other
    (a later message of the batch threads into a ticket an earlier one opened), but what the
    batch shares is read once: the inbox, which messages are already stored, the senders'
    identities, the contacts' recent tickets, SLA policies, automation rules; and its live
    events go out together. If it raises, nothing of the batch is stored: callers then
    receive the batch one message at a time to isolate the one that fails.
    """
    try:
        with transaction.atomic():
            return _receive_batch(inbounds)
    except IntegrityError:
        with transaction.atomic():
            return _receive_batch(inbounds)


def _receive_batch(inbounds: list[InboundMessage]) -> list[ReceiveResult]:
    batches: dict[int, _ReceiveBatch] = {}
    with events.batched():
        results = []
        for inbound in inbounds:
            batch = batches.get(inbound.inbox_id)
            if batch is None:
                same_inbox = [i for i in inbounds if i.inbox_id == inbound.inbox_id]
                batch = batches[inbound.inbox_id] = _ReceiveBatch(same_inbox)
            results.append(batch.receive(inbound))
        for batch in batches.values():
            batch.save()
    return results


class _ReceiveBatch:
    """The reads a batch of one inbox's messages shares, and the writes it can put off."""

    def __init__(self, inbounds: list[InboundMessage]) -> None:
        self.inbox = Inbox.objects.select_related("team").get(pk=inbounds[0].inbox_id)
        external_ids = {i.external_id for i in inbounds if i.external_id}
        self.stored: dict[str, Message] = {}
        if external_ids:
            for message in Message.objects.select_related("ticket").filter(
                inbox=self.inbox, external_id__in=external_ids
            ):
                self.stored[message.external_id or ""] = message
        # The raw payloads of the messages that are not duplicates, in one statement.
        fresh, seen = [], set(self.stored)
        for inbound in inbounds:
            if inbound.external_id:
                if inbound.external_id in seen:
                    continue
                seen.add(inbound.external_id)
            if inbound.raw:
                fresh.append(
                    RawInbound(
                        inbox=self.inbox,
                        source=inbound.source[:255],
                        content_type=inbound.raw_content_type[:255],
                        payload=inbound.raw,
                        status=RawStatus.ACCEPTED,
                    )
                )
        self.raws = deque(RawInbound.objects.bulk_create(fresh))
        by_kind: dict[str, set[str]] = {}
        for inbound in inbounds:
            by_kind.setdefault(inbound.sender.kind, set()).add(
                normalize_address(inbound.sender.kind, inbound.sender.address)
            )
        self.identities: dict[tuple[str, str], ContactIdentity] = {}
        for kind, addresses in by_kind.items():
            for identity in ContactIdentity.objects.select_related("contact").filter(
                kind=kind, address__in=addresses
            ):
                self.identities[(kind, identity.address)] = identity
        self.known_contacts = {identity.contact_id for identity in self.identities.values()}
        self.new_identities = self._identities_create(inbounds)
        self.with_orders = set(
            Order.objects.filter(contact_id__in=self.known_contacts)
            .values_list("contact_id", flat=True)
            .distinct()
        )
        self.touched: dict[int, Ticket] = {}  # each contact's ticket this batch wrote last
        # One instance per ticket for the whole batch, saved once at its end.
        self.tickets: dict[int, Ticket] = {}
        self.unsaved: dict[int, set[str]] = {}
        self.sighted: dict[int, tuple[ContactIdentity, set[str], set[str]]] = {}
        self._rules: dict[str, list] = {}

    def _identities_create(self, inbounds: list[InboundMessage]) -> set[tuple[str, str]]:
        """Senders never seen before, each with a new contact, from their first message;
        two statements for the batch. Returns their keys."""
        first: dict[tuple[str, str], Sender] = {}
        for inbound in inbounds:
            key = (
                inbound.sender.kind,
                normalize_address(inbound.sender.kind, inbound.sender.address),
            )
            if key not in self.identities:
                first.setdefault(key, inbound.sender)
        if not first:
            return set()
        now = timezone.now()
        contacts = Contact.objects.bulk_create(
            [Contact(name=sender.name[:200]) for sender in first.values()]
        )
        created = ContactIdentity.objects.bulk_create(
            [
                ContactIdentity(
                    contact=contact,
                    kind=kind,
                    address=address,
                    display_name=sender.name[:200],
                    verified=sender.verified,
                    last_seen_at=now,
                )
                for ((kind, address), sender), contact in zip(first.items(), contacts, strict=True)
            ]
        )
        self.identities.update(zip(first, created, strict=True))
        return set(first)

    @cached_property
    def latest(self) -> dict[int, Ticket]:
        """Each known contact's latest ticket here that the reopen window may still join."""
        latest: dict[int, Ticket] = {}
        for ticket in (
            Ticket.objects.filter(
                contact_id__in=self.known_contacts, inbox=self.inbox, merged_into__isnull=True
            )
            .exclude(status=TicketStatus.CLOSED)
            .filter(last_message_at__gte=timezone.now() - self.inbox.reopen_window)
            .order_by("-last_message_at", "-id")
        ):
            latest.setdefault(ticket.contact_id, ticket)
        return latest

    @cached_property
    def sla_policies(self) -> list:
        from helpdesk.sla.selectors import sla_policies_active

        return sla_policies_active()

    def rules(self, trigger: str) -> list:
        from helpdesk.automations.services import rules_active

        if trigger not in self._rules:
            self._rules[trigger] = rules_active(trigger)
        return self._rules[trigger]

    def recent(
        self, *, inbound: InboundMessage, inbox: Inbox, contact: Contact, now: datetime
    ) -> Ticket | None:
        """``by_reopen_window``, answered from what the batch read and did so far."""
        ticket = self.touched.get(contact.pk) or self.latest.get(contact.pk)
        if ticket is not None:
            ticket = self.tickets.get(ticket.pk, ticket)
        if (
            ticket is None
            or ticket.status == TicketStatus.CLOSED
            or ticket.merged_into_id is not None
            or ticket.last_message_at is None
            or ticket.last_message_at < now - inbox.reopen_window
        ):
            return None
        return ticket

    def identity_for(self, inbound: InboundMessage, now: datetime) -> ContactIdentity:
        sender = inbound.sender
        key = (sender.kind, normalize_address(sender.kind, sender.address))
        identity = self.identities[key]
        if key in self.new_identities:  # created from this very message
            self.new_identities.discard(key)
            return identity
        fields, contact_fields = identity_sighting_note(
            identity, name=sender.name, verified=sender.verified, seen_at=now
        )
        _identity, old_fields, old_contact_fields = self.sighted.get(
            identity.pk, (identity, set(), set())
        )
        self.sighted[identity.pk] = (
            identity,
            old_fields | set(fields),
            old_contact_fields | set(contact_fields),
        )
        return identity

    def save(self) -> None:
        """What the batch put off: the tickets, identities and contacts it changed, one
        statement per model and set of changed fields."""
        now = timezone.now()
        tickets = []
        for pk, fields in self.unsaved.items():
            self.tickets[pk].updated_at = now
            tickets.append((self.tickets[pk], fields | {"updated_at"}))
        _update_many(Ticket, tickets)
        _update_many(ContactIdentity, [(i, fields) for i, fields, _c in self.sighted.values()])
        contacts = []
        for identity, _fields, fields in self.sighted.values():
            if fields:
                identity.contact.updated_at = now
                contacts.append((identity.contact, fields | {"updated_at"}))
        _update_many(Contact, contacts)

    def receive(self, inbound: InboundMessage) -> ReceiveResult:
        inbox = self.inbox
        if inbound.external_id:
            existing = self.stored.get(inbound.external_id)
            if existing is not None:
                return ReceiveResult("duplicate", existing.ticket, existing)

        now = timezone.now()
        raw = self.raws.popleft() if inbound.raw else None
        identity = self.identity_for(inbound, now)
        contact = identity.contact
        if inbound.language and not contact.language:
            contact.language = inbound.language
            contact.save(update_fields=["language", "updated_at"])

        ticket, reason = ticket_for_inbound(
            inbound=inbound, inbox=inbox, contact=contact, now=now, recent=self.recent
        )
        created = ticket is None
        if ticket is not None:
            ticket = self.tickets.setdefault(ticket.pk, ticket)
        else:
            ticket = Ticket.objects.create(
                contact=contact,
                inbox=inbox,
                team=inbox.team,
                subject=_subject_for(inbound),
                language=inbound.language or contact.language,
                last_message_at=now,
                last_inbound_at=now,
            )
            self.tickets[ticket.pk] = ticket
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
            external_id=inbound.external_id or None,
            threading_reason=reason,
            metadata=dict(inbound.metadata),
            raw=raw,
            delivery_state=DeliveryState.RECEIVED,
        )
        if inbound.external_id:
            self.stored[inbound.external_id] = message
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
            self.unsaved.setdefault(ticket.pk, set()).update(_ticket_touch_inbound(ticket, now=now))
        if ticket.order_id is None and contact.pk in self.with_orders:
            ticket_link_order_from_message(ticket=ticket, message=message)
        if created:
            _ticket_start_clocks(ticket, policies=self.sla_policies)
        trigger = "created" if created else "updated"
        _automations_run(ticket, trigger=trigger, rules=self.rules(trigger))
        if ticket.inbox_id == inbox.pk:
            self.touched[ticket.contact_id] = ticket
        events.message_event(message, created_ticket=created)
        return ReceiveResult("created" if created else "threaded", ticket, message)


def _update_many(model: type[models.Model], changes: list[tuple[Any, set[str]]]) -> None:
    """Save each object's changed fields: one ``executemany`` per set of fields.

    Django's ``bulk_update`` would do it in one statement, but its CASE expressions take
    longer to build than the statement takes to run; one ``save()`` each, longer still.
    """
    by_fields: dict[tuple[str, ...], list] = {}
    for obj, fields in changes:
        if fields:
            by_fields.setdefault(tuple(sorted(fields)), []).append(obj)
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    meta = model._meta
    concrete = {field.name: field for field in meta.concrete_fields}
    for names, objs in by_fields.items():
        columns = [concrete[name] for name in names]
        # Only the model's own table and column names are spliced in; values are parameters.
        sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608
            quote(meta.db_table),
            ", ".join(f"{quote(column.column)} = %s" for column in columns),
            quote(meta.pk.column),
        )
        rows = [
            [
                column.get_db_prep_save(getattr(obj, column.attname), connection)
                for column in columns
            ]
            + [obj.pk]
            for obj in objs
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)


def _ticket_start_clocks(ticket: Ticket, *, policies: list | None = None) -> None:
    from helpdesk.sla.services import sla_apply

    fields = sla_apply(ticket=ticket, policies=policies)
    if fields:
        ticket.save(update_fields=fields)


def _automations_run(ticket: Ticket, *, trigger: str, rules: list | None = None) -> None:
    from helpdesk.automations.services import automations_run

    automations_run(ticket=ticket, trigger=trigger, rules=rules)


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


def _ticket_touch_inbound(ticket: Ticket, *, now: datetime) -> list[str]:
    """A customer wrote on the ticket: it moves up and reopens. Changes the instance;
    returns the changed fields for the caller to save."""
    ticket.last_message_at = now
    ticket.last_inbound_at = now
    fields = ["last_message_at", "last_inbound_at", "updated_at"]
    if ticket.status in {TicketStatus.PENDING, TicketStatus.SOLVED}:
        if ticket.status == TicketStatus.SOLVED:
            ticket.reopened_count += 1
            ticket.solved_at = None
            fields += ["reopened_count", "solved_at"]
        ticket_status_event(ticket, old=ticket.status, new=TicketStatus.OPEN, actor=None)
        fields += _sla_status_change(ticket, old=ticket.status, new=TicketStatus.OPEN, now=now)
        ticket.status = TicketStatus.OPEN
        ticket.status_changed_at = now
        fields += ["status", "status_changed_at"]
    return fields


def attachment_store(
    *,
    message: Message,
    filename: str,
    content_type: str,
    content: bytes,
    content_id: str = "",
    inline: bool = False,
) -> Attachment:
    safe_name = safe_filename(filename)
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


def _sla_status_change(ticket: Ticket, *, old: str, new: str, now: datetime) -> list[str]:
    from helpdesk.sla.services import sla_status_change

    return sla_status_change(ticket=ticket, old=old, new=new, now=now)


def ticket_set_status(
    *,
    ticket: Ticket,
    status: str,
    actor: User | None = None,
    automate: bool = True,
) -> Ticket:
    if status not in TicketStatus.values:
        raise ValueError(f"unknown status {status!r}")
    if status == ticket.status:
        return ticket
    now = timezone.now()
    old = ticket.status
    with transaction.atomic():
        _sla_status_change(ticket, old=old, new=status, now=now)
        ticket.status = status
        ticket.status_changed_at = now
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
        if automate:
            _automations_run(ticket, trigger="updated")
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


# --- Agent workspace: assignment, priority, tags, merge, split, orders, contacts ---------------


def ticket_event_record(
    on: Ticket, *, actor: User | None, event: str, **details: object
) -> Message:
    """Record something that happened to the ticket ``on`` in its timeline."""
    return Message.objects.create(
        ticket=on,
        direction=Direction.OUTBOUND,
        kind=MessageKind.EVENT,
        author_type=AuthorType.AGENT if actor else AuthorType.SYSTEM,
        author=actor,
        delivery_state=DeliveryState.RECEIVED,
        metadata={"event": event, **details},
    )


def _user_label(user: User | None) -> str:
    if user is None:
        return ""
    profile = getattr(user, "agent_profile", None)
    return profile.name if profile else user.get_username()


def ticket_assign(
    *,
    ticket: Ticket,
    assignee: User | None,
    actor: User | None = None,
    automate: bool = True,
) -> Ticket:
    """Give the ticket to an agent (or to nobody)."""
    if assignee is not None and getattr(assignee, "agent_profile", None) is None:
        raise ValueError(_("Only support staff can be assigned tickets."))
    if ticket.assignee_id == (assignee.pk if assignee else None):
        return ticket
    with transaction.atomic():
        ticket.assignee = assignee
        ticket.save(update_fields=["assignee", "updated_at"])
        if assignee is not None:
            from helpdesk.accounts.models import AgentProfile

            AgentProfile.objects.filter(user=assignee).update(last_assigned_at=timezone.now())
        ticket_event_record(
            ticket,
            actor=actor,
            event="assign",
            to=_user_label(assignee),
            to_id=assignee.pk if assignee else None,
        )
        if automate:
            _automations_run(ticket, trigger="updated")
        events.ticket_event(ticket, change="assignee")
    return ticket


def ticket_set_team(
    *, ticket: Ticket, team, actor: User | None = None, automate: bool = True
) -> Ticket:
    if ticket.team_id == (team.pk if team else None):
        return ticket
    with transaction.atomic():
        ticket.team = team
        ticket.save(update_fields=["team", "updated_at"])
        ticket_event_record(
            ticket,
            actor=actor,
            event="team",
            to=team.name if team else "",
            to_id=getattr(team, "pk", None),
        )
        if automate:
            _automations_run(ticket, trigger="updated")
        events.ticket_event(ticket, change="team")
    return ticket


def ticket_assign_round_robin(
    *, ticket: Ticket, team, actor: User | None = None, automate: bool = False
) -> User | None:
    """Assign to the team's available agent who waited longest for a ticket, skipping agents
    at their open-ticket cap. Returns the agent, or None when everyone is full or away."""
    from django.db.models import Count, F, Q

    from helpdesk.accounts.models import AgentProfile

    with transaction.atomic():
        # Lock the team's rows so two tickets arriving together never pick the same agent
        # past their cap.
        candidates = list(
            AgentProfile.objects.select_for_update(of=("self",))
            .filter(teams=team, available=True, user__is_active=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not candidates:
            return None
        profile = (
            AgentProfile.objects.filter(pk__in=candidates)
            .annotate(
                load=Count(
                    "user__assigned_tickets",
                    filter=Q(user__assigned_tickets__status__in=UNSOLVED_STATUSES),
                )
            )
            .filter(load__lt=F("max_open_tickets"))
            .select_related("user")
            .order_by(F("last_assigned_at").asc(nulls_first=True), "pk")
            .first()
        )
        if profile is None:
            return None
        if ticket.team_id != team.pk:
            ticket_set_team(ticket=ticket, team=team, actor=actor, automate=False)
        ticket_assign(ticket=ticket, assignee=profile.user, actor=actor, automate=automate)
        return profile.user


def ticket_set_priority(
    *, ticket: Ticket, priority: int, actor: User | None = None, automate: bool = True
) -> Ticket:
    """Change the priority; the SLA targets follow the policy of the new priority, counted
    from the ticket's creation."""
    from helpdesk.sla.services import sla_apply
    from helpdesk.tickets.models import Priority

    priority = int(priority)
    if priority not in Priority.values:
        raise ValueError(f"unknown priority {priority!r}")
    if priority == ticket.priority:
        return ticket
    with transaction.atomic():
        old = ticket.priority
        ticket.priority = priority
        fields = ["priority", "updated_at"]
        if ticket.sla_paused_at is None:
            fields += sla_apply(ticket=ticket)
        ticket.save(update_fields=fields)
        ticket_event_record(ticket, actor=actor, event="priority", **{"from": old, "to": priority})
        if automate:
            _automations_run(ticket, trigger="updated")
        events.ticket_event(ticket, change="priority")
    return ticket


def ticket_tags_change(
    *,
    ticket: Ticket,
    add: list[str] = (),  # type: ignore[assignment]
    remove: list[str] = (),  # type: ignore[assignment]
    actor: User | None = None,
    automate: bool = True,
) -> Ticket:
    from helpdesk.tickets.models import Tag

    add_names = {n.strip()[:50] for n in add if n and n.strip()}
    remove_names = {n.strip() for n in remove if n and n.strip()}
    with transaction.atomic():
        current = set(ticket.tags.values_list("name", flat=True))
        to_add = add_names - current
        to_remove = remove_names & current
        if not to_add and not to_remove:
            return ticket
        for name in sorted(to_add):
            tag, _created = Tag.objects.get_or_create(name=name)
            ticket.tags.add(tag)
        if to_remove:
            ticket.tags.remove(*Tag.objects.filter(name__in=to_remove))
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now())
        ticket_event_record(
            ticket, actor=actor, event="tags", added=sorted(to_add), removed=sorted(to_remove)
        )
        if automate:
            _automations_run(ticket, trigger="updated")
        events.ticket_event(ticket, change="tags")
    return ticket


def ticket_merge(*, source: Ticket, target: Ticket, actor: User | None = None) -> Ticket:
    """Move every message of ``source`` into ``target`` (keeping their times) and close
    ``source``, which points at ``target`` from then on."""
    if source.pk == target.pk:
        raise ValueError(_("A ticket cannot be merged into itself."))
    if target.merged_into_id is not None:
        raise ValueError(_("The target ticket was itself merged away."))
    with transaction.atomic():
        locked = {
            t.pk: t
            for t in Ticket.objects.select_for_update().filter(pk__in=[source.pk, target.pk])
        }
        source, target = locked[source.pk], locked[target.pk]
        moved = Message.objects.filter(ticket=source).update(ticket=target)
        target.tags.add(*source.tags.all())
        fields = ["updated_at"]
        if target.order_id is None and source.order_id is not None:
            target.order_id = source.order_id
            fields.append("order")
        for name in ("last_message_at", "last_inbound_at"):
            a, b = getattr(source, name), getattr(target, name)
            if a and (b is None or a > b):
                setattr(target, name, a)
                fields.append(name)
        target.save(update_fields=fields)
        now = timezone.now()
        source.merged_into = target
        old_status = source.status
        source.status = TicketStatus.CLOSED
        source.closed_at = now
        source.solved_at = source.solved_at or now
        source.status_changed_at = now
        source.sla_paused_at = None
        source.save(
            update_fields=[
                "merged_into",
                "status",
                "closed_at",
                "solved_at",
                "status_changed_at",
                "sla_paused_at",
                "updated_at",
            ]
        )
        ticket_event_record(source, actor=actor, event="merged_into", ticket=target.pk)
        if old_status != TicketStatus.CLOSED:
            ticket_status_event(source, old=old_status, new=TicketStatus.CLOSED, actor=actor)
        ticket_event_record(
            target, actor=actor, event="merged_from", ticket=source.pk, messages=moved
        )
        events.ticket_event(source, change="merged")
        events.ticket_event(target, change="merged")
    return target


def ticket_split(*, message: Message, actor: User | None = None) -> Ticket:
    """Move one customer message (and its attachments) into a new ticket of the same
    contact and inbox."""
    if message.kind != MessageKind.MESSAGE:
        raise ValueError(_("Only a message can be split off, not a note or an event."))
    with transaction.atomic():
        message = Message.objects.get(pk=message.pk)
        source = Ticket.objects.select_for_update().get(pk=message.ticket_id)
        others = source.messages.filter(kind=MessageKind.MESSAGE).exclude(pk=message.pk).exists()
        if not others:
            raise ValueError(_("This is the ticket's only message: nothing to split it from."))
        now = timezone.now()
        subject = message.subject or (message.text.strip().splitlines() or [""])[0][:80]
        new = Ticket.objects.create(
            contact=source.contact,
            inbox=message.inbox or source.inbox,
            team=source.team,
            subject=subject[:255] or source.subject,
            priority=source.priority,
            language=source.language,
            last_message_at=message.created_at,
            last_inbound_at=message.created_at if message.direction == Direction.INBOUND else None,
        )
        Message.objects.filter(pk=message.pk).update(ticket=new)
        _ticket_start_clocks(new)
        ticket_event_record(
            source, actor=actor, event="split_to", ticket=new.pk, message=message.pk
        )
        ticket_event_record(
            new, actor=actor, event="split_from", ticket=source.pk, message=message.pk
        )
        Ticket.objects.filter(pk=source.pk).update(updated_at=now)
        events.ticket_event(source, change="split")
        events.ticket_event(new, change="created")
    return new


def ticket_link_order(*, ticket: Ticket, order: Order | None, actor: User | None = None) -> Ticket:
    """Link one of the ticket contact's own orders, or unlink with ``order=None``."""
    if order is not None and order.contact_id != ticket.contact_id:
        raise ValueError(_("This order belongs to another customer."))
    if ticket.order_id == (order.pk if order else None):
        return ticket
    with transaction.atomic():
        ticket.order = order
        ticket.save(update_fields=["order", "updated_at"])
        ticket_event_record(
            ticket,
            actor=actor,
            event="order_link" if order else "order_unlink",
            order=order.number if order else "",
        )
        events.ticket_event(ticket, change="order")
    return ticket


def contact_merge(*, source: Contact, target: Contact, actor: User | None = None) -> Contact:
    """One person known as two contacts: identities, tickets and orders of ``source`` move to
    ``target``; ``source`` stays, empty, pointing at ``target``."""
    if source.pk == target.pk:
        raise ValueError(_("A contact cannot be merged into itself."))
    if target.merged_into_id is not None:
        raise ValueError(_("The target contact was itself merged away."))
    with transaction.atomic():
        ContactIdentity.objects.filter(contact=source).update(contact=target)
        ticket_ids = list(Ticket.objects.filter(contact=source).values_list("pk", flat=True))
        Ticket.objects.filter(pk__in=ticket_ids).update(contact=target)
        Order.objects.filter(contact=source).update(contact=target)
        fields = []
        for name in ("name", "language", "time_zone"):
            if not getattr(target, name) and getattr(source, name):
                setattr(target, name, getattr(source, name))
                fields.append(name)
        if fields:
            target.save(update_fields=[*fields, "updated_at"])
        source.merged_into = target
        source.save(update_fields=["merged_into", "updated_at"])
        for ticket in Ticket.objects.filter(pk__in=ticket_ids):
            ticket_event_record(
                ticket, actor=actor, event="contact_merged", source=source.pk, target=target.pk
            )
            events.ticket_event(ticket, change="contact")
    return target
