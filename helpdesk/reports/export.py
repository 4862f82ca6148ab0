"""The export of every ticket of a report's range, streamed in constant memory.

On PostgreSQL the database writes the CSV itself (``COPY (SELECT ...) TO STDOUT``): labels,
local times and hours are computed in the query, and the response passes on its blocks as they
come, so a million rows take seconds, not a Python loop over tickets. Elsewhere (SQLite) the
same rows are read in chunks and written by Python's csv module.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.db import connection
from django.db.models import Case, CharField, F, Func, Value, When
from django.utils.translation import gettext as _

from helpdesk.reports.selectors.filters import ReportFilter, tickets_created
from helpdesk.reports.selectors.sql import Epoch
from helpdesk.tickets.models import InboxKind, TicketStatus

COPY_BLOCK = 256 * 1024


class _Echo:
    def write(self, value: str) -> str:
        return value


def _header() -> list[str]:
    return [
        _("Ticket"),
        _("Created"),
        _("Channel"),
        _("Inbox"),
        _("Team"),
        _("Agent"),
        _("Language"),
        _("Status"),
        _("First response (h)"),
        _("Resolution (h)"),
        _("Times reopened"),
        _("Rating"),
    ]


def _labels(field: str, choices) -> Case:
    """The translated label of each value, computed by the database; unknown values as they
    are."""
    return Case(
        *[When(**{field: value}, then=Value(str(label))) for value, label in choices],
        default=F(field),
        output_field=CharField(),
    )


def _hours_text(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _rows_queryset(filters: ReportFilter):
    hour = Value(3600.0)
    return (
        tickets_created(filters=filters)
        .annotate(
            frt=(Epoch(F("first_response_at")) - Epoch(F("created_at"))) / hour,
            res=(Epoch(F("solved_at")) - Epoch(F("created_at"))) / hour,
        )
        .order_by("created_at", "id")
    )


class _HoursText(Func):
    """Hours with two decimals, as text (65.00), computed by PostgreSQL."""

    template = "to_char(round((%(expressions)s)::numeric, 2), 'FM999999990.00')"
    output_field = CharField()


class _LocalIso(Func):
    """An instant as local time with its UTC offset, ISO 8601 (2026-03-29T10:00:00+02:00),
    across DST changes, computed by PostgreSQL in the time zone given as a parameter."""

    output_field = CharField()

    def __init__(self, expression: Any, zone: str) -> None:
        super().__init__(expression)
        self.zone = zone

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        col, col_params = compiler.compile(self.source_expressions[0])
        local, utc = f"({col} AT TIME ZONE %s)", f"({col} AT TIME ZONE 'UTC')"
        sql = (
            f"to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
            f" || CASE WHEN {local} < {utc} THEN '-' ELSE '+' END"
            f" || to_char(abs(EXTRACT(EPOCH FROM {local} - {utc})) * interval '1 second',"
            " 'HH24:MI')"
        )
        local_params, utc_params = [*col_params, self.zone], list(col_params)
        # In the order they appear: local, local, utc, local, utc.
        params = local_params * 2 + utc_params + local_params + utc_params
        return sql, params


def _copy_sql(filters: ReportFilter) -> str:
    """The export's SELECT, every column as the CSV shows it, its parameters bound (COPY
    takes none)."""
    import psycopg

    zone = filters.tz.key
    queryset = (
        _rows_queryset(filters)
        .annotate(
            created_text=_LocalIso(F("created_at"), zone),
            channel_text=_labels("inbox__kind", InboxKind.choices),
            status_text=_labels("status", TicketStatus.choices),
            frt_text=_HoursText(F("frt")),
            res_text=_HoursText(F("res")),
        )
        .values_list(
            "id",
            "created_text",
            "channel_text",
            "inbox__name",
            "team__name",
            "assignee__username",
            "language",
            "status_text",
            "frt_text",
            "res_text",
            "reopened_count",
            "csat_survey__rating",
        )
    )
    sql, params = queryset.query.sql_with_params()
    raw: Any = connection.connection
    return psycopg.ClientCursor(raw).mogrify(sql, params)


def _copy_blocks(filters: ReportFilter) -> Iterator[bytes]:
    connection.ensure_connection()
    statement = f"COPY ({_copy_sql(filters)}) TO STDOUT (FORMAT CSV)"
    with connection.cursor() as cursor:
        raw_cursor: Any = cursor.cursor
        with raw_cursor.copy(statement) as copy:
            pending = bytearray()
            for block in copy:
                pending += block
                if len(pending) >= COPY_BLOCK:
                    yield bytes(pending)
                    pending.clear()
            if pending:
                yield bytes(pending)


def _python_rows(filters: ReportFilter) -> Iterator[list[Any]]:
    channels = {value: str(label) for value, label in InboxKind.choices}
    statuses = {value: str(label) for value, label in TicketStatus.choices}
    rows = _rows_queryset(filters).values_list(
        "id",
        "created_at",
        "inbox__kind",
        "inbox__name",
        "team__name",
        "assignee__username",
        "language",
        "status",
        "frt",
        "res",
        "reopened_count",
        "csat_survey__rating",
    )
    tz = filters.tz
    for row in rows.iterator(chunk_size=5000):
        yield [
            row[0],
            row[1].astimezone(tz).isoformat(timespec="seconds"),
            channels.get(row[2], row[2]),
            row[3],
            row[4],
            row[5],
            row[6],
            statuses.get(row[7], row[7]),
            _hours_text(row[8]),
            _hours_text(row[9]),
            row[10],
            row[11],
        ]


def ticket_csv(filters: ReportFilter) -> Iterator[bytes]:
    """The CSV of every ticket created in the range, header first, in blocks."""
    writer = csv.writer(_Echo(), lineterminator="\n")
    yield writer.writerow(_header()).encode()
    if connection.vendor == "postgresql":
        yield from _copy_blocks(filters)
        return
    lines: list[str] = []
    for row in _python_rows(filters):
        lines.append(writer.writerow(["" if v is None else v for v in row]))
        if len(lines) >= 1000:
            yield "".join(lines).encode()
            lines.clear()
    if lines:
        yield "".join(lines).encode()
