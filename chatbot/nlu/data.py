"""The training and evaluation data the project writes and owns (chatbot/data/)."""

from __future__ import annotations

import csv
import hashlib
import random
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
LANGUAGES = ("fr", "en")
INTENTS = (
    "order_status",
    "delivery_time",
    "delivery_options",
    "cancel_order",
    "change_order",
    "return_refund",
    "refund_status",
    "payment",
    "invoice",
    "account",
    "contact_human",
    "complaint",
    "greeting",
    "thanks_goodbye",
    "out_of_scope",
)


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    language: str


def _read_sections(path: Path, language: str) -> list[Example]:
    examples: list[Example] = []
    intent = ""
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("# "):
            intent = line[2:].strip()
            if intent not in INTENTS:
                raise ValueError(f"{path.name}:{number}: unknown intent {intent!r}")
            continue
        if not intent:
            raise ValueError(f"{path.name}:{number}: utterance before any '# intent' line")
        examples.append(Example(line, intent, language))
    return examples


def written_examples() -> list[Example]:
    """Every utterance written by hand in chatbot/data/train_<lang>*.txt."""
    examples: list[Example] = []
    for language in LANGUAGES:
        for path in sorted(DATA_DIR.glob(f"train_{language}*.txt")):
            examples.extend(_read_sections(path, language))
    return examples


# Order references as customers paste them: bare, with #, n°, with a shop prefix.
_ORDER_FORMS = ("{n}", "#{n}", "n°{n}", "no {n}", "FR-{n}", "{n} ", "CMD{n}", "n° {n}")

# Templates that put an order number where customers put it: in the middle of a sentence,
# at the end after a comma, alone on a second clause. Each template is a different sentence
# shape, not a paraphrase of the written lines.
_TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    "fr": {
        "order_status": (
            "commande {o} pas reçue",
            "{o} toujours pas arrivée",
            "re: commande {o} - où en est l'envoi ?",
            "je vous écris au sujet de la commande {o} que je n'ai pas reçue",
            "bonjour numéro de commande {o}, le suivi ne marche pas",
            "ma cmd {o} elle est partie ou pas ?",
            "pouvez vous me dire où est le colis de la commande {o}",
        ),
        "delivery_time": (
            "commande {o} : elle arrive quand ?",
            "livraison de la {o} prévue quand svp",
            "vous pouvez me donner une date pour la commande {o}",
        ),
        "cancel_order": (
            "merci d'annuler la {o}",
            "commande {o} à annuler svp",
            "annulez la commande {o} je n'en veux plus",
        ),
        "change_order": (
            "commande {o} : changement d'adresse svp",
            "pour la commande {o} je voudrais une autre taille",
            "modifier l'adresse de la {o}",
        ),
        "return_refund": (
            "je veux retourner la commande {o}",
            "retour de la commande {o}, article trop grand",
        ),
        "refund_status": (
            "retour de la commande {o} envoyé, toujours pas remboursé",
            "remboursement de la {o} ?",
        ),
        "invoice": (
            "facture de la commande {o} svp",
            "il me faut la facture {o}",
        ),
        "payment": ("débité deux fois pour la commande {o}",),
    },
    "en": {
        "order_status": (
            "order {o} not received",
            "{o} still hasn't arrived",
            "re: order {o} - any news on shipping?",
            "i'm writing about order {o} which i never got",
            "hello order number {o}, tracking isn't working",
            "has order {o} shipped or not?",
            "can you tell me where the parcel for order {o} is",
        ),
        "delivery_time": (
            "order {o}: when does it arrive?",
            "delivery for {o} expected when pls",
            "can you give me a date for order {o}",
        ),
        "cancel_order": (
            "please cancel {o}",
            "order {o} to be cancelled pls",
            "cancel order {o} i don't want it anymore",
        ),
        "change_order": (
            "order {o}: address change please",
            "for order {o} i'd like another size",
            "change the address on {o}",
        ),
        "return_refund": (
            "i want to return order {o}",
            "returning order {o}, item too big",
        ),
        "refund_status": (
            "return for order {o} sent, still not refunded",
            "refund for {o}?",
        ),
        "invoice": (
            "invoice for order {o} please",
            "i need invoice {o}",
        ),
        "payment": ("charged twice for order {o}",),
    },
}


def templated_examples(*, seed: int = 13) -> list[Example]:
    """Sentences carrying an order number, in the shapes customers paste it."""
    rng = random.Random(seed)
    examples: list[Example] = []
    for language, by_intent in _TEMPLATES.items():
        for intent, templates in by_intent.items():
            for template in templates:
                for _ in range(2):
                    number = str(rng.randint(1000, 999999))
                    order = rng.choice(_ORDER_FORMS).format(n=number).strip()
                    examples.append(Example(template.format(o=order), intent, language))
    return examples


def training_examples() -> list[Example]:
    return written_examples() + templated_examples()


def training_fingerprint() -> str:
    """A hash of the training files, so that a model built from other data is rebuilt."""
    digest = hashlib.sha256()
    for path in sorted(DATA_DIR.glob("train_*.txt")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:16]


def evaluation_rows(path: Path) -> list[dict[str, str]]:
    """Rows of an evaluation CSV with columns ``text,intent`` (and optionally ``language``)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = set(reader.fieldnames or ())
        if not {"text", "intent"} <= fields:
            raise ValueError(
                f"{path}: the CSV needs the columns text,intent (found {sorted(fields)})"
            )
        rows = []
        for number, row in enumerate(reader, start=2):
            text = (row.get("text") or "").strip()
            intent = (row.get("intent") or "").strip()
            if not text:
                continue
            if intent not in INTENTS:
                raise ValueError(f"{path}:{number}: unknown intent {intent!r}")
            rows.append(
                {"text": text, "intent": intent, "language": (row.get("language") or "").strip()}
            )
        return rows
