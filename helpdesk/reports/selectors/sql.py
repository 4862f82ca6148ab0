"""SQL building blocks that both SQLite and PostgreSQL run: instants as Unix seconds,
business time as a difference of indexed look-ups, percentiles computed by the database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import (
    Expression,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Greatest, Least

from helpdesk.reports.models import BusinessInterval


class Epoch(Func):
    """An instant as Unix seconds (float)."""

    output_field = FloatField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)")

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        # julianday() reads Django's stored UTC text; rounded to the millisecond it carries.
        return self.as_sql(
            compiler,
            connection,
            template="ROUND((julianday(%(expressions)s) - 2440587.5) * 86400.0, 3)",
        )


def business_position(field: str, calendar_id: int) -> Subquery:
    """Business seconds of the calendar from its origin up to the instant in ``field`` (of
    the outer query). The difference of two positions is the business time between them."""
    instant = Epoch(OuterRef(field))
    interval = (
        BusinessInterval.objects.filter(calendar_id=calendar_id, starts__lte=instant)
        .order_by("-starts")
        .annotate(
            position=ExpressionWrapper(
                F("cumulative")
                + Least(
                    Greatest(ExpressionWrapper(instant - F("starts"), FloatField()), Value(0.0)),
                    ExpressionWrapper(F("ends") - F("starts"), FloatField()),
                ),
                FloatField(),
            )
        )
        .values("position")[:1]
    )
    return Subquery(interval, output_field=FloatField())


def duration_seconds(start: str, end: str, calendar_id: int | None) -> Expression:
    """Seconds from ``start`` to ``end`` (field names): wall-clock time without a calendar,
    else business time of the calendar."""
    if calendar_id is None:
        return Epoch(F(end)) - Epoch(F(start))
    return business_position(end, calendar_id) - business_position(start, calendar_id)


def _literal(p: float) -> str:
    return repr(float(p))


def percentiles(
    queryset: QuerySet, value: Expression, ps: Sequence[float], group: Expression | None = None
) -> dict[Any, tuple[int, list[float | None]]]:
    """Continuous percentiles (PostgreSQL's percentile_cont: linear interpolation between
    ranks) of ``value`` over ``queryset``, per ``group``: {group: (count, [p...])}."""
    inner = (
        queryset.annotate(rg=group if group is not None else Value(0), rv=value)
        .filter(rv__isnull=False)
        .values_list("rg", "rv")
    )
    sql, params = inner.query.sql_with_params()
    if connection.vendor == "postgresql":
        cols = ", ".join(f"percentile_cont({_literal(p)}) WITHIN GROUP (ORDER BY s.rv)" for p in ps)
        # Only float literals of ours are formatted in; values stay bound parameters.
        query = f"SELECT s.rg, COUNT(*), {cols} FROM ({sql}) s GROUP BY s.rg"  # noqa: S608
    else:
        parts = []
        for p in ps:
            pos = f"({_literal(p)} * (r.n - 1))"
            lo = f"MAX(CASE WHEN r.rn = CAST({pos} AS INTEGER) THEN r.rv END)"
            hi = f"MAX(CASE WHEN r.rn = CAST({pos} AS INTEGER) + 1 THEN r.rv END)"
            frac = f"(MAX({pos}) - CAST(MAX({pos}) AS INTEGER))"
            parts.append(f"({lo} + {frac} * (COALESCE({hi}, {lo}) - {lo}))")
        query = (
            f"SELECT r.rg, COUNT(*), {', '.join(parts)} FROM ("  # noqa: S608
            "SELECT s.rg AS rg, s.rv AS rv, "
            "ROW_NUMBER() OVER (PARTITION BY s.rg ORDER BY s.rv) - 1 AS rn, "
            "COUNT(*) OVER (PARTITION BY s.rg) AS n "
            f"FROM ({sql}) s) r GROUP BY r.rg"
        )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        rows = cursor.fetchall()
    return {
        row[0]: (int(row[1]), [None if v is None else float(v) for v in row[2:]]) for row in rows
    }
