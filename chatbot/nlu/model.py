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


def wide_pipeline() -> Pipeline:
    """A heavier candidate, compared with the baseline by ``chatbot_eval --variant wide``:
    more n-grams (characters 1-6 across word boundaries, words 1-3) and a multinomial
    logistic regression, scored through scikit-learn's own ``predict_proba``."""
    return Pipeline(
        [
            (
                "features",
                FeatureUnion(
                    [
                        (
                            "chars",
                            TfidfVectorizer(analyzer="char", ngram_range=(1, 6), sublinear_tf=True),
                        ),
                        (
                            "words",
                            TfidfVectorizer(
                                analyzer="word",
                                ngram_range=(1, 3),
                                sublinear_tf=True,
                                token_pattern=WORD_PATTERN,
                            ),
                        ),
                    ]
                ),
            ),
            ("classifier", LogisticRegression(C=20.0, max_iter=3000)),
        ]
    )


VARIANTS = {"baseline": intent_pipeline, "wide": wide_pipeline}


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
    variant: str = "baseline"

    def intent_scores(self, normalized: list[str]) -> np.ndarray:
        """Class probabilities, equal to the calibrated pipeline's ``predict_proba`` but
        computed without its per-call machinery: the message's n-grams are looked up in the
        vocabularies and the weights of those few features summed, then Platt-scaled and
        normalised as CalibratedClassifierCV does."""
        if self.variant != "baseline":
            return self.intents.predict_proba(normalized)
        vectorizers, offsets, coef, intercept, a, b = self._fast()
        rows = []
        for text in normalized:
            indices, values = [], []
            for vectorizer, offset in zip(vectorizers, offsets, strict=True):
                found, weights = _tfidf(vectorizer, text)
                indices.append(found + offset)
                values.append(weights)
            index = np.concatenate(indices)
            decision = np.concatenate(values) @ coef[index] + intercept
            rows.append(decision)
        probabilities = 1.0 / (1.0 + np.exp(a * np.vstack(rows) + b))
        total = probabilities.sum(axis=1, keepdims=True)
        total[total == 0] = 1.0
        return probabilities / total

    def french_probability(self, lowered: str) -> float:
        vectorizer, weights, intercept, french_is_positive = self._fast_language()
        found, values = _tfidf(vectorizer, lowered)
        score = float(values @ weights[found]) + intercept
        positive = 1.0 / (1.0 + np.exp(-score))
        return positive if french_is_positive else 1.0 - positive

    def _fast(self) -> tuple:
        cached = self.__dict__.get("_fast_cache")
        if cached is None:
            union = self.intents.named_steps["features"]
            vectorizers = [transformer for _name, transformer in union.transformer_list]
            offsets, offset = [], 0
            for vectorizer in vectorizers:
                offsets.append(offset)
                offset += len(vectorizer.vocabulary_)
            calibrated = self.intents.named_steps["classifier"].calibrated_classifiers_[0]
            svm = calibrated.estimator
            coef = np.ascontiguousarray(svm.coef_.T)
            a = np.array([c.a_ for c in calibrated.calibrators])
            b = np.array([c.b_ for c in calibrated.calibrators])
            cached = (vectorizers, offsets, coef, svm.intercept_, a, b)
            self.__dict__["_fast_cache"] = cached
        return cached

    def _fast_language(self) -> tuple:
        cached = self.__dict__.get("_fast_language_cache")
        if cached is None:
            vectorizer = self.languages.named_steps["features"]
            classifier = self.languages.named_steps["classifier"]
            cached = (
                vectorizer,
                classifier.coef_[0],
                float(classifier.intercept_[0]),
                classifier.classes_[1] == "fr",
            )
            self.__dict__["_fast_language_cache"] = cached
        return cached

    @property
    def intent_labels(self) -> list[str]:
        return [str(label) for label in self.intents.classes_]


def _tfidf(vectorizer: TfidfVectorizer, text: str) -> tuple[np.ndarray, np.ndarray]:
    """One text's TF-IDF features as ``vectorizer.transform`` computes them (sublinear tf,
    idf, l2 norm), as the indices and values of its non-zero features."""
    analyzer = vectorizer.__dict__.get("_analyzer_cache")
    if analyzer is None:
        analyzer = vectorizer.build_analyzer()
        vectorizer.__dict__["_analyzer_cache"] = analyzer
    vocabulary = vectorizer.vocabulary_
    counts: dict[int, int] = {}
    for gram in analyzer(text):
        index = vocabulary.get(gram)
        if index is not None:
            counts[index] = counts.get(index, 0) + 1
    if not counts:
        return np.zeros(0, dtype=np.intp), np.zeros(0)
    indices = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
    values = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
    if vectorizer.sublinear_tf:
        values = 1.0 + np.log(values)
    values = values * vectorizer.idf_[indices]
    norm = np.sqrt(values @ values)
    return indices, (values / norm if norm else values)


def _choose_threshold(examples: list[Example], *, variant: str = "baseline") -> float:
    """The confidence below which a message counts as out_of_scope, chosen by cross-validation
    on the training data only: the threshold that maximises accuracy on held-out folds, where a
    prediction under it becomes out_of_scope."""
    texts = [text_normalize(example.text) for example in examples]
    labels = np.array([example.intent for example in examples])
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=13)
    # The vocabulary is learnt once on all the training texts (no labels involved), which keeps
    # this search a matter of seconds.
    pipeline = VARIANTS[variant]()
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
    *,
    examples: list[Example] | None = None,
    choose_threshold: bool = True,
    variant: str = "baseline",
) -> IntentModel:
    examples = examples if examples is not None else training_examples()
    texts = [text_normalize(example.text) for example in examples]
    intents = VARIANTS[variant]().fit(texts, [example.intent for example in examples])
    # Language is learnt from the raw text: accents are a strong signal.
    languages = language_pipeline().fit(
        [example.text.lower() for example in examples], [example.language for example in examples]
    )
    threshold = _choose_threshold(examples, variant=variant) if choose_threshold else 0.3
    return IntentModel(
        intents=intents,
        languages=languages,
        threshold=threshold,
        fingerprint=training_fingerprint(),
        variant=variant,
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
