"""Indexing after commit: a write never waits for, nor fails because of, the search index.

The database backend keeps its own index inside the write (generated columns, triggers), so
nothing here runs for it; the Elasticsearch backend gets the rows in bulk from a Celery task
queued on commit, which retries on failure.

Three ways bring changes to it (``docs/search.md``): the core's domain events (a message
received or sent, a ticket created), the models' ``post_save``/``post_delete`` signals
(anything saved through the ORM: the Django admin, a service, a script), and a periodic
catch-up (``search_catch_up_task``) for rows written without either (``bulk_create``, raw
SQL imports). The rows changed in one transaction go out as one task per kind."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction

from helpdesk.celery import task_named
from knowledge_base.search.backends import DATABASE, backend_path

logger = logging.getLogger(__name__)

_local = threading.local()


def external() -> bool:
    return backend_path() != DATABASE


def index_on_commit(*, kind: str, ids: Iterable[int]) -> None:
    if external():
        _queue("index", kind, ids)


def remove_on_commit(*, kind: str, ids: Iterable[int]) -> None:
    if external():
        _queue("remove", kind, ids)


def _queue(action: str, kind: str, ids: Iterable[int]) -> None:
    """Gather the rows of this transaction; one task per (action, kind) after commit."""
    ids = set(ids)
    if not ids:
        return
    if not connection.in_atomic_block:
        _enqueue(action, kind, sorted(ids))
        return
    pending: defaultdict[tuple[str, str], set[int]] | None = getattr(_local, "pending", None)
    if pending is None or not any(entry[1] is _flush for entry in connection.run_on_commit):
        # No callback of ours waits any more: the transaction that gathered these rows
        # rolled back (its callbacks went with it), so they are dropped too.
        pending = _local.pending = defaultdict(set)
    pending[(action, kind)] |= ids
    # Registered with every row (a savepoint rolled back drops its own callbacks); the
    # first callback to run sends everything gathered, the others find nothing left.
    transaction.on_commit(_flush, robust=True)


def _flush() -> None:
    pending = getattr(_local, "pending", None)
    _local.pending = None
    for (action, kind), ids in sorted((pending or {}).items()):
        _enqueue(action, kind, sorted(ids))


def _enqueue(action: str, kind: str, ids: list[int]) -> None:
    try:
        task_named("knowledge_base.tasks.search_index_task").delay(action, kind, ids)
    except Exception:
        # The broker is down: the write stands; the catch-up task or `search_reindex` mends.
        logger.exception("search: could not queue %s of %s %s", action, kind, ids)


def index_now(*, kind: str, ids: Iterable[int]) -> None:
    """From code already running after commit (a domain-event subscriber)."""
    if external():
        _enqueue("index", kind, sorted(set(ids)))
