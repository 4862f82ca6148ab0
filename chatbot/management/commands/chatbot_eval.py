from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from chatbot.dialogue.kb import kb_best
from chatbot.nlu import message_understand
from chatbot.nlu.data import INTENTS, evaluation_rows
from chatbot.nlu.model import VARIANTS, model_get, model_set, model_train

# Which of the demo shop's categories answers each question the bot sends to the knowledge base.
KB_CATEGORIES = {
    "delivery_options": {"delivery"},
    "cancel_order": {"orders"},
    "change_order": {"orders"},
    "return_refund": {"returns"},
    "refund_status": {"returns"},
    "payment": {"payment"},
    "invoice": {"payment"},
    "account": {"account"},
}


def kb_thresholds(rows: list[dict[str, str]], predictions: list[dict[str, Any]]) -> dict[str, Any]:
    """For the questions of knowledge-base intents and the out_of_scope ones: the best
    article's relevance, and per threshold the share of right answers kept and of wrong ones
    (another category's article, or any article for out_of_scope) refused."""

    right: list[float] = []
    wrong: list[float] = []
    for row, prediction in zip(rows, predictions, strict=True):
        expected = row["intent"]
        if expected not in KB_CATEGORIES and expected != "out_of_scope":
            continue
        best = kb_best(query=row["text"], language=prediction["language"])
        if best is None:
            if expected != "out_of_scope":
                right.append(-1.0)  # no article found: never kept
            continue
        _passage, score, category = best
        if category in KB_CATEGORIES.get(expected, set()):
            right.append(score)
        else:
            wrong.append(score)
    thresholds = []
    for step in range(0, 21):
        threshold = step / 20
        kept = _ratio(sum(score >= threshold for score in right), len(right))
        refused = _ratio(sum(score < threshold for score in wrong), len(wrong))
        thresholds.append({"threshold": threshold, "right_kept": kept, "wrong_refused": refused})
    chosen = max(thresholds, key=lambda t: (t["right_kept"] + t["wrong_refused"], -t["threshold"]))
    return {
        "answerable": len(right),
        "unanswerable": len(wrong),
        "thresholds": thresholds,
        "best_threshold": chosen["threshold"],
    }


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


class Command(BaseCommand):
    help = (
        "Score the bot's understanding on a CSV with columns text,intent (and optionally "
        "language): accuracy, per-intent precision/recall/F1, confusion matrix, "
        "out_of_scope recall."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="CSV file with the columns text,intent")
        parser.add_argument("--json", action="store_true", help="one JSON object")
        parser.add_argument(
            "--variant",
            choices=sorted(VARIANTS),
            default="",
            help=(
                "train this model variant on chatbot/data now (not saved) and score it instead "
                "of the saved model"
            ),
        )
        parser.add_argument(
            "--kb",
            action="store_true",
            help=(
                "also measure knowledge-base answers against the articles in the database "
                "(the demo shop's: manage.py seed_demo) for each relevance threshold"
            ),
        )

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            rows = evaluation_rows(path)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CommandError(str(exc)) from None
        if not rows:
            raise CommandError(f"{path} has no rows to evaluate.")
        trained = 0.0
        if options["variant"]:
            started = time.perf_counter()
            model_set(model_train(variant=options["variant"]))
            trained = time.perf_counter() - started
        model = model_get()
        predictions: list[dict[str, Any]] = []
        timings: list[float] = []
        for row in rows:
            hint = row["language"] or None
            started = time.perf_counter()
            understanding = message_understand(row["text"], language_hint=None)
            timings.append((time.perf_counter() - started) * 1000)
            predictions.append(
                {
                    "text": row["text"],
                    "expected": row["intent"],
                    "predicted": understanding.intent,
                    "confidence": round(understanding.confidence, 4),
                    "language": hint or understanding.language,
                }
            )
        labels = [
            i
            for i in INTENTS
            if any(p["expected"] == i or p["predicted"] == i for p in predictions)
        ]
        confusion = {e: {p: 0 for p in labels} for e in labels}
        for p in predictions:
            confusion[p["expected"]][p["predicted"]] += 1
        per_intent = {}
        for label in labels:
            tp = confusion[label][label]
            predicted = sum(confusion[e][label] for e in labels)
            expected = sum(confusion[label].values())
            precision, recall = _ratio(tp, predicted), _ratio(tp, expected)
            f1 = (
                round(2 * precision * recall / (precision + recall), 4)
                if precision + recall
                else 0.0
            )
            per_intent[label] = {
                "precision": precision,
                "recall": recall,
                "f1": f1,
                "support": expected,
            }
        correct = sum(p["expected"] == p["predicted"] for p in predictions)
        by_language = {}
        for language in sorted({p["language"] for p in predictions}):
            subset = [p for p in predictions if p["language"] == language]
            by_language[language] = {
                "accuracy": _ratio(
                    sum(p["expected"] == p["predicted"] for p in subset), len(subset)
                ),
                "count": len(subset),
            }
        oos = [p for p in predictions if p["expected"] == "out_of_scope"]
        timings.sort()
        result: dict[str, Any] = {
            "model": model.variant,
            "out_of_scope_threshold": model.threshold,
            "understand_ms": {
                "p50": round(timings[len(timings) // 2], 3),
                "p95": round(timings[min(len(timings) - 1, int(0.95 * len(timings)))], 3),
            },
            "accuracy": _ratio(correct, len(predictions)),
            "count": len(predictions),
            "per_language": by_language,
            "per_intent": per_intent,
            "oos_recall": _ratio(sum(p["predicted"] == "out_of_scope" for p in oos), len(oos)),
            "confusion": confusion,
            "predictions": [
                {k: p[k] for k in ("text", "expected", "predicted", "confidence")}
                for p in predictions
            ],
        }
        if options["kb"]:
            result["kb"] = kb_thresholds(rows, predictions)
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        self.stdout.write(f"{len(predictions)} utterances from {path}")
        if options["variant"]:
            self.stdout.write(f"model: {model.variant}, trained now in {trained:.1f} s")
        else:
            self.stdout.write(f"model: {model.variant} (saved)")
        self.stdout.write(
            f"understanding one message: p50 {result['understand_ms']['p50']:.2f} ms, "
            f"p95 {result['understand_ms']['p95']:.2f} ms"
        )
        self.stdout.write(f"accuracy: {result['accuracy']:.1%}")
        for language, figures in by_language.items():
            self.stdout.write(f"  {language}: {figures['accuracy']:.1%} of {figures['count']}")
        self.stdout.write(f"out_of_scope recall: {result['oos_recall']:.1%} of {len(oos)}")
        self.stdout.write("")
        self.stdout.write(f"{'intent':<18} {'precision':>9} {'recall':>7} {'F1':>6} {'n':>4}")
        for label, f in per_intent.items():
            self.stdout.write(
                f"{label:<18} {f['precision']:>9.2f} {f['recall']:>7.2f} "
                f"{f['f1']:>6.2f} {f['support']:>4}"
            )
        self.stdout.write("")
        short = {label: label[:6] for label in labels}
        self.stdout.write("confusion (rows: expected, columns: predicted)")
        self.stdout.write(" " * 18 + " ".join(f"{short[name]:>6}" for name in labels))
        for e in labels:
            self.stdout.write(f"{e:<18}" + " ".join(f"{confusion[e][p]:>6}" for p in labels))
        if options["kb"]:
            self._kb_table(result["kb"])

    def _kb_table(self, kb: dict[str, Any]) -> None:
        self.stdout.write("")
        self.stdout.write(
            f"knowledge base: {kb['answerable']} questions its articles answer, "
            f"{kb['unanswerable']} they do not (wrong article, or out_of_scope)"
        )
        self.stdout.write(f"{'min relevance':>13} {'right kept':>10} {'wrong refused':>13}")
        for row in kb["thresholds"]:
            mark = "  <- best" if row["threshold"] == kb["best_threshold"] else ""
            self.stdout.write(
                f"{row['threshold']:>13.2f} {row['right_kept']:>10.1%} "
                f"{row['wrong_refused']:>13.1%}{mark}"
            )
