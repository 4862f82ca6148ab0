"""The intent and language models (scikit-learn), trained on chatbot/data, loaded once."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from django.conf import settings
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from .data import Example, training_examples, training_fingerprint
from .text import text_normalize

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
WORD_PATTERN = r"(?u)\b\w+\b"
_lock = threading.Lock()
_loaded: IntentModel | None = None


def _features() -> FeatureUnion:
    return FeatureUnion(
        [
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1
                ),
            ),
            (
                "words",
                TfidfVectorizer(
                    analyzer="word",
                    ngram_range=(1, 2),
                    sublinear_tf=True,
                    token_pattern=WORD_PATTERN,
                ),
            ),
        ]
    )


def intent_pipeline() -> Pipeline:
    """Char n-grams (typos, missing accents, SMS spelling) and words, a calibrated linear SVM."""
    return Pipeline(
        [
            ("features", _features()),
            (
                "classifier",
                CalibratedClassifierCV(LinearSVC(C=0.5), method="sigmoid", cv=3, ensemble=False),
            ),
        ]
    )


def language_pipeline() -> Pipeline:
    return Pipeline(
        [
            (
                "features",
                TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True),
            ),
            ("classifier", LogisticRegression(C=10.0, solver="liblinear")),
        ]
    )


@dataclass
class IntentModel:
    intents: Pipeline
    languages: Pipeline
    threshold: float
    fingerprint: str
    version: int = FORMAT_VERSION

    def intent_scores(self, normalized: list[str]) -> np.ndarray:
        return self.intents.predict_proba(normalized)

    @property
    def intent_labels(self) -> list[str]:
        return [str(label) for label in self.intents.classes_]


def _choose_threshold(examples: list[Example]) -> float:
    """The confidence below which a message counts as out_of_scope, chosen by cross-validation
    on the training data only: the threshold that maximises accuracy on held-out folds, where a
    prediction under it becomes out_of_scope."""
    texts = [text_normalize(example.text) for example in examples]
    labels = np.array([example.intent for example in examples])
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=13)
    # The vocabulary is learnt once on all the training texts (no labels involved), which keeps
    # this search a matter of seconds.
    pipeline = intent_pipeline()
    features = pipeline.named_steps["features"].fit_transform(texts)
    probabilities = cross_val_predict(
        pipeline.named_steps["classifier"], features, labels, cv=folds, method="predict_proba"
    )
    classes = np.array(sorted(set(labels)))
    best = classes[probabilities.argmax(axis=1)]
    confidence = probabilities.max(axis=1)
    scores = []
    for threshold in np.arange(0.10, 0.60, 0.02):
        predicted = np.where(confidence < threshold, "out_of_scope", best)
        accuracy = float((predicted == labels).mean())
        scores.append((accuracy, -threshold, float(threshold)))
    return round(max(scores)[2], 2)


def model_train(
    *, examples: list[Example] | None = None, choose_threshold: bool = True
) -> IntentModel:
    examples = examples if examples is not None else training_examples()
    texts = [text_normalize(example.text) for example in examples]
    intents = intent_pipeline().fit(texts, [example.intent for example in examples])
    # Language is learnt from the raw text: accents are a strong signal.
    languages = language_pipeline().fit(
        [example.text.lower() for example in examples], [example.language for example in examples]
    )
    threshold = _choose_threshold(examples) if choose_threshold else 0.3
    return IntentModel(
        intents=intents,
        languages=languages,
        threshold=threshold,
        fingerprint=training_fingerprint(),
    )


def model_path() -> Path:
    configured = getattr(settings, "CHATBOT_MODEL_PATH", "")
    if configured:
        return Path(configured)
    return Path(settings.DATA_DIR) / "chatbot" / "intent-model.joblib"


def model_save(model: IntentModel, *, path: Path | None = None) -> Path:
    path = path or model_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    joblib.dump(model, temporary)
    temporary.replace(path)
    return path


def _model_read(path: Path) -> IntentModel | None:
    try:
        model: Any = joblib.load(path)
    except FileNotFoundError:
        return None
    except Exception:  # a file from another version of scikit-learn, or truncated
        logger.warning("chatbot model at %s unreadable; rebuilding", path, exc_info=True)
        return None
    if not isinstance(model, IntentModel) or model.version != FORMAT_VERSION:
        return None
    if model.fingerprint != training_fingerprint():
        logger.info("chatbot model at %s was trained on other data; rebuilding", path)
        return None
    return model


def model_get() -> IntentModel:
    """The process's model: read once from the model file, or trained and saved when the file is
    missing or was built from other training data."""
    global _loaded
    if _loaded is not None:
        return _loaded
    with _lock:
        if _loaded is None:
            path = model_path()
            model = _model_read(path)
            if model is None:
                model = model_train()
                try:
                    model_save(model, path=path)
                except OSError:
                    logger.warning("could not save the chatbot model to %s", path, exc_info=True)
            _loaded = model
    return _loaded


def model_set(model: IntentModel | None) -> None:
    """Replace the process's model (after chatbot_train, or in tests)."""
    global _loaded
    _loaded = model
