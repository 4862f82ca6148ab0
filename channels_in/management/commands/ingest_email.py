"""Feed raw mail into an email inbox from files, directories or standard input."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from channels_in.email.services import email_ingest
from helpdesk.tickets.models import Inbox, InboxKind


def email_inbox_get(name: str | None) -> Inbox:
    inboxes = Inbox.objects.filter(kind=InboxKind.EMAIL)
    if name:
        inbox = inboxes.filter(name=name).first()
        if inbox is None:
            raise CommandError(_("No email inbox named %(name)s.") % {"name": name})
        return inbox
    found = list(inboxes.order_by("pk")[:2])
    if len(found) != 1:
        raise CommandError(
            _("Name the inbox with --inbox (there are %(n)s email inboxes).") % {"n": len(found)}
        )
    return found[0]


class Command(BaseCommand):
    help = "Ingest raw email messages (RFC 5322 files, directories of them, or - for stdin)."

    def add_arguments(self, parser):
        parser.add_argument("sources", nargs="+", metavar="FILE", help="files, directories, -")
        parser.add_argument("--inbox", help="the email inbox's name (needed if several)")
        parser.add_argument("--json", action="store_true", help="one JSON line per message")

    def _files(self, sources: list[str]):
        for source in sources:
            if source == "-":
                yield "-", None
                continue
            path = Path(source)
            if path.is_dir():
                for child in sorted(p for p in path.rglob("*") if p.is_file()):
                    yield str(child), child
            else:
                yield source, path

    def handle(self, *args, **options):
        inbox = email_inbox_get(options["inbox"])
        counts: dict[str, int] = {}
        for source, path in self._files(options["sources"]):
            try:
                raw = sys.stdin.buffer.read() if path is None else path.read_bytes()
            except OSError as exc:
                outcome, ticket, reason = "rejected", None, str(exc.strerror or exc)
            else:
                result = email_ingest(raw=raw, inbox=inbox, source=source)
                outcome, ticket, reason = result.outcome, result.ticket_id, result.reason
            counts[outcome] = counts.get(outcome, 0) + 1
            if options["json"]:
                line = {"source": source, "outcome": outcome, "ticket": ticket, "reason": reason}
                self.stdout.write(json.dumps(line, ensure_ascii=False))
            elif outcome == "rejected":
                self.stderr.write(f"{source}: rejected: {reason}")
            elif options["verbosity"] > 1:
                self.stdout.write(f"{source}: {outcome} (ticket {ticket})")
        if not options["json"]:
            summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
            self.stdout.write(summary or "nothing to ingest")
        if counts.get("rejected"):
            raise CommandError(
                _("%(n)s input(s) rejected.") % {"n": counts["rejected"]}, returncode=1
            )
