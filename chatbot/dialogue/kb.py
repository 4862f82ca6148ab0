"""The knowledge base as the bot sees it: the best passage of the best article, and its link.

It goes through ``knowledge_base.search.article_search`` (public articles, in the customer's
language). Where that search is not installed, published public articles are scored by the
words they share with the question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chatbot.nlu.text import text_normalize

_WORD = re.compile(r"\w{3,}")
_STOP = frozenset(
    [
        "les",
        "des",
        "une",
        "est",
        "pas",
        "que",
        "qui",
        "pour",
        "par",
        "sur",
        "avec",
        "dans",
        "mon",
        "mes",
        "vous",
        "votre",
        "vos",
        "comment",
        "quand",
        "the",
        "and",
        "for",
        "you",
        "your",
        "are",
        "can",
        "how",
        "what",
        "when",
        "with",
        "from",
        "this",
        "that",
        "have",
        "not",
    ]
)


@dataclass(frozen=True)
class Passage:
    article_id: int
    title: str
    url: str
    text: str
    score: float


def _words(text: str) -> set[str]:
    return {word for word in _WORD.findall(text_normalize(text)) if word not in _STOP}


def passage_best(*, body: str, query: str, limit: int = 280) -> str:
    """The paragraph of ``body`` sharing most words with ``query``, cut at a sentence."""
    wanted = _words(query)
    paragraphs = [p.strip(" #*-\t") for p in re.split(r"\n\s*\n|\n(?=[#*-])", body) if p.strip()]
    if not paragraphs:
        return ""
    best = max(paragraphs, key=lambda p: (len(wanted & _words(p)), -paragraphs.index(p)))
    best = re.sub(r"\s+", " ", re.sub(r"[*_`#>]", "", best)).strip()
    if len(best) <= limit:
        return best
    cut = best[:limit]
    stop = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    return (cut[: stop + 1] if stop > limit // 3 else cut.rstrip() + "…").strip()


def _fallback_search(
    *, query: str, language: str, limit: int
) -> list[tuple[int, str, str, str, float]]:
    from knowledge_base.models import Article

    wanted = _words(query)
    if not wanted:
        return []
    scored = []
    articles = Article.objects.filter(published=True, internal=False, language=language).only(
        "pk", "title", "summary", "body", "slug"
    )
    for article in articles:
        title_words = _words(article.title)
        words = _words(f"{article.summary} {article.body}")
        score = 2.0 * len(wanted & title_words) + len(wanted & words)
        if score:
            scored.append((article.pk, article.title, "", article.body, score / (len(wanted) + 1)))
    scored.sort(key=lambda row: -row[4])
    return scored[:limit]


def kb_answer(*, query: str, language: str) -> Passage | None:
    """The best public article for ``query`` in ``language``, with its relevant passage."""
    from knowledge_base.models import Article

    try:
        from knowledge_base.search import article_search  # type: ignore[import-not-found]
    except ImportError:
        article_search = None
    if article_search is not None:
        hits = article_search(query=query, language=language, limit=3, audience="public")
        if not hits:
            return None
        hit = hits[0]
        article = Article.objects.filter(pk=hit.article_id).only("body").first()
        body = article.body if article is not None else hit.snippet
        text = passage_best(body=body, query=query) or hit.snippet
        return Passage(hit.article_id, hit.title, hit.url, text, float(hit.score))
    rows = _fallback_search(query=query, language=language, limit=1)
    if not rows:
        return None
    article_id, title, url, body, score = rows[0]
    if score < 0.34:
        return None
    return Passage(article_id, title, url, passage_best(body=body, query=query), score)
