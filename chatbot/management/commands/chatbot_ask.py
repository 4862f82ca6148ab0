from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from chatbot.dialogue.engine import reply_preview
from chatbot.nlu import message_understand


class Command(BaseCommand):
    help = (
        "What the bot understands of a message (intent, confidence, language, slots) and the "
        "reply it would give an unverified visitor."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("text")
        parser.add_argument(
            "--lang", choices=["fr", "en"], help="the conversation's language so far"
        )
        parser.add_argument("--json", action="store_true", help="one JSON object")

    def handle(self, *args, **options) -> None:
        text = options["text"]
        if not text.strip():
            raise CommandError("Give the text of a message.")
        if len(text) > 10_000:
            raise CommandError("The message is longer than 10,000 characters.")
        understanding = message_understand(text, language_hint=options["lang"])
        language = options["lang"] or understanding.language
        with translation.override(language):
            reply = reply_preview(understanding)
            reply_text = reply.text
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "intent": understanding.intent,
                        "confidence": round(understanding.confidence, 4),
                        "language": understanding.language,
                        "slots": understanding.slots.as_dict(),
                        "reply": reply_text,
                    },
                    ensure_ascii=False,
                )
            )
            return
        self.stdout.write(f"intent:     {understanding.intent}")
        self.stdout.write(f"confidence: {understanding.confidence:.2f}")
        self.stdout.write(f"language:   {understanding.language}")
        slots = understanding.slots.as_dict()
        self.stdout.write(
            "slots:      " + (", ".join(f"{k}={v}" for k, v in slots.items()) or "none")
        )
        self.stdout.write(f"reply:      {reply_text}")
