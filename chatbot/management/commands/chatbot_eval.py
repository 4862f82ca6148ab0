from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from chatbot.nlu import message_understand
from chatbot.nlu.data import INTENTS, evaluation_rows


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
        predictions = []
        for row in rows:
            hint = row["language"] or None
            understanding = message_understand(row["text"], language_hint=None)
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
        result = {
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
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        self.stdout.write(f"{len(predictions)} utterances from {path}")
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
