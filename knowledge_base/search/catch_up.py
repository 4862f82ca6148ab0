"""The periodic catch-up of an external search index (Elasticsearch) with rows written
without a signal or a domain event: ``bulk_create`` (which sets ``created_at`` and
``updated_at`` but sends no ``post_save``) and other bulk imports. Tickets and articles are
found by ``updated_at``, messages by ``created_at``, since the last run (with a minute of
overlap for transactions that committed late), in chunks. Nothing runs on the database
backend, whose index the database keeps itself.

A ``QuerySet.update()`` changes neither timestamp: code that bulk-updates an indexed field
queues those rows itself (``indexing.index_on_commit``), or `search_reindex` mends it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils import timezone

from helpdesk.tickets.models import Message, Ticket
from knowledge_base.models import Article
from knowledge_base.search import indexing
from knowledge_base.search.backends import get_backend

KEY = "kb-search-catch-up"
FIRST_WINDOW = timedelta(minutes=15)  # looked back on the first run (or a lost cache)
OVERLAP = timedelta(minutes=1)
CHUNK = 500


def _chunks(ids: Iterator[int]) -> Iterator[list[int]]:
    chunk: list[int] = []
    for pk in ids:
        chunk.append(pk)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def search_catch_up(*, now: datetime | None = None) -> dict[str, int]:
    """Index what changed since the last run; returns the rows sent per kind."""
    if not indexing.external():
        return {}

    now = now or timezone.now()
    last = cache.get(KEY)
    since = (datetime.fromisoformat(last) if last else now - FIRST_WINDOW) - OVERLAP
    changed = {
        "ticket": Ticket.objects.filter(updated_at__gte=since),
        "article": Article.objects.filter(updated_at__gte=since),
        "message": Message.objects.filter(created_at__gte=since),
    }
    backend = get_backend()
    sent: dict[str, int] = {}
    for kind, rows in changed.items():
        ids = rows.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=CHUNK)
        for chunk in _chunks(ids):
            backend.index(kind=kind, ids=chunk)
            sent[kind] = sent.get(kind, 0) + len(chunk)
    cache.set(KEY, now.isoformat(), None)
    return sent
