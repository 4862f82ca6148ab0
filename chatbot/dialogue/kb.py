"""The knowledge base as the bot sees it: the best passage of the best article, and its link.

It goes through ``knowledge_base.search.article_search`` (public articles, in the customer's
language), the same search as the help centre's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chatbot.nlu.text import text_normalize
from knowledge_base.models import Article
from knowledge_base.search import article_search

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
        # Words of politeness and asking, in every customer's message, that say nothing of
        # what the question is about.
        "bonjour",
        "bonsoir",
        "salut",
        "coucou",
        "merci",
        "svp",
        "stp",
        "please",
        "pls",
        "plz",
        "hello",
        "hey",
        "thanks",
        "thank",
        "voudrais",
        "veux",
        "peux",
        "pouvez",
        "puis",
        "faire",
        "savoir",
        "would",
        "like",
        "want",
        "need",
        "could",
        "know",
        "tell",
        "help",
        "aide",
        "aider",
        "there",
        "est-ce",
        "quel",
        "quelle",
        "which",
        "does",
        "did",
        "will",
        "ai",
        "suis",
        "avoir",
        "mais",
        "but",
        "just",
        "comme",
    ]
)
# Share of the question's words (cut to their first letters, so that "rembourser" meets
# "remboursement") found in the best article's title and summary: under it, the article is not
# an answer.
# Chosen with `manage.py chatbot_eval chatbot/data/eval.csv --kb` on the demo shop's articles
# (docs/chatbot.md, "Knowledge-base answers").
KB_MIN_RELEVANCE = 0.25
STEM = 5


@dataclass(frozen=True)
class Passage:
    article_id: int
    title: str
    url: str
    text: str
    score: float


def _words(text: str) -> set[str]:
    return {word for word in _WORD.findall(text_normalize(text)) if word not in _STOP}


def _stems(text: str) -> set[str]:
    return {word[:STEM] for word in _words(text)}


def relevance(*, query: str, article_text: str) -> float:
    """The share (0 to 1) of the question's words found in the article; 0 without words."""
    wanted = _stems(query)
    if not wanted:
        return 0.0
    return len(wanted & _stems(article_text)) / len(wanted)


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


def kb_best(*, query: str, language: str) -> tuple[Passage, float, str] | None:
    """The best public article for ``query`` in ``language``: its relevant passage, how
    relevant it is (``relevance``) and its category's slug, whatever the relevance."""

    hits = article_search(query=query, language=language, limit=3, audience="public")
    if not hits:
        return None
    hit = hits[0]
    article = (
        Article.objects.filter(pk=hit.article_id)
        .select_related("category")
        .only("title", "summary", "body", "category__slug")
        .first()
    )
    if article is None:
        return None
    # Measured: the title and summary tell a right article from a wrong one better than the
    # whole body, where most words of any question appear somewhere.
    score = relevance(query=query, article_text=f"{article.title}\n{article.summary}")
    text = passage_best(body=article.body, query=query) or hit.snippet
    category = article.category.slug if article.category is not None else ""
    return Passage(hit.article_id, hit.title, hit.url, text, float(hit.score)), score, category


def kb_answer(*, query: str, language: str) -> Passage | None:
    """The best public article for ``query`` in ``language``, with its relevant passage;
    ``None`` when no article is relevant enough to answer with (``KB_MIN_RELEVANCE``)."""
    best = kb_best(query=query, language=language)
    if best is None or best[1] < KB_MIN_RELEVANCE:
        return None
    return best[0]
