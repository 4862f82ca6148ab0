"""Indexing after commit: a write never waits for, nor fails because of, the search index.

The database backend keeps its own index inside the write (generated columns, triggers), so
its ``index``/``remove`` do nothing; the Elasticsearch backend sends the rows in bulk from a
Celery task queued on commit, which retries on failure."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction

from knowledge_base.search.backends import DATABASE, backend_path

logger = logging.getLogger(__name__)


def _external() -> bool:
    return backend_path() != DATABASE


def index_on_commit(*, kind: str, ids: Iterable[int]) -> None:
    if not _external():
        return
    ids = sorted(set(ids))
    transaction.on_commit(lambda: _enqueue("index", kind, ids), robust=True)


def remove_on_commit(*, kind: str, ids: Iterable[int]) -> None:
    if not _external():
        return
    ids = sorted(set(ids))
    transaction.on_commit(lambda: _enqueue("remove", kind, ids), robust=True)


def _enqueue(action: str, kind: str, ids: list[int]) -> None:
    from knowledge_base.tasks import search_index_task

    try:
        search_index_task.delay(action, kind, ids)
    except Exception:
        # The broker is down: the write stands; `manage.py search_reindex` catches up.
        logger.exception("search: could not queue %s of %s %s", action, kind, ids)


def index_now(*, kind: str, ids: Iterable[int]) -> None:
    """From code already running after commit (a domain-event subscriber)."""
    if _external():
        _enqueue("index", kind, sorted(set(ids)))
