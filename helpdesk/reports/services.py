"""Writes of the reports app: business intervals laid out for SQL, digest subscriptions."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from django.db import transaction

from helpdesk.reports.models import BusinessInterval, BusinessIntervalSpan
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
) -> None:
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
        return
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
        BusinessIntervalSpan.objects.update_or_create(
            calendar=calendar,
            defaults={
                "covers_from": int(begin.timestamp()),
                "covers_until": int(end.timestamp()),
                "definition": definition,
            },
        )
