"""Understanding a customer's message: intent, confidence, language and slots."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .data import INTENTS, LANGUAGES
from .model import model_get
from .slots import Slots, slots_extract
from .text import text_normalize

__all__ = ["INTENTS", "LANGUAGES", "Understanding", "language_detect", "message_understand"]

# Words that settle the language of a short message on their own.
_FRENCH_WORDS = frozenset(
    [
        "bonjour",
        "bonsoir",
        "merci",
        "mci",
        "slt",
        "salut",
        "coucou",
        "svp",
        "stp",
        "oui",
        "non",
        "jsp",
        "cmd",
        "commande",
        "colis",
        "où",
        "est",
        "je",
        "j",
        "ma",
        "mon",
        "mes",
        "vous",
        "tu",
        "le",
        "la",
        "les",
        "des",
        "une",
        "un",
        "et",
        "pas",
        "quand",
        "quoi",
        "pourquoi",
        "comment",
        "livraison",
        "remboursement",
        "facture",
        "annuler",
        "au",
        "revoir",
        "bjr",
        "cc",
        "ok",
    ]
)
_ENGLISH_WORDS = frozenset(
    [
        "hello",
        "hi",
        "hey",
        "thanks",
        "thank",
        "thx",
        "ty",
        "pls",
        "please",
        "yes",
        "no",
        "where",
        "is",
        "my",
        "the",
        "order",
        "parcel",
        "when",
        "why",
        "how",
        "what",
        "refund",
        "invoice",
        "cancel",
        "bye",
        "cheers",
        "i",
        "you",
        "it",
        "and",
        "not",
    ]
)
_WORD_RE = re.compile(r"[a-zà-ÿ']+")


@dataclass(frozen=True)
class Understanding:
    intent: str
    confidence: float
    language: str
    language_confidence: float
    slots: Slots
    scores: dict[str, float] = field(default_factory=dict)
    text: str = ""


def language_detect(text: str, *, hint: str | None = None) -> tuple[str, float]:
    """French or English, with a confidence. A message too short to tell (a number, "ok", an
    emoji) takes ``hint`` (the conversation's language) when given."""
    model = model_get()
    lowered = text.lower()
    words = _WORD_RE.findall(lowered)
    if not words:
        return (hint or "en", 0.0) if hint in LANGUAGES else ("en", 0.0)
    french = model.french_probability(lowered)
    if len(words) <= 2:
        french_votes = sum(word in _FRENCH_WORDS for word in words)
        english_votes = sum(word in _ENGLISH_WORDS for word in words)
        if french_votes > english_votes:
            french = max(french, 0.8)
        elif english_votes > french_votes:
            french = min(french, 0.2)
    if any(ch in lowered for ch in "éèêàçùûôîœ"):
        french = max(french, 0.9)
    language, confidence = ("fr", french) if french >= 0.5 else ("en", 1.0 - french)
    if hint in LANGUAGES and confidence < 0.7:
        return hint, confidence  # type: ignore[return-value]
    return language, confidence


def message_understand(text: str, *, language_hint: str | None = None) -> Understanding:
    model = model_get()
    normalized = text_normalize(text)
    slots = slots_extract(text)
    language, language_confidence = language_detect(text, hint=language_hint)
    if not normalized or not any(ch.isalpha() for ch in normalized):
        return Understanding(
            intent="out_of_scope",
            confidence=1.0,
            language=language,
            language_confidence=language_confidence,
            slots=slots,
            text=text,
        )
    probabilities = model.intent_scores([normalized])[0]
    labels = model.intent_labels
    scores = {label: float(p) for label, p in zip(labels, probabilities, strict=True)}
    best = max(scores, key=scores.__getitem__)
    confidence = scores[best]
    intent = best if confidence >= model.threshold else "out_of_scope"
    return Understanding(
        intent=intent,
        confidence=round(confidence, 4),
        language=language,
        language_confidence=round(language_confidence, 4),
        slots=slots,
        scores=scores,
        text=text,
    )
