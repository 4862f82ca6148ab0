from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from helpdesk.reports.digest import digests_send


class Command(BaseCommand):
    help = (
        "Email last week's report to managers who opted in: on Mondays from 07:00 (shop time), "
        "once a week (also run by beat); --force sends now."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", help="ISO 8601 instant to act as the current time")
        parser.add_argument("--force", action="store_true", help="send now, whatever the day")

    def handle(self, *args, **options) -> None:
        now = timezone.now()
        if options["now"]:
            try:
                now = datetime.fromisoformat(options["now"])
            except ValueError:
                raise CommandError(f"--now: not an ISO 8601 instant: {options['now']!r}") from None
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        sent = digests_send(now=now, force=options["force"])
        self.stdout.write(f"sent {sent} digest(s)")
