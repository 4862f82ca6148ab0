from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from helpdesk.csat.services import surveys_send_due


class Command(BaseCommand):
    help = "Send the satisfaction survey of every ticket solved long enough ago (also run by beat)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", help="ISO 8601 instant to act as the current time")

    def handle(self, *args, **options) -> None:
        now = timezone.now()
        if options["now"]:
            try:
                now = datetime.fromisoformat(options["now"])
            except ValueError:
                raise CommandError(f"--now: not an ISO 8601 instant: {options['now']!r}") from None
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        counts = surveys_send_due(now=now)
        self.stdout.write(f"sent {counts['sent']}, not sent {counts['skipped']}")
