"""Search: one interface over the backend chosen by settings (see docs/search.md).

The stable entry point for articles, used by the help centre, the agents' suggestions and the
bot::

    from knowledge_base.search import ArticleHit, article_search
    hits = article_search(query="colis abîmé", language="fr", limit=3)
"""

from __future__ import annotations

import logging

from django.conf import settings

from knowledge_base.models import Article
from knowledge_base.search.backends import get_backend
from knowledge_base.search.text import parse_query, plain_text, snippet
from knowledge_base.search.types import AUDIENCES, ArticleHit, SearchTimeout

__all__ = ["ArticleHit", "article_search"]

logger = logging.getLogger(__name__)


def article_search(
    *, query: str, language: str, limit: int = 3, audience: str = "public"
) -> list[ArticleHit]:
    """Published articles in ``language`` best matching ``query``, best first.

    ``audience="public"`` leaves out internal articles (customers, the bot);
    ``audience="agents"`` includes them. Never raises for what a person typed: an empty
    query, stop words only, a huge or hostile string all give ``[]`` or results; a search
    that fails or runs past its timeout gives ``[]`` (and is logged)."""
    return article_search_hits(query=query, language=language, limit=limit, audience=audience)


def article_search_hits(
    *, query: str, language: str, limit: int = 3, audience: str = "public", prefix: bool = False
) -> list[ArticleHit]:

    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {AUDIENCES}, not {audience!r}")
    languages = {code for code, _name in settings.LANGUAGES}
    if language not in languages:
        language = settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in languages else "en"
    limit = max(0, min(int(limit), 50))
    parsed = parse_query(query, language)
    if parsed.empty or not limit:
        return []
    try:
        found = get_backend().search_articles(
            query=parsed, language=language, limit=limit, audience=audience, prefix=prefix
        )
    except SearchTimeout:
        logger.warning("search: article search timed out", extra={"query": parsed.text})
        return []
    except Exception:
        logger.exception("search: article search failed")
        return []
    articles = Article.objects.in_bulk([pk for pk, _score in found])
    hits = []
    for pk, score in found:
        article = articles.get(pk)
        if article is None:
            continue
        text = plain_text(f"{article.summary}\n{article.body}")
        hits.append(
            ArticleHit(
                article_id=article.pk,
                title=article.title,
                url=article.get_absolute_url(),
                snippet=snippet(text, parsed, language, prefix=prefix),
                score=round(score, 6),
            )
        )
    return hits
