"""Rebuild the search index from the database, with a progress bar."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from knowledge_base.search.backends import get_backend
from knowledge_base.search.backends.base import KINDS


class Command(BaseCommand):
    help = (
        "Rebuild the search index (articles, tickets, messages) from the database. On "
        "Elasticsearch a new index is built beside the live one and the alias moves to it at "
        "the end, so searches go on during the rebuild."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--kind",
            action="append",
            choices=KINDS,
            help="Only this kind (repeatable). Default: all.",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, **options) -> None:
        kinds = options["kind"] or list(KINDS)
        backend = get_backend()
        bars: dict[str, tqdm] = {}
        quiet = options["no_progress"]

        def progress(kind: str, done: int, total: int) -> None:
            if quiet:
                return
            bar = bars.get(kind)
            if bar is None:
                bar = bars[kind] = tqdm(total=total, desc=kind, unit="rows", file=self.stderr)
            bar.update(done - bar.n)

        started = time.perf_counter()
        try:
            count = backend.reindex(kinds=kinds, progress=progress)
        except Exception as error:
            raise CommandError(f"Reindexing failed ({backend.name}): {error}") from error
        finally:
            for bar in bars.values():
                bar.close()
        elapsed = time.perf_counter() - started
        rate = count / elapsed if elapsed else 0.0
        self.stdout.write(
            f"Reindexed {count} rows ({', '.join(kinds)}) with the {backend.name} backend "
            f"in {elapsed:.1f} s ({rate:.0f} rows/s)."
        )
