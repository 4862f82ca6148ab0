"""Reads of the knowledge base."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Prefetch, Q, QuerySet

from knowledge_base.models import Article, Category


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
    from helpdesk.tickets.selectors import sees_everything

    return sees_everything(user)


def can_read_articles(user: User | AnonymousUser) -> bool:
    from helpdesk.tickets.selectors import is_staff_member

    return is_staff_member(user)
