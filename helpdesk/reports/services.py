"""Writes of the reports app: business intervals laid out for SQL, digest subscriptions."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.functions import Coalesce

from helpdesk.reports.models import BusinessInterval, BusinessIntervalSpan, TicketTiming
from helpdesk.reports.selectors.sql import business_position
from helpdesk.sla.businesstime import Calendar
from helpdesk.sla.models import BusinessCalendar
from helpdesk.sla.selectors import calendar_spec

BATCH = 2000


def _definition(spec: Calendar) -> str:
    text = repr(
        (
            spec.time_zone,
            sorted((day, tuple(periods)) for day, periods in spec.periods.items()),
            sorted(spec.holidays),
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _year_start(instant: datetime) -> datetime:
    return datetime(instant.year, 1, 1, tzinfo=UTC)


def business_intervals_ensure(
    *, calendar: BusinessCalendar, since: datetime, until: datetime
) -> str:
    """Make the calendar's intervals cover ``since``..``until`` for its current definition,
    laying them out again (whole years at a time) when they do not."""
    spec = calendar_spec(calendar)
    definition = _definition(spec)
    span = BusinessIntervalSpan.objects.filter(calendar=calendar).first()
    start_s, end_s = int(since.timestamp()), int(until.timestamp())
    if (
        span is not None
        and span.definition == definition
        and span.covers_from <= start_s
        and span.covers_until >= end_s
    ):
        return definition
    begin = _year_start(since.astimezone(UTC) - timedelta(days=1))
    end = _year_start(until.astimezone(UTC)) + timedelta(days=366 + 31)
    if span is not None and span.definition == definition:
        begin = min(begin, datetime.fromtimestamp(span.covers_from, UTC))
        end = max(end, datetime.fromtimestamp(span.covers_until, UTC))
    with transaction.atomic():
        BusinessInterval.objects.filter(calendar=calendar).delete()
        rows: list[BusinessInterval] = []
        cumulative = 0
        cursor = begin
        while cursor < end:
            progressed = False
            for opens, closes in spec.intervals_from(cursor):
                if opens >= end:
                    cursor = end
                    break
                s, e = int(opens.timestamp()), int(closes.timestamp())
                rows.append(
                    BusinessInterval(calendar=calendar, starts=s, ends=e, cumulative=cumulative)
                )
                cumulative += e - s
                cursor = closes
                progressed = True
                if len(rows) >= BATCH:
                    BusinessInterval.objects.bulk_create(rows)
                    rows = []
            if not progressed:
                break
        BusinessInterval.objects.bulk_create(rows)
        if connection.vendor == "postgresql":
            with connection.cursor() as db:
                # Fresh statistics, so business-time look-ups take the (calendar, starts) index.
                db.execute("ANALYZE reports_businessinterval")
        BusinessIntervalSpan.objects.update_or_create(
            calendar=calendar,
            defaults={
                "covers_from": int(begin.timestamp()),
                "covers_until": int(end.timestamp()),
                "definition": definition,
            },
        )
    return definition


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ticket_timings_refresh(*, calendar: BusinessCalendar, definition: str, tickets) -> int:
    """Count the business time of the tickets' first response and resolution where it is not
    recorded yet for these instants and this calendar version. Returns how many were counted."""
    recorded = TicketTiming.objects.annotate(
        fr=Coalesce("first_response_at", Value(EPOCH)), so=Coalesce("solved_at", Value(EPOCH))
    ).filter(
        ticket=OuterRef("pk"),
        definition=definition,
        fr=Coalesce(OuterRef("first_response_at"), Value(EPOCH)),
        so=Coalesce(OuterRef("solved_at"), Value(EPOCH)),
    )
    stale = (
        tickets.order_by()
        .filter(Q(first_response_at__isnull=False) | Q(solved_at__isnull=False))
        .exclude(Exists(recorded))
        .annotate(
            p_created=business_position("created_at", calendar.pk),
            p_first=business_position("first_response_at", calendar.pk),
            p_solved=business_position("solved_at", calendar.pk),
        )
        .values_list("pk", "first_response_at", "solved_at", "p_created", "p_first", "p_solved")
    )
    counted = 0
    rows: list[TicketTiming] = []

    def flush() -> None:
        TicketTiming.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["ticket"],
            update_fields=[
                "definition",
                "first_response_at",
                "first_response_business",
                "solved_at",
                "resolution_business",
            ],
        )

    for pk, first_at, solved_at, p_created, p_first, p_solved in stale.iterator(chunk_size=BATCH):
        rows.append(
            TicketTiming(
                ticket_id=pk,
                definition=definition,
                first_response_at=first_at,
                first_response_business=(
                    None if p_first is None or p_created is None else p_first - p_created
                ),
                solved_at=solved_at,
                resolution_business=(
                    None if p_solved is None or p_created is None else p_solved - p_created
                ),
            )
        )
        counted += 1
        if len(rows) >= BATCH:
            flush()
            rows = []
    if rows:
        flush()
    return counted
