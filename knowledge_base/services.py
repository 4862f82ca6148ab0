"""Writes of the knowledge base: articles (with their revisions), categories, votes.
Indexing follows on commit (the database backend's index is kept by the database itself)."""

from __future__ import annotations

from typing import Any

import nh3
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from markdown_it import MarkdownIt

from knowledge_base.models import Article, ArticleRevision, ArticleVote
from knowledge_base.search import indexing

_markdown = MarkdownIt("commonmark", {"linkify": False, "typographer": False}).enable("table")

ALLOWED_TAGS = {
    "a", "p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
    "h2", "h3", "h4", "table", "thead", "tbody", "tr", "th", "td", "img",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}}


def markdown_render(*, text: str) -> str:
    """Markdown to HTML, sanitised with nh3: no script, no event handler, no style, links
    only to http(s), mailto and relative addresses, and rel="noopener noreferrer"."""
    html = _markdown.render(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


EDITABLE = ("category", "language", "slug", "title", "summary", "body", "published", "internal")


def _index_on_commit(article_id: int) -> None:

    indexing.index_on_commit(kind="article", ids=[article_id])


@transaction.atomic
def article_create(
    *, editor: User | None = None, translation_of: Article | None = None, **fields: Any
) -> Article:
    article = Article(**{k: v for k, v in fields.items() if k in (*EDITABLE, "position")})
    if translation_of is not None:
        article.translation_key = translation_of.translation_key
        if article.category_id is None:
            article.category_id = translation_of.category_id
    article.body_html = markdown_render(text=article.body)
    article.updated_by = editor
    article.save()
    _index_on_commit(article.pk)
    return article


@transaction.atomic
def article_update(*, article: Article, editor: User | None = None, **fields: Any) -> Article:
    """Change an article; the text it had before is kept as a revision."""
    locked = Article.objects.select_for_update().get(pk=article.pk)
    changed = {k: v for k, v in fields.items() if k in EDITABLE and getattr(locked, k) != v}
    if not changed:
        return locked
    if {"title", "summary", "body", "published"} & changed.keys():
        ArticleRevision.objects.create(
            article=locked,
            editor=editor,
            title=locked.title,
            summary=locked.summary,
            body=locked.body,
            published=locked.published,
        )
    for key, value in changed.items():
        setattr(locked, key, value)
    locked.body_html = markdown_render(text=locked.body)
    locked.updated_by = editor
    locked.save()
    _index_on_commit(locked.pk)
    return locked


@transaction.atomic
def article_delete(*, article: Article) -> None:

    pk = article.pk
    article.delete()
    indexing.remove_on_commit(kind="article", ids=[pk])


@transaction.atomic
def articles_reorder(*, ids: list[int]) -> None:
    """Display order: the articles in ``ids`` take positions 0, 1, 2... in that order."""
    for position, pk in enumerate(ids):
        Article.objects.filter(pk=pk).update(position=position)


def article_vote(*, article: Article, visitor: str, helpful: bool) -> ArticleVote:
    """One vote per visitor per article: voting again changes the vote, never adds one."""
    visitor = visitor[:64]
    for _attempt in range(2):
        try:
            with transaction.atomic():
                vote, _created = ArticleVote.objects.update_or_create(
                    article=article, visitor=visitor, defaults={"helpful": helpful}
                )
                return vote
        except IntegrityError:  # a concurrent first vote won: update it
            continue
    return ArticleVote.objects.get(article=article, visitor=visitor)
