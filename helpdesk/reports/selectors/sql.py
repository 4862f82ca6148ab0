"""SQL building blocks that both SQLite and PostgreSQL run: instants as Unix seconds,
business time as a difference of indexed look-ups, percentiles computed by the database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import (
    BigIntegerField,
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

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)")

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # julianday() reads Django's stored UTC text; rounded to the millisecond it carries.
        return self.as_sql(
            compiler,
            connection,
            template="ROUND((julianday(%(expressions)s) - 2440587.5) * 86400.0, 3)",
        )


class EpochSeconds(Func):
    """An instant as whole Unix seconds (bigint), rounded down: compared with indexed integer
    columns without casting them."""

    output_field = BigIntegerField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="FLOOR(EXTRACT(EPOCH FROM %(expressions)s))::bigint"
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template=(
                "CAST(ROUND((julianday(%(expressions)s) - 2440587.5) * 86400.0, 3) AS INTEGER)"
            ),
        )


def business_position(field: str, calendar_id: int) -> Subquery:
    """Business seconds of the calendar from its origin up to the instant in ``field`` (of
    the outer query). The difference of two positions is the business time between them."""
    instant = Epoch(OuterRef(field))
    interval = (
        BusinessInterval.objects.filter(
            calendar_id=calendar_id, starts__lte=EpochSeconds(OuterRef(field))
        )
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


TOTAL = "__all__"


def percentiles(
    queryset: QuerySet,
    values: Sequence[Expression],
    ps: Sequence[float],
    group: Expression | None = None,
) -> dict[Any, tuple[int, list[list[float | None]]]]:
    """Continuous percentiles (PostgreSQL's percentile_cont: linear interpolation between
    ranks) of each of ``values`` over ``queryset``, per ``group`` and over all of it (key
    ``TOTAL``): {group: (count, [[p, ...] for each value])}. Rows where a value is NULL are
    left out."""
    names = [f"rv{i}" for i in range(len(values))]
    inner = (
        queryset.order_by()
        .annotate(
            rg=group if group is not None else Value(0), **dict(zip(names, values, strict=True))
        )
        .filter(**{f"{name}__isnull": False for name in names})
        .values_list("rg", *names)
    )
    sql, params = inner.query.sql_with_params()
    if connection.vendor == "postgresql":
        cols = ", ".join(
            f"percentile_cont({_literal(p)}) WITHIN GROUP (ORDER BY s.{name})"
            for name in names
            for p in ps
        )
        sets = "GROUPING SETS ((s.rg), ())" if group is not None else "s.rg"
        total = "GROUPING(s.rg)" if group is not None else "1"
        # Only float literals and column names of ours are formatted in; values stay bound.
        queries = [
            (
                f"SELECT s.rg, {total}, COUNT(*), {cols} FROM ({sql}) s GROUP BY {sets}",  # noqa: S608
                params,
            )
        ]
    else:
        queries = []
        for partition in (["s.rg"] if group is not None else []) + ["0"]:
            parts = []
            for i, name in enumerate(names):
                for p in ps:
                    pos = f"({_literal(p)} * (r.n - 1))"
                    lo = f"MAX(CASE WHEN r.rn{i} = CAST({pos} AS INTEGER) THEN r.{name} END)"
                    hi = f"MAX(CASE WHEN r.rn{i} = CAST({pos} AS INTEGER) + 1 THEN r.{name} END)"
                    frac = f"(MAX({pos}) - CAST(MAX({pos}) AS INTEGER))"
                    parts.append(f"({lo} + {frac} * (COALESCE({hi}, {lo}) - {lo}))")
            ranks = ", ".join(
                f"ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY s.{name}) - 1 AS rn{i}"
                for i, name in enumerate(names)
            )
            columns = ", ".join(f"s.{name} AS {name}" for name in names)
            is_total = "0" if partition == "s.rg" else "1"
            queries.append(
                (
                    f"SELECT MIN(r.rg), {is_total}, COUNT(*), {', '.join(parts)} FROM ("  # noqa: S608
                    f"SELECT {partition} AS part, s.rg AS rg, {columns}, {ranks}, "
                    f"COUNT(*) OVER (PARTITION BY {partition}) AS n "
                    f"FROM ({sql}) s) r GROUP BY r.part",
                    params,
                )
            )
    rows = []
    with connection.cursor() as cursor:
        for query, query_params in queries:
            cursor.execute(query, query_params)
            rows += cursor.fetchall()
    result: dict[Any, tuple[int, list[list[float | None]]]] = {}
    for row in rows:
        figures = [None if v is None else float(v) for v in row[3:]]
        key = TOTAL if row[1] else row[0]
        result[key] = (
            int(row[2]),
            [figures[i * len(ps) : (i + 1) * len(ps)] for i in range(len(values))],
        )
    if group is None and TOTAL not in result:
        result[TOTAL] = (0, [[None] * len(ps) for _ in values])
    return result
