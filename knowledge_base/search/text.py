"""Words as search sees them: split, stemmed with the Snowball stemmers (PyStemmer, the C
build: about 500 times faster than the pure-Python snowballstemmer on the same words) while
they still have their accents, then folded (lower case, accents off), and passages picked and
highlighted for snippets.

Stemming comes before folding because the French stemmer reads the accents: "remboursée"
and "rembourse" share the stem "rembours", while "remboursee" would keep its "e". The same
stemming and folding is used to index and to query, so "Livraisons" finds "livraison",
"colis" finds "Colis" and "rembourse" finds "remboursée" whatever the backend; a query
word also matches text written without accents (see ``query_stems``)."""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import Stemmer

LANGUAGES = {"en": "english", "fr": "french"}
MAX_QUERY_CHARS = 200
MAX_QUERY_TERMS = 12

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


# The stop words are the ones PostgreSQL's french and english configurations drop too (the
# Snowball lists), so both database backends agree on what a query of stop words only means.
def _split(text: str) -> set[str]:
    return set(text.split())


STOP_WORDS = {
    "en": _split(
        "a an and are as at be but by for if in into is it no not of on or such that the their "
        "then there these they this to was will with i me my we our you your he she him her "
        "his its what which who whom do does did have has had am been being"
    ),
    "fr": _split(
        "au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma mais "
        "me meme mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur "
        "ta te tes toi ton tu un une vos votre vous c d j l a m n s t y est sont ete etre ai as "
        "avons avez ont"
    ),
}


def fold(text: str) -> str:
    """Lower case without accents: "Délai" -> "delai"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """The folded words of ``text`` (letters and digits; everything else separates)."""
    return _WORD.findall(fold(text))


def lower_words(text: str) -> list[str]:
    """The words of ``text`` in lower case, accents kept (the stemmers need them)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text.casefold()))


@functools.cache
def _stemmer(language: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(LANGUAGES.get(language, "english"))


def stem(word: str, language: str) -> str:
    return _stemmer(language).stemWord(word)


def stems(text: str, language: str) -> list[str]:
    """Stemmed, then folded words, stop words kept (positions matter for phrases)."""
    return [fold(s) for s in _stemmer(language).stemWords(lower_words(text))]


def index_text(text: str | None, language: str | None) -> str:
    """What the embedded (SQLite FTS5) index stores for ``text``: its stems separated by
    spaces. With no language (a customer's message), both languages' stems are stored."""
    if not text:
        return ""
    found = lower_words(text[:200_000])
    if language in LANGUAGES:
        return " ".join(fold(s) for s in _stemmer(language).stemWords(found))
    fr = [fold(s) for s in _stemmer("fr").stemWords(found)]
    en = [fold(s) for s in _stemmer("en").stemWords(found)]
    return " ".join(a if a == b else f"{a} {b}" for a, b in zip(fr, en, strict=True))


@dataclass(frozen=True)
class ParsedQuery:
    """A user's query reduced to what every backend can use safely: at most a few plain
    words (no operators survive), the last one possibly a prefix being typed."""

    terms: tuple[str, ...]  # folded words, stop words removed
    text: str  # the cleaned query as plain text (folded words joined by spaces)
    phrase: bool = False  # the query was in double quotes: the words must follow each other
    originals: tuple[str, ...] = ()  # the same words in lower case, accents kept

    def original(self, position: int) -> str:
        """The query word at ``position`` with its accents (folded if they are unknown)."""
        if len(self.originals) == len(self.terms):
            return self.originals[position]
        return self.terms[position]

    @property
    def empty(self) -> bool:
        return not self.terms


def parse_query(query: str, language: str | None = None) -> ParsedQuery:
    raw = (query or "")[:MAX_QUERY_CHARS].strip()
    found = [(fold(w), w) for w in lower_words(raw)]
    found = [(f, w) for f, w in found if f]
    phrase = len(raw) > 2 and raw[0] == raw[-1] == '"' and len(found) > 1
    if not phrase:
        langs = [language] if language in LANGUAGES else list(LANGUAGES)
        stop = set().union(*(STOP_WORDS[lang] for lang in langs))
        found = [(f, w) for f, w in found if f not in stop]
    found = found[:MAX_QUERY_TERMS]
    terms = tuple(f for f, _ in found)
    return ParsedQuery(
        terms=terms, text=" ".join(terms), phrase=phrase, originals=tuple(w for _, w in found)
    )


_FRENCH_ENDING = re.compile(r"(.{2,}?)e(e?s?)")


def spellings(word: str, language: str | None) -> list[str]:
    """What a query word is stemmed as: itself (accents kept); its folded spelling, whose stem
    is what text written without accents is indexed under; and, in French, for a word typed
    without accents, the same word with a final "é": the accent most often left out is a past
    participle's, so "expedie" finds "expédiée" and "remboursee" finds "remboursée"."""
    found = [word]
    folded = fold(word)
    if folded != word:
        found.append(folded)
    elif language == "fr" and (ending := _FRENCH_ENDING.fullmatch(word)):
        found.append(f"{ending[1]}é{ending[2]}")
    return found


def query_stems(word: str, language: str | None) -> set[str]:
    """The index stems (stemmed, then folded) a query word matches."""
    langs = [language] if language in LANGUAGES else list(LANGUAGES)
    return {fold(stem(spelling, lang)) for lang in langs for spelling in spellings(word, lang)}


def index_stems(word: str, language: str | None) -> set[str]:
    """The stems a word of the text is indexed under."""
    langs = [language] if language in LANGUAGES else list(LANGUAGES)
    lower = unicodedata.normalize("NFKC", word.casefold())
    return {fold(stem(lower, lang)) for lang in langs}


# --- Snippets ------------------------------------------------------------------------------

_MARKDOWN_NOISE = re.compile(r"(!?\[([^\]]*)\]\([^)]*\))|[*_`#>|]+")
_SENTENCE = re.compile(r"(?<=[.!?:;])\s+|\n+")


def plain_text(markdown: str) -> str:
    """Markdown without its markup: links keep their words."""
    text = _MARKDOWN_NOISE.sub(lambda m: m.group(2) or " " if m.group(1) else " ", markdown)
    return re.sub(r"[ \t]+", " ", text).strip()


def _matches(word: str, wanted: set[str], prefixes: Iterable[str], language: str | None) -> bool:
    folded = fold(word)
    if any(folded.startswith(p) for p in prefixes):
        return True
    return bool(index_stems(word, language) & wanted)


def best_passage(
    text: str, query: ParsedQuery, language: str | None, *, width: int = 220, prefix: bool = False
) -> tuple[str, list[tuple[int, int]]]:
    """The passage of ``text`` (plain) holding the most distinct query words, cut to about
    ``width`` characters around them, with the (start, end) spans of the matching words."""
    text = text.strip()
    if not text:
        return "", []
    wanted: set[str] = set()
    for position in range(len(query.terms)):
        wanted |= query_stems(query.original(position), language)
    prefixes = [query.terms[-1]] if prefix and query.terms and len(query.terms[-1]) >= 3 else []
    pieces = [p.strip() for p in _SENTENCE.split(text) if p and p.strip()] or [text]
    best, best_score = pieces[0], (-1, 0)
    for piece in pieces[:500]:
        hits = {
            fold(m.group())
            for m in _WORD.finditer(piece)
            if _matches(m.group(), wanted, prefixes, language)
        }
        score = (len(hits), -len(piece))
        if score > best_score:
            best, best_score = piece, score
    if len(best) > width:
        first = next(
            (
                m.start()
                for m in _WORD.finditer(best)
                if _matches(m.group(), wanted, prefixes, language)
            ),
            0,
        )
        start = max(0, min(first - width // 4, len(best) - width))
        start = best.rfind(" ", 0, start) + 1 if start else 0
        end = best.rfind(" ", start, start + width)
        end = end if end > start else start + width
        best = ("… " if start else "") + best[start:end].strip() + " …"
    spans = [
        m.span() for m in _WORD.finditer(best) if _matches(m.group(), wanted, prefixes, language)
    ]
    return best, spans


def snippet(
    text: str, query: ParsedQuery, language: str | None, *, width: int = 220, prefix: bool = False
) -> str:
    return best_passage(text, query, language, width=width, prefix=prefix)[0]


def highlight(
    text: str, query: ParsedQuery, language: str | None, *, width: int = 220, prefix: bool = False
) -> str:
    """The best passage as HTML, every matching word in <mark>; everything else escaped."""
    passage, spans = best_passage(text, query, language, width=width, prefix=prefix)
    out, last = [], 0
    for start, end in spans:
        out.append(html.escape(passage[last:start]))
        out.append(f"<mark>{html.escape(passage[start:end])}</mark>")
        last = end
    out.append(html.escape(passage[last:]))
    return "".join(out)
