"""Inbound payloads accepted at once and received by a worker soon after.

A webhook checks its signature, stores the request as it arrived (a ``PENDING`` RawInbound)
and answers: the provider never waits for threading, SLA clocks or automations. After commit a
drain task is queued for the inbox unless one is already waiting (a cache key per inbox, so a
burst of requests queues one task, not one per request). The task removes that key before it
drains, so whatever arrives while it works queues the next run.

What a lost task leaves pending (a worker killed mid-drain, a broker down or hung when the
webhook committed) is received without waiting for the next webhook: a worker that starts
sweeps every pending row at once, and beat sweeps every 10 s the rows pending for more than
15 s. While Redis fails, a webhook stops trying it for a few seconds and answers at once.

The drain works in three steps, so that no network call happens inside a transaction:

1. read, without a lock: the inbox's oldest pending rows;
2. parse, outside any transaction: the channel adapter may fetch media (Twilio MMS) meanwhile,
   while every other write goes on;
3. receive: one transaction locks those rows that are still pending (``SKIP LOCKED`` on
   PostgreSQL, so two workers never receive the same row), stores their messages with
   ``messages_receive`` and marks each row accepted, duplicate or refused with its reason.

A row stays ``PENDING`` until the transaction that stores its messages commits: a worker killed
at any step leaves nothing half-done, and the next drain receives the row once.
Any channel whose adapter can ``parse`` the stored bytes can use this path.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, BaseCache, caches
from django.db import InterfaceError, OperationalError, connections, router, transaction
from django.utils import timezone

from helpdesk.celery import task_named
from helpdesk.channels import get_adapter
from helpdesk.contracts import AfterReceive, ChannelAdapter, InboundMessage, RejectedInput
from helpdesk.tickets.models import Inbox, Message, RawInbound, RawStatus
from helpdesk.tickets.services import ReceiveResult, message_receive, messages_receive

logger = logging.getLogger(__name__)

DRAIN_BATCH = 200
DRAIN_TASK = "helpdesk.tickets.tasks.raw_inbound_drain_task"  # queued by name: tasks imports us
# How long a queued drain task holds off the next one for its inbox. Only matters when a
# task is lost; the sweep receives what it left behind.
WAKE_TIMEOUT = 10
SWEEP_AGE = timedelta(seconds=15)
# After Redis failed a wake, webhooks leave waking to the sweeps for this long.
WAKE_PAUSE_SECONDS = 5.0
_wakes_paused_until = 0.0


def wake_key(inbox_id: int) -> str:
    return f"inbound-drain:{inbox_id}"


_wake_cache: BaseCache | None = None


def _flags() -> BaseCache:
    """The default cache, one instance per process.

    ``django.core.cache.cache`` is a new instance in every ASGI request (its connections are
    per context), which for Redis means a new connection on every webhook.
    """
    global _wake_cache
    if _wake_cache is None:
        _wake_cache = caches.create_connection(DEFAULT_CACHE_ALIAS)
    return _wake_cache


@dataclass
class DrainReport:
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0

    @property
    def rows(self) -> int:
        return self.accepted + self.duplicate + self.rejected


def raw_inbound_accept(
    *,
    inbox: Inbox,
    payload: bytes,
    external_id: str,
    source: str = "",
    content_type: str = "",
    headers: dict[str, Any] | None = None,
) -> None:
    """Store a verified payload to be received, once per (inbox, external_id).

    A redelivery of an id already stored is ignored without an error. After commit, a drain
    of the inbox is queued unless one is already waiting.
    """
    row = RawInbound(
        inbox=inbox,
        source=source[:255],
        content_type=content_type[:255],
        headers=headers or {},
        payload=payload,
        external_id=external_id[:255],
        status=RawStatus.PENDING,
    )
    _insert_ignoring_conflicts(row)
    inbox_id = inbox.pk
    transaction.on_commit(lambda: raw_inbound_wake(inbox_id=inbox_id))


def _insert_ignoring_conflicts(row: RawInbound) -> None:
    """One ``INSERT ... ON CONFLICT DO NOTHING`` (PostgreSQL and SQLite alike).

    ``bulk_create(ignore_conflicts=True)`` does the same inside a transaction of its own:
    two more round trips to the database on every webhook.
    """
    connection = connections[router.db_for_write(RawInbound)]
    fields = [field for field in RawInbound._meta.concrete_fields if not field.primary_key]
    values = [field.get_db_prep_save(field.pre_save(row, True), connection) for field in fields]
    quote = connection.ops.quote_name
    # Only the model's own table and column names are spliced in; the values are parameters.
    sql = "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT DO NOTHING".format(  # noqa: S608
        quote(RawInbound._meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)


def raw_inbound_wake(*, inbox_id: int) -> None:
    """Queue a drain of the inbox unless one is already queued.

    Never raises: the payload is committed, and the sweep receives it if no task runs.
    """
    if time.monotonic() < _wakes_paused_until:
        return
    key = wake_key(inbox_id)
    try:
        if not _flags().add(key, 1, timeout=WAKE_TIMEOUT):
            return
    except Exception:
        _pause_wakes()
        logger.exception("Could not check the drain of inbox %s; the sweep will run it", inbox_id)
        return
    try:
        # No retries: a lost wake costs a sweep's delay, a retry costs the webhook's time.
        task_named(DRAIN_TASK).apply_async((inbox_id,), retry=False)
    except Exception:
        _pause_wakes()
        logger.exception("Could not queue the drain of inbox %s; the sweep will run it", inbox_id)
        try:
            _flags().delete(key)
        except Exception:
            logger.exception("Could not clear the drain key of inbox %s", inbox_id)


def _pause_wakes() -> None:
    global _wakes_paused_until
    _wakes_paused_until = time.monotonic() + WAKE_PAUSE_SECONDS


def raw_inbound_drain(*, inbox_id: int, batch_size: int = DRAIN_BATCH) -> DrainReport:
    """Receive every pending payload of an inbox, oldest first; what arrives meanwhile too."""
    # First: from here on, an arrival queues another run rather than relying on this one.
    try:
        _flags().delete(wake_key(inbox_id))
    except Exception:
        logger.exception("Could not clear the drain key of inbox %s", inbox_id)
    report = DrainReport()
    inbox = Inbox.objects.filter(pk=inbox_id).first()
    if inbox is None:
        return report
    adapter = get_adapter(inbox.kind)
    while True:
        taken = _drain_batch(inbox=inbox, adapter=adapter, batch_size=batch_size, report=report)
        if taken < batch_size:
            return report


def raw_inbound_sweep(
    *, now: datetime | None = None, older_than: timedelta = SWEEP_AGE
) -> dict[str, int]:
    """Drain inboxes with a payload pending for longer than ``older_than`` (a lost task)."""
    cutoff = (now or timezone.now()) - older_than
    stale = RawInbound.objects.filter(status=RawStatus.PENDING, received_at__lt=cutoff)
    orphans = stale.filter(inbox__isnull=True).update(
        status=RawStatus.REJECTED, error="The inbox was deleted before this was received."
    )
    inbox_ids = sorted(set(stale.exclude(inbox__isnull=True).values_list("inbox_id", flat=True)))
    received = 0
    for inbox_id in inbox_ids:
        received += raw_inbound_drain(inbox_id=inbox_id).rows
    return {"inboxes": len(inbox_ids), "received": received, "orphans": orphans}


def _error_text(exc: Exception) -> str:
    if isinstance(exc, RejectedInput):
        return exc.reason
    return f"{type(exc).__name__}: {exc}"


def _drain_batch(
    *, inbox: Inbox, adapter: ChannelAdapter, batch_size: int, report: DrainReport
) -> int:
    """Receive the inbox's oldest pending rows; how many this worker took (0: none left)."""
    peeked = list(
        RawInbound.objects.filter(inbox_id=inbox.pk, status=RawStatus.PENDING).order_by("id")[
            :batch_size
        ]
    )
    if not peeked:
        return 0
    # Outside any transaction: parsing may call the network (media), holding no lock.
    parsed: list[tuple[RawInbound, list[InboundMessage]] | tuple[RawInbound, Exception]] = []
    for row in peeked:
        try:
            inbounds = adapter.parse(bytes(row.payload), inbox_id=inbox.pk, config=inbox.config)
        except (OperationalError, InterfaceError):
            raise
        except Exception as exc:
            parsed.append((row, exc))
            continue
        # The row is already the raw record of these messages: not stored a second time.
        parsed.append((row, [dataclasses.replace(inbound, raw=b"") for inbound in inbounds]))
    return _receive_batch(inbox=inbox, adapter=adapter, parsed=parsed, report=report)


def _receive_batch(
    *,
    inbox: Inbox,
    adapter: ChannelAdapter,
    parsed: list[tuple[RawInbound, list[InboundMessage]] | tuple[RawInbound, Exception]],
    report: DrainReport,
) -> int:
    with transaction.atomic():
        # Another worker may have received some of these rows since they were read.
        mine = set(
            RawInbound.objects.select_for_update(skip_locked=True)
            .filter(pk__in=[row.pk for row, _ in parsed], status=RawStatus.PENDING)
            .values_list("pk", flat=True)
        )
        rows = [row for row, _ in parsed if row.pk in mine]
        parsed_ok: list[tuple[RawInbound, list[InboundMessage]]] = []
        for row, outcome in parsed:
            if row.pk not in mine:
                continue
            if isinstance(outcome, Exception):
                _reject(row, outcome)
            else:
                parsed_ok.append((row, outcome))
        stored: list[Message] = []
        try:
            with transaction.atomic():
                results = messages_receive(
                    inbounds=[inbound for _, inbounds in parsed_ok for inbound in inbounds]
                )
                position = 0
                for row, inbounds in parsed_ok:
                    row_results = results[position : position + len(inbounds)]
                    position += len(inbounds)
                    _after_receive(adapter, inbounds, row_results)
                    stored += _record(row, row_results)
        except (OperationalError, InterfaceError):
            raise
        except Exception:
            logger.exception(
                "Receiving %s payloads of inbox %s at once failed; one at a time now",
                len(parsed_ok),
                inbox.pk,
            )
            stored = []
            for row, inbounds in parsed_ok:
                stored += _receive_one(adapter, row, inbounds)

        for row in rows:
            report.accepted += row.status == RawStatus.ACCEPTED
            report.duplicate += row.status == RawStatus.DUPLICATE
            report.rejected += row.status == RawStatus.REJECTED
        RawInbound.objects.bulk_update(rows, ["status", "error"])
        if stored:
            Message.objects.bulk_update(stored, ["raw"])
    return len(rows)


def _receive_one(
    adapter: ChannelAdapter, row: RawInbound, inbounds: list[InboundMessage]
) -> list[Message]:
    try:
        with transaction.atomic():
            results = [message_receive(inbound=inbound) for inbound in inbounds]
            _after_receive(adapter, inbounds, results)
            return _record(row, results)
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:
        logger.exception("Payload %s of inbox %s could not be received", row.pk, row.inbox_id)
        _reject(row, exc)
        return []


def _after_receive(
    adapter: ChannelAdapter, inbounds: list[InboundMessage], results: list[ReceiveResult]
) -> None:
    """The channel's own effects of a new message (STOP/START), in the same transaction."""
    if not isinstance(adapter, AfterReceive):
        return
    for inbound, result in zip(inbounds, results, strict=True):
        if result.outcome != "duplicate":
            adapter.after_receive(inbound, result)


def _record(row: RawInbound, results: list[ReceiveResult]) -> list[Message]:
    """Mark the row received; its new messages, to be linked to it."""
    new = [result.message for result in results if result.outcome != "duplicate"]
    row.status = RawStatus.DUPLICATE if results and not new else RawStatus.ACCEPTED
    row.error = ""
    for message in new:
        message.raw = row
    return new


def _reject(row: RawInbound, exc: Exception) -> None:
    row.status = RawStatus.REJECTED
    row.error = _error_text(exc)
