"""Benchmark: detect_delays over many shipments on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_orders \
        .venv/bin/python bench/delay_scan.py [--count 1000000] [--send-sample 1000]

It creates (and afterwards drops, unless --keep) a separate database named after the one in
DATABASE_URL with a ``_bench_delays`` suffix, loads ``--count`` shipments with their orders and
customers by COPY, then times the ``detect_delays`` command: the scan, the DelayNotice rows and
the send tasks it queues (to an in-memory broker, so nothing leaves this process). It then
times sending ``--send-sample`` of those notices, and a second scan (nothing new to notify).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _result  # noqa: E402

# make bench: 20,000 shipments; FULL=1: the goal's million.
BENCH_RUN = {
    "small": ["--count", "20000", "--send-sample", "200"],
    "full": ["--count", "1000000", "--send-sample", "1000"],
    "needs": ["postgres"],
}
GOAL_SCAN_SECONDS = 30

NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)
CARRIERS = {"Colissimo": 2.5, "Chronopost": 1.2, "DPD": 3.0, "GLS": 3.5, "Mondial Relay": 4.5}
COUNTRIES = {"FR": 0.0, "BE": 1.0, "DE": 1.5, "ES": 2.0}


def _setup(database_url: str, *, recreate: bool) -> str:
    parts = urlsplit(database_url)
    if parts.scheme not in {"postgres", "postgresql"}:
        sys.exit("DATABASE_URL must point at PostgreSQL for this benchmark")
    name = f"{parts.path.lstrip('/') or 'helpdesk'}_bench_delays"
    import psycopg

    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if recreate:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    # Send tasks go to an in-memory broker: counted, never sent anywhere.
    os.environ["CELERY_BROKER_URL"] = "memory://localhost/"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    import django

    django.setup()
    return name


def _drop(database_url: str, name: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    parts = urlsplit(database_url)
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _copy(table: str, columns: list[str], rows) -> None:
    """COPY ``rows`` into ``table``. A column they do not carry (one a later migration added,
    say) gets its field's default, or an empty value, so that it never stops the load."""
    from django.apps import apps
    from django.db import connection
    from inbox_scale import _constant_for

    model = next(m for m in apps.get_models() if m._meta.db_table == table)
    extra = [
        (field.column, _constant_for(field))
        for field in model._meta.concrete_fields
        if field.column not in columns
    ]
    if extra:
        constants = tuple(value for _, value in extra)
        columns = columns + [column for column, _ in extra]
        rows = (tuple(row) + constants for row in rows)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


@dataclass
class Row:
    carrier: str
    country: str
    postcode: str
    status: str
    shipped: dt.datetime
    promised: dt.date
    estimate: dt.date | None
    delivered: dt.datetime | None
    last_scan: dt.datetime | None
    label: str


def _shipments(count: int, seed: int) -> Iterator[tuple[int, Row]]:
    """The same shipments on every call (seeded), so each table's COPY streams them again
    instead of holding a million rows in memory."""
    rng = random.Random(seed)
    carriers = list(CARRIERS)
    countries = list(COUNTRIES)
    now = NOW
    for i in range(1, count + 1):
        carrier = rng.choice(carriers)
        country = rng.choice(countries)
        postcode = f"{rng.randrange(1, 96):02d}{rng.randrange(0, 1000):03d}"
        mean = CARRIERS[carrier] + COUNTRIES[country] + (1.5 if postcode[:2] in {"20", "97"} else 0)
        transit = max(0.3, rng.gauss(mean, 0.6))
        roll = rng.random()
        estimate = delivered = None
        status = "in_transit"
        if roll < 0.60:
            shipped = now - dt.timedelta(days=rng.uniform(transit + 0.5, 60))
            delivered = shipped + dt.timedelta(days=transit)
            promised = (shipped + dt.timedelta(days=round(mean) + 2)).date()
            status, last_scan, label = "delivered", delivered, "delivered"
        else:
            shipped = now - dt.timedelta(hours=rng.uniform(2, 60))
            promised = (shipped + dt.timedelta(days=round(mean) + 2)).date()
            last_scan = shipped + (now - shipped) * rng.random()
            label = "on_time"
            if roll < 0.61:
                status, label = rng.choice(["exception", "delayed", "failed_attempt"]), "reported"
            elif roll < 0.63:
                promised = (now - dt.timedelta(days=rng.randint(1, 3))).date()
                label = "overdue"
            elif roll < 0.645:
                estimate = promised + dt.timedelta(days=rng.randint(1, 3))
                label = "carrier_eta"
            elif roll < 0.655:
                shipped = now - dt.timedelta(days=4)
                promised = (now + dt.timedelta(days=1)).date()
                last_scan = shipped
                label = "silent"
            elif roll < 0.67:
                promised = max(
                    (shipped + dt.timedelta(days=max(0, round(mean) - 2))).date(), now.date()
                )
                label = "tight_promise"
        yield (
            i,
            Row(
                carrier,
                country,
                postcode,
                status,
                shipped,
                promised,
                estimate,
                delivered,
                last_scan,
                label,
            ),
        )


def _load(count: int, seed: int) -> dict[str, int]:
    """Shipments: about 60% delivered (the transit history), the rest on their way, some of
    them late in each of the ways detect_delays knows."""
    from django.core.management import call_command
    from django.db import connection

    from helpdesk.tickets.models import Inbox
    from orders_link.models import Store

    call_command("migrate", verbosity=0)
    store = Store.objects.create(name="Bench shop", slug="bench")
    Inbox.objects.create(kind="email", name="Support email", config={"address": "s@shop.test"})
    shape: dict[str, int] = {}
    created = NOW.isoformat()
    _copy(
        "contacts_contact",
        ["id", "name", "language", "time_zone", "notes", "created_at", "updated_at"],
        (
            (i, f"Customer {i}", "fr" if i % 3 else "en", "Europe/Paris", "", created, created)
            for i in range(1, count + 1)
        ),
    )
    _copy(
        "contacts_contactidentity",
        ["id", "contact_id", "kind", "address", "display_name", "verified", "created_at"],
        ((i, i, "email", f"c{i}@bench.example", "", False, created) for i in range(1, count + 1)),
    )
    _copy(
        "orders_link_order",
        [
            "id",
            "store_id",
            "number",
            "external_id",
            "contact_id",
            "email",
            "phone",
            "customer_name",
            "postcode",
            "country",
            "status",
            "placed_at",
            "total",
            "currency",
            "created_at",
            "updated_at",
        ],
        (
            (
                i,
                store.pk,
                f"B{i}",
                "",
                i,
                f"c{i}@bench.example",
                "",
                "",
                s.postcode,
                s.country,
                "delivered" if s.status == "delivered" else "shipped",
                (s.shipped - dt.timedelta(days=1)).isoformat(),
                "25.00",
                "EUR",
                created,
                created,
            )
            for i, s in _shipments(count, seed)
        ),
    )

    def shipment_rows():
        for i, s in _shipments(count, seed):
            shape[s.label] = shape.get(s.label, 0) + 1
            yield (
                i,
                i,
                s.carrier,
                f"TRK{i:09d}",
                f"https://track.example/{i}",
                s.status,
                s.shipped.isoformat(),
                s.promised.isoformat(),
                s.estimate.isoformat() if s.estimate else None,
                s.delivered.isoformat() if s.delivered else None,
                s.last_scan.isoformat() if s.last_scan else None,
                "",
                s.postcode,
                s.country,
                "",
                created,
                created,
            )

    _copy(
        "orders_link_shipment",
        [
            "id",
            "order_id",
            "carrier",
            "tracking_number",
            "tracking_url",
            "status",
            "shipped_at",
            "promised_date",
            "estimated_delivery",
            "delivered_at",
            "last_scan_at",
            "last_scan_location",
            "destination_postcode",
            "destination_country",
            "external_id",
            "created_at",
            "updated_at",
        ],
        shipment_rows(),
    )
    with connection.cursor() as cursor:
        for table in (
            "contacts_contact",
            "contacts_contactidentity",
            "orders_link_order",
            "orders_link_shipment",
        ):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {count})")
            cursor.execute(f"ANALYZE {table}")
    return shape


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--send-sample", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL", "")
    name = _setup(database_url, recreate=True)
    try:
        started = time.monotonic()
        shape = _load(args.count, args.seed)
        loaded = time.monotonic() - started
        print(f"loaded {args.count:,} shipments (+orders, contacts) by COPY in {loaded:.1f}s")
        print("  shape: " + ", ".join(f"{k} {v:,}" for k, v in sorted(shape.items())))

        from django.core.management import call_command

        from orders_link.delays import delay_notices_send
        from orders_link.models import DelayNotice, NoticeState

        out = io.StringIO()
        started = time.monotonic()
        call_command("detect_delays", f"--now={NOW.isoformat()}", stdout=out)
        scan = time.monotonic() - started
        print(f"detect_delays over {args.count:,} shipments: {scan:.2f}s")
        _result.record(
            goal=f"detect_delays over 1,000,000 shipments <= {GOAL_SCAN_SECONDS} s",
            figure=scan,
            unit="s",
            met=scan <= GOAL_SCAN_SECONDS,
            size=f"{args.count:,} shipments",
        )
        print("  " + out.getvalue().strip().replace("\n", "\n  "))
        notices = DelayNotice.objects.count()
        print(f"  {notices:,} delay notices recorded, queued in {-(-notices // 200):,} send tasks")

        sample = list(
            DelayNotice.objects.filter(state=NoticeState.PENDING)
            .order_by("pk")
            .values_list("pk", flat=True)[: args.send_sample]
        )
        started = time.monotonic()
        states = delay_notices_send(notice_ids=sample)
        send = time.monotonic() - started
        if sample:
            print(
                f"sending {len(sample):,} notices (ticket + message each): {send:.2f}s, "
                f"{len(sample) / send:.0f}/s; states { ({str(k): v for k, v in states.items()}) }"
            )

        out = io.StringIO()
        started = time.monotonic()
        call_command(
            "detect_delays", f"--now={(NOW + dt.timedelta(minutes=30)).isoformat()}", stdout=out
        )
        print(f"second detect_delays (nothing new): {time.monotonic() - started:.2f}s")
        print("  " + out.getvalue().strip().splitlines()[-1])
    finally:
        if not args.keep:
            _drop(database_url, name)


if __name__ == "__main__":
    main()
