"""Delay detection and proactive notices (writes).

``shipments_delay_scan`` finds late and soon-late shipments and records one DelayNotice per
(shipment, kind, date the customer expected): the unique constraint settles concurrent scans,
and only the scan whose insert won sends the notice. ``delay_notice_send`` then writes the
notice into the order's ticket on the best channel the customer has.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import partial
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation

from helpdesk import domain_events
from helpdesk.celery import task_named
from helpdesk.contacts.models import Contact, ContactIdentity, IdentityKind
from helpdesk.sla.businesstime import Calendar, next_open
from helpdesk.tickets.models import (
    IDENTITY_KIND_FOR_INBOX,
    UNSOLVED_STATUSES,
    AuthorType,
    Direction,
    Inbox,
    Message,
    Ticket,
)
from helpdesk.tickets.services import message_reply, ticket_open
from orders_link.models import (
    DelayNotice,
    NoticeState,
    Shipment,
    ShipmentStatus,
)
from orders_link.selectors import shipment_delays

# Fallback order when the customer's last channel cannot be used.
CHANNEL_PREFERENCE = [
    IdentityKind.TELEGRAM,
    IdentityKind.WHATSAPP,
    IdentityKind.PHONE,
    IdentityKind.EMAIL,
]
NOTICE_LANGUAGES = {"en", "fr"}
SEND_BATCH = 200


@dataclass
class ScanResult:
    run: str
    found: Counter = field(default_factory=Counter)
    created: Counter = field(default_factory=Counter)
    notice_ids: list[int] = field(default_factory=list)

    @property
    def found_total(self) -> int:
        return sum(self.found.values())

    @property
    def created_total(self) -> int:
        return sum(self.created.values())


def shipments_delay_scan(*, now: dt.datetime | None = None, dry_run: bool = False) -> ScanResult:
    """Find delays and record their notices; the notices are sent after commit, in batches."""
    now = now or timezone.now()
    result = ScanResult(run=uuid.uuid4().hex)
    delays = shipment_delays(now=now)
    result.found.update(delay.kind for delay in delays)
    if dry_run:
        result.created.update(delay.kind for delay in _delays_not_notified(delays))
        return result
    with transaction.atomic():
        DelayNotice.objects.bulk_create(
            (
                DelayNotice(
                    shipment_id=delay.shipment_id,
                    kind=delay.kind,
                    promised_date=delay.promised_date,
                    new_estimate=delay.new_estimate,
                    detected_at=now,
                    run=result.run,
                )
                for delay in delays
            ),
            batch_size=5000,
            ignore_conflicts=True,
        )
        # Rows that already existed (an earlier or concurrent scan) kept that scan's run.
        mine = list(
            DelayNotice.objects.filter(run=result.run)
            .order_by("pk")
            .values_list("pk", "shipment_id", "kind", "new_estimate")
        )
        # Later delays are measured against the new date: one UPDATE per distinct date.
        by_estimate: dict[dt.date, list[int]] = defaultdict(list)
        for _, shipment_id, _, estimate in mine:
            if estimate is not None:
                by_estimate[estimate].append(shipment_id)
        for estimate, shipment_ids in by_estimate.items():
            for start in range(0, len(shipment_ids), 10_000):
                Shipment.objects.filter(pk__in=shipment_ids[start : start + 10_000]).update(
                    notified_date=estimate
                )
        result.created.update(row[2] for row in mine)
        result.notice_ids = [row[0] for row in mine]
        for start in range(0, len(result.notice_ids), SEND_BATCH):
            batch = result.notice_ids[start : start + SEND_BATCH]
            transaction.on_commit(partial(_enqueue_send, batch))
    return result


def _delays_not_notified(delays: list) -> list:
    """The delays a real scan would record: those without a notice for the same situation
    (shipment, kind, promised date), the key of the database's unique constraint."""
    shipment_ids = sorted({delay.shipment_id for delay in delays})
    known: set[tuple[int, str, dt.date]] = set()
    for start in range(0, len(shipment_ids), 10_000):
        known.update(
            DelayNotice.objects.filter(
                shipment_id__in=shipment_ids[start : start + 10_000]
            ).values_list("shipment_id", "kind", "promised_date")
        )
    new = []
    for delay in delays:
        key = (delay.shipment_id, delay.kind, delay.promised_date)
        if key not in known:
            known.add(key)
            new.append(delay)
    return new


def _enqueue_send(notice_ids: list[int]) -> None:
    task_named("orders_link.tasks.delay_notices_send_task").delay(notice_ids)


# --- Sending -----------------------------------------------------------------------------------


def _reachable(contact: Contact, kind: str) -> ContactIdentity | None:
    return (
        contact.identities.filter(kind=kind, opted_out_at__isnull=True, bounced_at__isnull=True)
        .order_by(F("last_seen_at").desc(nulls_last=True), "-pk")
        .first()
    )


def _inbox_for(identity_kind: str) -> Inbox | None:
    kinds = [str(k) for k, v in IDENTITY_KIND_FOR_INBOX.items() if v == identity_kind]
    return Inbox.objects.filter(enabled=True, kind__in=kinds).order_by("pk").first()


def notice_channel_choose(*, contact: Contact) -> tuple[ContactIdentity, Inbox] | None:
    """The channel the customer last wrote on if it can still reach them, else the first
    reachable one of Telegram, WhatsApp, SMS, email with an enabled inbox."""
    last = (
        Message.objects.filter(
            ticket__contact=contact,
            direction=Direction.INBOUND,
            identity__contact=contact,
            identity__kind__in=CHANNEL_PREFERENCE,
            identity__opted_out_at__isnull=True,
            identity__bounced_at__isnull=True,
            inbox__enabled=True,
        )
        .select_related("identity", "inbox")
        .order_by("-created_at", "-pk")
        .first()
    )
    if (
        last is not None
        and last.inbox is not None
        and last.identity is not None
        and last.inbox.identity_kind == last.identity.kind
    ):
        return last.identity, last.inbox
    for kind in CHANNEL_PREFERENCE:
        identity = _reachable(contact, kind)
        if identity is None:
            continue
        inbox = _inbox_for(kind)
        if inbox is not None:
            return identity, inbox
    return None


def _quiet_window() -> tuple[dt.time, dt.time] | None:
    raw = settings.ORDERS_QUIET_HOURS.strip()
    if not raw:
        return None
    start, _, end = raw.partition("-")
    return dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())


def _contact_zone(contact: Contact) -> ZoneInfo:
    try:
        return ZoneInfo(contact.time_zone or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def quiet_hours_end(*, contact: Contact, channel: str, now: dt.datetime) -> dt.datetime | None:
    """When a message on ``channel`` may go out, if now is the customer's night; else None."""
    window = _quiet_window()
    if window is None or channel not in settings.ORDERS_QUIET_HOURS_CHANNELS:
        return None
    start, end = window
    if start == end:
        return None
    # The hours a notice may go out, every day, as a business calendar in the customer's time
    # zone: the same arithmetic as business hours (helpdesk.sla.businesstime).
    if start > end:  # across midnight, like 21:00-08:00
        sending: tuple[tuple[dt.time, dt.time], ...] = ((end, start),)
    else:
        sending = ((dt.time(0), start), (end, dt.time(0)))
        sending = tuple(p for p in sending if p != (dt.time(0), dt.time(0)))
    calendar = Calendar(
        time_zone=_contact_zone(contact).key, periods=dict.fromkeys(range(7), sending)
    )
    resume = next_open(calendar, now)
    return None if resume is None or resume <= now else resume


def _language(contact: Contact, ticket: Ticket | None) -> str:
    for candidate in (contact.language, ticket.language if ticket else "", settings.LANGUAGE_CODE):
        code = (candidate or "")[:2].lower()
        if code in NOTICE_LANGUAGES:
            return code
    return "en"


def notice_text(*, notice: DelayNotice, language: str) -> tuple[str, str]:
    """(subject, text) of the notice in the customer's language."""
    shipment = notice.shipment
    order = shipment.order
    with translation.override(language):
        context = {
            "name": (order.customer_name or (order.contact.name if order.contact else "")).strip(),
            "order": order.number,
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "tracking_url": shipment.tracking_url,
            "kind": notice.kind,
            "promised": formats.date_format(notice.promised_date, "DATE_FORMAT"),
            "estimate": formats.date_format(notice.new_estimate, "DATE_FORMAT")
            if notice.new_estimate
            else "",
        }
        subject = render_to_string(
            f"orders_link/notices/delay_subject.{language}.txt", context
        ).strip()
        text = render_to_string(f"orders_link/notices/delay.{language}.txt", context).strip()
    return subject, text


def _notice_ticket(
    notice: DelayNotice, contact: Contact
) -> tuple[Ticket | None, ContactIdentity | None, Inbox | None]:
    order = notice.shipment.order
    open_ticket = (
        Ticket.objects.filter(
            order=order, contact=contact, status__in=UNSOLVED_STATUSES, merged_into__isnull=True
        )
        .select_related("inbox")
        .order_by("-last_message_at", "-pk")
        .first()
    )
    if open_ticket is not None and open_ticket.inbox.enabled:
        identity = _reachable(contact, open_ticket.inbox.identity_kind)
        if identity is not None:
            return open_ticket, identity, open_ticket.inbox
    choice = notice_channel_choose(contact=contact)
    if choice is None:
        return None, None, None
    identity, inbox = choice
    ticket = (
        Ticket.objects.filter(
            order=order,
            contact=contact,
            inbox=inbox,
            status__in=UNSOLVED_STATUSES,
            merged_into__isnull=True,
        )
        .order_by("-last_message_at", "-pk")
        .first()
    )
    return ticket, identity, inbox


def delay_notice_send(*, notice_id: int, now: dt.datetime | None = None) -> str:
    """Write one pending notice to the customer, once. Returns the notice's new state."""
    now = now or timezone.now()
    with transaction.atomic():
        notice = (
            DelayNotice.objects.select_for_update(of=("self",))
            .select_related("shipment__order__contact", "shipment__order__store")
            .filter(pk=notice_id, state=NoticeState.PENDING)
            .first()
        )
        if notice is None:
            return "done before"
        shipment = notice.shipment
        contact = shipment.order.contact
        if shipment.status in {ShipmentStatus.DELIVERED, ShipmentStatus.RETURNED}:
            return _finish(notice, NoticeState.SKIPPED, note="delivered before the notice went out")
        if contact is None:
            return _finish(notice, NoticeState.UNREACHABLE, note="order without a customer")
        ticket, identity, inbox = _notice_ticket(notice, contact)
        if identity is None or inbox is None:
            return _finish(notice, NoticeState.UNREACHABLE, note="no reachable channel")
        language = _language(contact, ticket)
        subject, text = notice_text(notice=notice, language=language)
        if ticket is None:
            ticket = ticket_open(
                contact=contact,
                inbox=inbox,
                subject=subject,
                order=shipment.order,
                language=language,
            )
        priority = settings.ORDERS_DELAY_TICKET_PRIORITY
        if priority and ticket.priority < priority:
            ticket.priority = priority
            ticket.save(update_fields=["priority", "updated_at"])
        send_after = quiet_hours_end(contact=contact, channel=identity.kind, now=now)
        message = message_reply(
            ticket=ticket,
            text=text,
            author_type=AuthorType.SYSTEM,
            identity=identity,
            inbox=inbox,
            send_after=send_after,
            metadata={"delay_notice": notice.pk, "delay": notice.kind},
        )
        notice.ticket = ticket
        notice.message = message
        notice.channel = identity.kind
        notice.language = language
        notice.send_after = send_after
        domain_events.emit(
            domain_events.DelayNotified(
                shipment_id=notice.shipment_id,
                notice_id=notice.pk,
                ticket_id=ticket.pk,
                message_id=message.pk,
            )
        )
        return _finish(notice, NoticeState.HELD if send_after else NoticeState.QUEUED)


def _finish(notice: DelayNotice, state: str, *, note: str = "") -> str:
    notice.state = state
    notice.note = note
    notice.save()
    return state


def delay_notices_send(*, notice_ids: list[int]) -> Counter:
    return Counter(delay_notice_send(notice_id=pk) for pk in notice_ids)
