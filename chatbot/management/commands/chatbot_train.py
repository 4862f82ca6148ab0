from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from chatbot.nlu.data import training_examples
from chatbot.nlu.model import model_save, model_set, model_train


class Command(BaseCommand):
    help = "Train the bot's intent and language models on chatbot/data and save them."

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        examples = training_examples()
        model = model_train(examples=examples)
        path = model_save(model)
        model_set(model)
        self.stdout.write(
            f"Trained on {len(examples)} utterances in {time.perf_counter() - started:.1f} s; "
            f"out_of_scope below confidence {model.threshold:.2f}; saved to {path}"
        )
