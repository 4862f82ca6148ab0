"""What searches return. Plain frozen values: safe to hand to the bot, templates and JSON."""

from __future__ import annotations

from dataclasses import dataclass

AUDIENCES = ("public", "agents")


@dataclass(frozen=True)
class ArticleHit:
    """One article found. ``url`` is an absolute path (``/help/fr/suivre-mon-colis/``);
    ``snippet`` is the plain-text passage of the article most relevant to the query;
    ``score`` is higher for better matches (comparable within one result list only)."""

    article_id: int
    title: str
    url: str
    snippet: str
    score: float


@dataclass(frozen=True)
class TextMatch:
    """A row whose text matched: ``pk`` of the ticket or message, and its ticket."""

    pk: int
    ticket_id: int
    score: float


class SearchTimeout(Exception):
    """The search ran past its statement timeout; callers answer with no results."""
