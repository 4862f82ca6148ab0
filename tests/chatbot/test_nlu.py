"""Understanding: intents in both languages, confidence, out_of_scope and language."""

from __future__ import annotations

import collections

import pytest

from chatbot.nlu import INTENTS, language_detect, message_understand
from chatbot.nlu.data import DATA_DIR, evaluation_rows, training_examples, written_examples
from chatbot.nlu.text import text_normalize


def test_training_data_has_sixty_written_utterances_per_intent_and_language():
    counts = collections.Counter((e.intent, e.language) for e in written_examples())
    for intent in INTENTS:
        for language in ("fr", "en"):
            assert counts[(intent, language)] >= 60, (intent, language, counts[(intent, language)])


def test_evaluation_set_is_apart_from_training():
    trained = {text_normalize(e.text) for e in training_examples()}
    rows = evaluation_rows(DATA_DIR / "eval.csv")
    assert len(rows) >= 400
    overlap = [r["text"] for r in rows if text_normalize(r["text"]) in trained]
    # A very short greeting may coincide; sentences never do.
    assert all(len(text.split()) <= 2 for text in overlap), overlap
    assert len(overlap) <= 5


@pytest.fixture(scope="module")
def eval_predictions():
    rows = evaluation_rows(DATA_DIR / "eval.csv")
    return [(row, message_understand(row["text"])) for row in rows]


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("intent", INTENTS)
def test_each_intent_is_recognised_in_each_language(eval_predictions, intent, language):
    """On the held-out evaluation set, most utterances of every intent, in both languages,
    get that intent (the set is written apart from the training data)."""
    rows = [
        (r, u) for r, u in eval_predictions if r["intent"] == intent and r["language"] == language
    ]
    assert len(rows) >= 12
    recall = sum(u.intent == intent for _r, u in rows) / len(rows)
    assert recall >= 0.6, (intent, language, recall)


def test_overall_accuracy_and_out_of_scope_recall(eval_predictions):
    accuracy = sum(u.intent == r["intent"] for r, u in eval_predictions) / len(eval_predictions)
    oos = [(r, u) for r, u in eval_predictions if r["intent"] == "out_of_scope"]
    oos_recall = sum(u.intent == "out_of_scope" for _r, u in oos) / len(oos)
    assert accuracy >= 0.85
    assert oos_recall >= 0.7


@pytest.mark.parametrize(
    "text,intent",
    [
        ("Bonjour, où est ma commande 48213 svp ?", "order_status"),
        ("ou est ma cmd jlai tjs pas", "order_status"),
        ("where's my order #48213?? been waiting forever", "order_status"),
        ("je veux parler à un conseiller", "contact_human"),
        ("can I talk to a real person please", "contact_human"),
        ("merci beaucoup, bonne journée", "thanks_goodbye"),
        ("bonjour", "greeting"),
        ("hi there", "greeting"),
    ],
)
def test_typical_messages(text, intent):
    assert message_understand(text).intent == intent


def test_gibberish_and_unrelated_questions_are_out_of_scope():
    for text in (
        "sdfkjh qwpoe",
        "🙂🙂",
        "quelle est la capitale du pérou",
        "who won the world cup",
    ):
        assert message_understand(text).intent == "out_of_scope", text


def test_confidence_is_a_probability():
    understanding = message_understand("where is my parcel")
    assert 0.0 < understanding.confidence <= 1.0
    assert abs(sum(understanding.scores.values()) - 1.0) < 1e-6


@pytest.mark.parametrize(
    "text,language",
    [
        ("où est ma commande", "fr"),
        ("ou est ma commande", "fr"),
        ("merci", "fr"),
        ("bjr", "fr"),
        ("stp", "fr"),
        ("jsp", "fr"),
        ("where is my order", "en"),
        ("thx", "en"),
        ("hi", "en"),
        ("pls help", "en"),
        ("Bonjour, my order 1234 n'est pas arrivée", "fr"),
    ],
)
def test_language_detection_including_short_texts(text, language):
    assert language_detect(text)[0] == language


def test_language_without_words_follows_the_conversation():
    assert language_detect("12345", hint="fr")[0] == "fr"
    assert language_detect("12345", hint="en")[0] == "en"
    assert language_detect("ok", hint="fr")[0] == "fr"
