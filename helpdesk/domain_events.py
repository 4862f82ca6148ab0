"""After-commit domain events and their subscribers.

A service ``emit()``s an event inside its transaction; once that transaction commits, every
subscriber of the event's type runs, in registration order. A rollback drops the event. An
event carries ids and plain values only (it is serialised to JSON and read back before any
subscriber sees it, so it can cross a process boundary unchanged).

Features subscribe instead of being called by name::

    @domain_events.subscriber(MessageReceived)
    def ticket_announce(event: MessageReceived) -> None: ...

(in a module the feature's ``AppConfig.ready()`` imports). A subscriber runs in its own
transaction: if it raises, what it wrote rolls back, the failure is stored as a
``SubscriberFailure`` row (seen in the admin and counted on /healthz for staff), and the other
subscribers still run. The write that emitted the event is never undone.

Some effects belong in the write's own transaction (SLA due times stamped on the ticket row,
the order a message is about, read by the rules that run next). Their owners subscribe with
``in_transaction=True``: such a subscriber runs at ``emit()``, in a savepoint, with the live
instances the emitter passed (``ticket=``, ``message=``), and returns the names of the
``ticket`` fields it changed (the emitter saves them with its own). If it raises, its savepoint
rolls back, the failure is recorded the same way, and the write goes on.
"""

from __future__ import annotations

import contextvars
import dataclasses
import json
import logging
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import transaction

from helpdesk.tickets.models import SubscriberFailure

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DomainEvent:
    """Base of every event: a frozen dataclass of ids and plain values."""


_EVENT_TYPES: dict[str, type[DomainEvent]] = {}
_SUBSCRIBERS: dict[type[DomainEvent], list[Callable[[Any], None]]] = {}
_IN_TRANSACTION: dict[type[DomainEvent], list[Callable[..., Any]]] = {}
_BATCH: list[tuple[tuple[type[DomainEvent], ...], Callable[[list[Any]], None]]] = []

E = TypeVar("E", bound=DomainEvent)


def event_type(cls: type[E]) -> type[E]:
    """Register an event class by name (so it can be read back from plain values)."""
    name = cls.__name__
    if _EVENT_TYPES.get(name, cls) is not cls:
        raise ValueError(f"Two domain events are named {name}")
    _EVENT_TYPES[name] = cls
    return cls


# --- The events ------------------------------------------------------------------------------


@event_type
@dataclass(frozen=True)
class MessageReceived(DomainEvent):
    """A customer message was stored (never for a repeated delivery)."""

    ticket_id: int
    message_id: int
    inbox_id: int
    channel: str
    created_ticket: bool


@event_type
@dataclass(frozen=True)
class MessageClaimed(DomainEvent):
    """An inbound interceptor (helpdesk.conversation) claimed a message for a ticket."""

    ticket_id: int
    message_id: int
    inbox_id: int
    channel: str
    interceptor: str


@event_type
@dataclass(frozen=True)
class TicketCreated(DomainEvent):
    ticket_id: int
    inbox_id: int
    channel: str
    contact_id: int


@event_type
@dataclass(frozen=True)
class TicketStatusChanged(DomainEvent):
    ticket_id: int
    old: str
    new: str
    actor_id: int | None = None


@event_type
@dataclass(frozen=True)
class TicketPriorityChanged(DomainEvent):
    ticket_id: int
    old: int
    new: int
    actor_id: int | None = None


@event_type
@dataclass(frozen=True)
class ReplySent(DomainEvent):
    """A reply to the customer was queued (by an agent, the bot or the system).

    ``first_response`` is true for the ticket's first agent reply (reports' response time).
    """

    ticket_id: int
    message_id: int
    author_id: int | None
    author_type: str
    first_response: bool = False


@event_type
@dataclass(frozen=True)
class OrderLinked(DomainEvent):
    """A ticket's order changed (``order_id`` None: unlinked)."""

    ticket_id: int
    order_id: int | None
    actor_id: int | None = None


@event_type
@dataclass(frozen=True)
class DelayNotified(DomainEvent):
    """A customer was told their shipment is late."""

    shipment_id: int
    notice_id: int
    ticket_id: int | None
    message_id: int | None


@event_type
@dataclass(frozen=True)
class TicketHandedOver(DomainEvent):
    """The conversation changed hands (``helpdesk.conversation``), with the reason why."""

    ticket_id: int
    reason: str
    from_handler: str
    to_handler: str
    actor_id: int | None = None


# --- Serialisation -----------------------------------------------------------------------------


def event_to_json(event: DomainEvent) -> str:
    if type(event).__name__ not in _EVENT_TYPES:
        raise TypeError(f"{type(event).__name__} is not a registered domain event")
    values = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
    return json.dumps({"type": type(event).__name__, "values": values}, sort_keys=True)


def event_from_json(payload: str) -> DomainEvent:
    data = json.loads(payload)
    return _EVENT_TYPES[data["type"]](**data["values"])


# --- Subscribers -------------------------------------------------------------------------------


def subscriber(
    *types: type[DomainEvent], in_transaction: bool = False
) -> Callable[[Callable[..., Any]], Callable]:
    """Register the decorated function for these event types (after commit, or inside the
    emitting transaction). Registering the same function twice (a module imported again)
    keeps one registration."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        for cls in types:
            subscribe(cls, fn, in_transaction=in_transaction)
        return fn

    return register


def batch_subscriber(
    *types: type[DomainEvent],
) -> Callable[[Callable[[list[Any]], None]], Callable[[list[Any]], None]]:
    """Register the decorated function for the events of these types that one commit
    published, all at once (a receive batch's messages: one read, one trip to the live
    layer), after the other subscribers."""

    def register(fn: Callable[[list[Any]], None]) -> Callable[[list[Any]], None]:
        key = _name(fn)
        _BATCH[:] = [(t, f) for t, f in _BATCH if _name(f) != key]
        _BATCH.append((types, fn))
        return fn

    return register


def batch_unsubscribe(fn: Callable[[list[Any]], None]) -> None:
    key = _name(fn)
    _BATCH[:] = [(t, f) for t, f in _BATCH if _name(f) != key]


def _registry(in_transaction: bool) -> dict[type[DomainEvent], list[Callable[..., Any]]]:
    return _IN_TRANSACTION if in_transaction else _SUBSCRIBERS


def subscribe(
    cls: type[DomainEvent], fn: Callable[..., Any], *, in_transaction: bool = False
) -> None:
    listeners = _registry(in_transaction).setdefault(cls, [])
    key = _name(fn)
    listeners[:] = [f for f in listeners if _name(f) != key]
    listeners.append(fn)


def unsubscribe(
    cls: type[DomainEvent], fn: Callable[..., Any], *, in_transaction: bool = False
) -> None:
    registry = _registry(in_transaction)
    key = _name(fn)
    registry[cls] = [f for f in registry.get(cls, []) if _name(f) != key]


def subscribers(cls: type[DomainEvent], *, in_transaction: bool = False) -> list[Callable]:
    return list(_registry(in_transaction).get(cls, []))


def _name(fn: Callable) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


# --- Emitting ----------------------------------------------------------------------------------


@dataclass
class _Batch:
    pending: list[str] = dataclasses.field(default_factory=list)
    cache: dict[str, Any] = dataclasses.field(default_factory=dict)


_batch: contextvars.ContextVar[_Batch | None] = contextvars.ContextVar(
    "domain_events_batch", default=None
)


def emit(event: DomainEvent, **live: Any) -> set[str]:
    """Run the in-transaction subscribers of ``event`` now, with the ``live`` instances, and
    publish it to the others once the current transaction commits (at once outside one).
    Returns the fields of ``live["ticket"]`` the in-transaction subscribers changed."""
    payload = event_to_json(event)  # refuses a value that is not plain, at the emitting line
    changed = (
        _run_in_transaction(event, payload, live) if _IN_TRANSACTION.get(type(event)) else set()
    )
    batch = _batch.get()
    if batch is not None:
        batch.pending.append(payload)
    else:
        transaction.on_commit(lambda: dispatch(payload))
    return changed


def _run_in_transaction(event: DomainEvent, payload: str, live: dict[str, Any]) -> set[str]:
    changed: set[str] = set()
    batch = _batch.get()
    for fn in subscribers(type(event), in_transaction=True):
        emitted = len(batch.pending) if batch is not None else 0
        try:
            with _savepoint_before_first_query():
                changed.update(fn(event, **live) or ())
        except Exception as exc:
            if batch is not None:
                del batch.pending[emitted:]  # what it emitted rolled back with it
            logger.exception("Subscriber %s failed on %s", _name(fn), payload)
            failure_record(subscriber=_name(fn), payload=payload, error=exc)
    return changed


@contextmanager
def _savepoint_before_first_query() -> Iterator[None]:
    """``transaction.atomic()`` for an in-transaction subscriber, whose savepoint is taken
    only before its first statement: one that answers from what the batch already read (SLA
    policies, whether a contact has orders) costs no round trip. If it raises, what it wrote
    rolls back to that savepoint and the write goes on."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        with transaction.atomic():
            yield
        return
    taken: list[str | None] = []

    def before_first(execute, sql, params, many, context):
        if not taken:
            taken.append(None)  # the SAVEPOINT statement itself passes through here
            taken[0] = connection.savepoint()
        return execute(sql, params, many, context)

    needs_rollback = connection.needs_rollback
    try:
        with connection.execute_wrapper(before_first):
            yield
    except BaseException:
        if taken and taken[0]:
            connection.savepoint_rollback(taken[0])
        connection.needs_rollback = needs_rollback
        raise
    if taken and taken[0]:
        connection.savepoint_commit(taken[0])


def batch_cache() -> dict[str, Any]:
    """A dict that lives as long as the current ``batched()`` block (a fresh one outside any):
    where an in-transaction subscriber keeps what every message of a receive batch shares."""
    batch = _batch.get()
    return batch.cache if batch is not None else {}


@contextmanager
def batched() -> Iterator[None]:
    """Events emitted inside are dispatched together, in order, after commit. For a block
    that either completes or raises out of its transaction (no savepoint caught inside, but
    the in-transaction subscribers' own)."""
    if _batch.get() is not None:
        yield
        return
    batch = _Batch()
    token = _batch.set(batch)
    try:
        yield
    finally:
        _batch.reset(token)
    if batch.pending:
        transaction.on_commit(lambda: dispatch(*batch.pending))


def dispatch(*payloads: str) -> None:
    """Run every subscriber of each event, each in its own transaction, then the batch
    subscribers with their events; record failures."""
    events = []
    for payload in payloads:
        event = event_from_json(payload)
        events.append((payload, event))
        for fn in subscribers(type(event)):
            _run_after_commit(fn, event, payload)
    for types, fn in list(_BATCH):
        mine = [(payload, event) for payload, event in events if isinstance(event, types)]
        if not mine:
            continue
        try:
            with transaction.atomic():
                fn([event for _p, event in mine])
        except Exception:
            # Its writes rolled back: again one event at a time, so one bad event is
            # recorded alone and the others take effect.
            logger.exception("Batch subscriber %s failed: one event at a time", _name(fn))
            for payload, event in mine:
                _run_after_commit(fn, [event], payload)


def _run_after_commit(fn: Callable[[Any], None], argument: Any, payload: str) -> None:
    try:
        with transaction.atomic():
            fn(argument)
    except Exception as exc:
        logger.exception("Subscriber %s failed on %s", _name(fn), payload)
        failure_record(subscriber=_name(fn), payload=payload, error=exc)


def failure_record(*, subscriber: str, payload: str, error: BaseException) -> None:
    try:
        data = json.loads(payload)
        SubscriberFailure.objects.create(
            event=data["type"][:64],
            payload=data["values"],
            subscriber=subscriber[:255],
            error=f"{type(error).__name__}: {error}"[:1000],
            traceback="".join(traceback.format_exception(error))[-8000:],
        )
    except Exception:
        logger.exception("Could not record the failure of %s", subscriber)
