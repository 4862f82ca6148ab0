"""The one search interface: index, remove, search, reindex."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from django.db.models import QuerySet

from knowledge_base.search.text import ParsedQuery
from knowledge_base.search.types import TextMatch

# What can be indexed: articles, tickets (subject) and messages (text).
KINDS = ("article", "ticket", "message")

Progress = Callable[[str, int, int], None]  # (kind, done, total)


class SearchBackend(Protocol):
    name: str

    def index(self, *, kind: str, ids: Iterable[int]) -> None:
        """(Re)index these rows: called after the write that changed them commits."""

    def remove(self, *, kind: str, ids: Iterable[int]) -> None:
        """Forget these rows."""

    def reindex(self, *, kinds: Iterable[str] = KINDS, progress: Progress | None = None) -> int:
        """Rebuild the index of ``kinds`` from the database; returns the rows indexed."""
        ...

    def search_articles(
        self,
        *,
        query: ParsedQuery,
        language: str,
        limit: int,
        audience: str,
        prefix: bool = False,
    ) -> list[tuple[int, float]]:
        """Article ids and scores, best first."""
        ...

    def search_tickets(
        self, *, query: ParsedQuery, visible: QuerySet, limit: int
    ) -> list[TextMatch]:
        """Tickets whose subject matches, among ``visible`` (a Ticket queryset)."""
        ...

    def search_messages(
        self, *, query: ParsedQuery, visible: QuerySet, limit: int
    ) -> list[TextMatch]:
        """Messages whose text matches, on tickets among ``visible``, newest first."""
        ...
