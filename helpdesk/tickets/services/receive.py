"""The receive path: inbound messages, one or a batch, stored in one transaction."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from helpdesk import conversation, domain_events
from helpdesk.contacts.models import Contact, ContactIdentity, normalize_address
from helpdesk.contacts.services import identity_sighting_note
from helpdesk.contracts import (
    InboundMessage,
    ReceiveResult,
    Sender,
)
from helpdesk.security.inbound import inbound_bounded
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
from helpdesk.tickets.rules import rules_active
from helpdesk.tickets.services.common import (
    _automations_run,
    _update_many,
    attachment_store,
    stored_files_cleanup,
    ticket_status_event,
)
from helpdesk.tickets.threading import reply_ticket, ticket_for_inbound

if TYPE_CHECKING:
    from orders_link.models import Order

logger = logging.getLogger(__name__)


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
        with stored_files_cleanup(), transaction.atomic():
            return _receive_batch(inbounds)
    except IntegrityError:
        with stored_files_cleanup(), transaction.atomic():
            return _receive_batch(inbounds)


def _receive_batch(inbounds: list[InboundMessage]) -> list[ReceiveResult]:
    batches: dict[int, _ReceiveBatch] = {}
    with events.batched(), domain_events.batched():
        results = []
        for inbound in inbounds:
            batch = batches.get(inbound.inbox_id)
            if batch is None:
                same_inbox = [i for i in inbounds if i.inbox_id == inbound.inbox_id]
                batch = batches[inbound.inbox_id] = _ReceiveBatch(same_inbox)
            results.append(batch.receive(inbound))
        for batch in batches.values():
            batch.flush()
            batch.save()
    return results


class _ReceiveBatch:
    """The reads a batch of one inbox's messages shares, and the writes it can put off."""

    def __init__(self, inbounds: list[InboundMessage]) -> None:
        self.inbox = Inbox.objects.select_related("team").get(pk=inbounds[0].inbox_id)
        # The messages the batch's replies name, stored or stored by this batch (newest wins).
        self.named: dict[str, Message] = {}
        self.stored = self._stored_read(inbounds)
        self.raws = deque(RawInbound.objects.bulk_create(self._raws_fresh(inbounds)))
        self.identities = self._identities_read(inbounds)
        self.known_contacts = {identity.contact_id for identity in self.identities.values()}
        self.new_identities = self._identities_create(inbounds)
        # Every contact the batch writes for: a subscriber may read for all of them at once.
        self.contact_ids = frozenset(i.contact_id for i in self.identities.values())
        self.touched: dict[int, Ticket] = {}  # each contact's ticket this batch wrote last
        # One instance per ticket for the whole batch, saved once at its end.
        self.tickets: dict[int, Ticket] = {}
        self.unsaved: dict[int, set[str]] = {}
        self.sighted: dict[int, tuple[ContactIdentity, set[str], set[str]]] = {}
        self.contacts_changed: dict[int, tuple[Contact, set[str]]] = {}
        self._rules: dict[str, list] = {}
        # Written together by ``flush``: the tickets the batch opened, its messages (with their
        # attachments), and the events that announce them once they have ids, in order.
        self.new_tickets: list[Ticket] = []
        self.new_messages: list[tuple[Message, InboundMessage]] = []
        self.announcements: list[tuple[Message, bool, str | None]] = []
        self._order: dict[int, int] = {}  # id() of each message the batch stored -> its rank

    def _stored_read(self, inbounds: list[InboundMessage]) -> dict[str, Message]:
        """The batch's messages already stored here, by external id (repeated deliveries),
        read with the messages its replies name (``self.named``), in one statement."""
        external_ids = {i.external_id for i in inbounds if i.external_id}
        named = {ref for i in inbounds for ref in i.in_reply_to}
        if not external_ids and not named:
            return {}
        stored: dict[str, Message] = {}
        for message in Message.objects.select_related("ticket").filter(
            inbox=self.inbox, external_id__in=external_ids | named
        ):
            if message.external_id in external_ids:
                stored[message.external_id or ""] = message
            if message.external_id in named:
                self.named[message.external_id or ""] = message
        return stored

    def _raws_fresh(self, inbounds: list[InboundMessage]) -> list[RawInbound]:
        """The raw payloads of the messages that are not duplicates, to store in one statement."""
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
        return fresh

    @staticmethod
    def _identities_read(
        inbounds: list[InboundMessage],
    ) -> dict[tuple[str, str, bool], ContactIdentity]:
        """The senders' known identities, one statement per kind of address. By (kind,
        address, claimed): an unproven sender (``Sender.unproven``) has an identity of its own
        beside the address's owner's, and never gets the owner's."""
        by_kind: dict[str, set[str]] = {}
        for inbound in inbounds:
            by_kind.setdefault(inbound.sender.kind, set()).add(
                normalize_address(inbound.sender.kind, inbound.sender.address)
            )
        identities: dict[tuple[str, str, bool], ContactIdentity] = {}
        for kind, addresses in by_kind.items():
            for identity in ContactIdentity.objects.select_related("contact").filter(
                kind=kind, address__in=addresses
            ):
                identities[(kind, identity.address, identity.claimed)] = identity
        return identities

    def _identities_create(self, inbounds: list[InboundMessage]) -> set[tuple[str, str, bool]]:
        """Senders never seen before, each with a new contact, from their first message;
        two statements for the batch. Returns their keys."""
        first: dict[tuple[str, str, bool], Sender] = {}
        for inbound in inbounds:
            key = _identity_key(inbound.sender)
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
                    verified=sender.verified and not claimed,
                    claimed=claimed,
                    last_seen_at=now,
                )
                for ((kind, address, claimed), sender), contact in zip(
                    first.items(), contacts, strict=True
                )
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

    def rules(self, trigger: str) -> list:
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

    def replied(
        self, *, inbound: InboundMessage, inbox: Inbox, contact: Contact, now: datetime
    ) -> Ticket | None:
        """``by_reply_headers``, answered from the messages the batch read and stored."""
        found = [self.named[i] for i in inbound.in_reply_to if i in self.named]
        if not found:
            return None
        # The newest: one this batch stores (in its order) before any older one.
        earlier = max(
            found,
            key=lambda m: (1, self._order[id(m)]) if id(m) in self._order else (0, m.created_at),
        )
        if earlier.ticket.contact_id != contact.pk:
            self.flush()  # the rare check of who wrote on the ticket reads the database
        ticket = reply_ticket(earlier=earlier, contact=contact)
        return self.tickets.get(ticket.pk, ticket) if ticket is not None else None

    def identity_for(self, inbound: InboundMessage, now: datetime) -> ContactIdentity:
        sender = inbound.sender
        key = _identity_key(sender)
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

    def message_store(
        self,
        inbound: InboundMessage,
        ticket: Ticket,
        identity: ContactIdentity,
        raw: RawInbound | None,
        reason: str,
    ) -> Message:
        """The message, written with the batch's others by ``flush`` (with its attachments)."""
        message = Message(
            ticket=ticket,
            inbox=self.inbox,
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
        self.new_messages.append((message, inbound))
        self._order[id(message)] = len(self._order)
        if inbound.external_id:
            self.stored[inbound.external_id] = message
            self.named[inbound.external_id] = message
        return message

    def flush(self) -> None:
        """Write what the batch holds: its new tickets, then its messages, one statement each
        (their ids come back), then attachments; then announce the messages, in order."""
        if self.new_tickets:
            Ticket.objects.bulk_create(self.new_tickets)
            for ticket in self.new_tickets:
                self.tickets[ticket.pk] = ticket
            self.new_tickets = []
        if self.new_messages:
            Message.objects.bulk_create([message for message, _inbound in self.new_messages])
            for message, inbound in self.new_messages:
                for item in inbound.attachments:
                    attachment_store(
                        message=message,
                        filename=item.filename,
                        content_type=item.content_type,
                        content=item.content,
                        content_id=item.content_id,
                        inline=item.inline,
                    )
            self.new_messages = []
        announcements, self.announcements = self.announcements, []
        for message, created, interceptor in announcements:
            if interceptor is None:
                self.announce(message.ticket, message, created=created)
            else:
                self.announce_claimed(message, interceptor)

    def claimed(
        self,
        inbound: InboundMessage,
        identity: ContactIdentity,
        raw: RawInbound | None,
        interceptor: str,
        ticket: Ticket,
    ) -> ReceiveResult:
        """An interceptor claimed the message: stored on its ticket, which stays as it is
        (no reopening, clocks, rules or handler turn)."""
        ticket = self.tickets.get(ticket.pk, ticket)
        message = self.message_store(inbound, ticket, identity, raw, ThreadingReason.CLAIMED)
        self.announcements.append((message, False, interceptor))
        return ReceiveResult("threaded", ticket, message, claimed_by=interceptor)

    def announce_claimed(self, message: Message, interceptor: str) -> None:
        domain_events.emit(
            domain_events.MessageClaimed(
                ticket_id=message.ticket.pk,
                message_id=message.pk,
                inbox_id=self.inbox.pk,
                channel=self.inbox.kind,
                interceptor=interceptor,
            )
        )

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
        changed = dict(self.contacts_changed)
        for identity, _fields, fields in self.sighted.values():
            if fields:
                contact, before = changed.get(identity.contact.pk, (identity.contact, set()))
                changed[contact.pk] = (contact, before | fields)
        contacts = []
        for contact, fields in changed.values():
            contact.updated_at = now
            contacts.append((contact, fields | {"updated_at"}))
        _update_many(Contact, contacts)

    def receive(self, inbound: InboundMessage) -> ReceiveResult:
        if inbound.external_id:
            existing = self.stored.get(inbound.external_id)
            if existing is not None:
                return ReceiveResult("duplicate", existing.ticket, existing)
        inbound = inbound_bounded(inbound, kind=self.inbox.kind)  # caps, NUL characters
        now = timezone.now()
        raw = self.raws.popleft() if inbound.raw else None
        identity = self.identity_for(inbound, now)
        contact = identity.contact
        if inbound.language and not contact.language:
            contact.language = inbound.language
            self.contacts_changed.setdefault(contact.pk, (contact, set()))[1].add("language")

        claim = conversation.inbound_claim(inbound=inbound, inbox=self.inbox, contact=contact)
        if claim is not None:
            return self.claimed(inbound, identity, raw, *claim)

        ticket, reason, created = self.thread(inbound, contact, now)
        message = self.message_store(inbound, ticket, identity, raw, reason)
        self.announcements.append((message, created, None))
        if ticket.pk is not None:
            self.note_unsaved(ticket, _ticket_touch_inbound(ticket, now=now))
        else:  # opened by this batch and not written yet: written as it is now
            _ticket_touch_inbound(ticket, now=now)
        trigger = "created" if created else "updated"
        rules = self.rules(trigger)
        if rules:
            # The rules read the ticket, its messages and what the events' in-transaction
            # subscribers set (SLA clocks, the order): all of it written first.
            self.flush()
            fields = self.unsaved.pop(ticket.pk, set())
            if fields:
                ticket.save(update_fields=sorted(fields | {"updated_at"}))
        _automations_run(ticket, trigger=trigger, rules=rules)
        if ticket.inbox_id == self.inbox.pk:
            self.touched[ticket.contact_id] = ticket
        return ReceiveResult("created" if created else "threaded", ticket, message)

    def thread(
        self, inbound: InboundMessage, contact: Contact, now: datetime
    ) -> tuple[Ticket, str, bool]:
        """The ticket the message joins, or a new one: (ticket, threading reason, created)."""
        ticket, reason = ticket_for_inbound(
            inbound=inbound,
            inbox=self.inbox,
            contact=contact,
            now=now,
            recent=self.recent,
            replied=self.replied,
        )
        if ticket is not None:
            if ticket.pk is not None:
                ticket = self.tickets.setdefault(ticket.pk, ticket)
            return ticket, reason, False
        # Written by ``flush`` with the batch's other new tickets.
        ticket = Ticket(
            contact=contact,
            inbox=self.inbox,
            team=self.inbox.team,
            subject=_subject_for(inbound),
            language=inbound.language or contact.language,
            last_message_at=now,
            last_inbound_at=now,
        )
        self.new_tickets.append(ticket)
        return ticket, reason, True

    def note_unsaved(self, ticket: Ticket, fields: Iterable[str]) -> None:
        if fields:
            self.unsaved.setdefault(ticket.pk, set()).update(fields)

    def announce(self, ticket: Ticket, message: Message, *, created: bool) -> None:
        """``TicketCreated`` and ``MessageReceived``, once written (``flush``): their
        in-transaction subscribers (SLA clocks, the order the message is about) act now,
        before any rule runs, and the fields they change are saved with the batch's; the
        others act after commit. Then the live event."""
        fields: set[str] = set()
        if created:
            fields = domain_events.emit(
                domain_events.TicketCreated(
                    ticket_id=ticket.pk,
                    inbox_id=self.inbox.pk,
                    channel=self.inbox.kind,
                    contact_id=ticket.contact_id,
                ),
                ticket=ticket,
            )
        fields |= domain_events.emit(
            domain_events.MessageReceived(
                ticket_id=ticket.pk,
                message_id=message.pk,
                inbox_id=self.inbox.pk,
                channel=self.inbox.kind,
                created_ticket=created,
            ),
            ticket=ticket,
            message=message,
            contact_ids=self.contact_ids,
        )
        self.note_unsaved(ticket, fields)


def _identity_key(sender: Sender) -> tuple[str, str, bool]:
    return (sender.kind, normalize_address(sender.kind, sender.address), sender.unproven)


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
        fields += domain_events.emit(  # SLA clocks resume (an in-transaction subscriber)
            domain_events.TicketStatusChanged(
                ticket_id=ticket.pk, old=ticket.status, new=TicketStatus.OPEN
            ),
            ticket=ticket,
            now=now,
        )
        ticket.status = TicketStatus.OPEN
        ticket.status_changed_at = now
        fields += ["status", "status_changed_at"]
    return fields
