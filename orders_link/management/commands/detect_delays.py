from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from orders_link.delays import shipments_delay_scan
from orders_link.models import DelayKind


class Command(BaseCommand):
    help = "Find late and soon-late shipments and queue one delay notice per new situation."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO-8601 date and time to scan as of (default: now)")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would be notified; change nothing"
        )

    def handle(self, *args, **options):
        now = timezone.now()
        if options["now"]:
            parsed = parse_datetime(options["now"])
            if parsed is None:
                raise CommandError(f"--now: {options['now']!r} is not an ISO-8601 date and time")
            now = parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
        started = time.monotonic()
        result = shipments_delay_scan(now=now, dry_run=options["dry_run"])
        elapsed = time.monotonic() - started
        labels = dict(DelayKind.choices)
        self.stdout.write(f"Scanned as of {now.isoformat()} in {elapsed:.2f}s.")
        for kind, count in sorted(result.found.items()):
            new = result.created.get(kind, 0)
            self.stdout.write(f"  {labels.get(kind, kind)}: {count} late, {new} new notices")
        if options["dry_run"]:
            self.stdout.write(
                f"Dry run: {result.found_total} delayed shipments; a real run would queue "
                f"{result.created_total} new notices (nothing queued)."
            )
        else:
            self.stdout.write(
                f"{result.found_total} delayed shipments; {result.created_total} new notices "
                f"queued (the others were notified before)."
            )
