"""Reads of the knowledge base."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Prefetch, Q, QuerySet

from helpdesk.tickets.selectors import is_staff_member, sees_everything
from knowledge_base.models import Article, ArticleRevision, Category


def articles_public(*, language: str) -> QuerySet[Article]:
    return Article.objects.filter(language=language, published=True, internal=False)


def article_public_get(*, language: str, slug: str) -> Article | None:
    return articles_public(language=language).select_related("category").filter(slug=slug).first()


def categories_with_articles(*, language: str) -> list[Category]:
    """Categories in display order, each with its public articles (``public_articles``);
    categories without one are left out."""
    categories = Category.objects.prefetch_related(
        Prefetch(
            "articles",
            queryset=articles_public(language=language).order_by("position", "title"),
            to_attr="public_articles",
        )
    )
    return [c for c in categories if getattr(c, "public_articles", None)]


def article_translations(*, article: Article, public: bool = True) -> dict[str, Article]:
    """The article's versions in every language (itself included), by language."""
    qs = Article.objects.filter(translation_key=article.translation_key)
    if public:
        qs = qs.filter(published=True, internal=False)
    return {a.language: a for a in qs}


def article_votes(*, article: Article) -> dict[str, int]:
    counts = article.votes.aggregate(
        yes=Count("pk", filter=Q(helpful=True)), no=Count("pk", filter=Q(helpful=False))
    )
    return {"helpful": counts["yes"] or 0, "unhelpful": counts["no"] or 0}


def can_edit_articles(user: User | AnonymousUser) -> bool:

    return sees_everything(user)


def can_read_articles(user: User | AnonymousUser) -> bool:

    return is_staff_member(user)


@dataclass(frozen=True)
class DiffLine:
    """One line of a text comparison: ``kind`` is "added", "removed", "same" or "gap" (lines
    left out between two changes)."""

    kind: str
    text: str


@dataclass(frozen=True)
class RevisionChange:
    """What one edit changed: the text before it (``revision``) against the text after it
    (the next revision, or the article as it is for the latest edit)."""

    revision: ArticleRevision
    title_before: str
    title_after: str
    summary_before: str
    summary_after: str
    published_before: bool
    published_after: bool
    lines: list[DiffLine]

    @property
    def body_changed(self) -> bool:
        return any(line.kind in {"added", "removed"} for line in self.lines)


def text_diff(before: str, after: str, *, context: int = 2) -> list[DiffLine]:
    """Line by line (difflib), with ``context`` unchanged lines around each change. Plain
    text: templates escape it."""
    lines: list[DiffLine] = []
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=context)
    for line in diff:
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            if lines:
                lines.append(DiffLine("gap", "…"))
            continue
        kind = {"+": "added", "-": "removed"}.get(line[:1], "same")
        lines.append(DiffLine(kind, line[1:]))
    return lines


def article_history(*, article: Article, limit: int = 50) -> list[RevisionChange]:
    """The article's edits, newest first, each with what it changed."""
    revisions = list(article.revisions.select_related("editor")[:limit])
    changes = []
    after: Article | ArticleRevision = article
    for revision in revisions:
        changes.append(
            RevisionChange(
                revision=revision,
                title_before=revision.title,
                title_after=after.title,
                summary_before=revision.summary,
                summary_after=after.summary,
                published_before=revision.published,
                published_after=after.published,
                lines=text_diff(revision.body, after.body),
            )
        )
        after = revision
    return changes
