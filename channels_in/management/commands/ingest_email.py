"""Feed raw mail into an email inbox from files, directories or standard input."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from channels_in.email.services import email_ingest
from helpdesk.tickets.models import Inbox, InboxKind

logger = logging.getLogger(__name__)


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
        parser.add_argument(
            "--batch-size", type=int, default=100, help="messages per transaction (default 100)"
        )

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

    def _ingest_one(self, inbox: Inbox, source: str, path: Path | None) -> dict:
        try:
            raw = sys.stdin.buffer.read() if path is None else path.read_bytes()
        except OSError as exc:
            return {"source": source, "outcome": "rejected", "ticket": None,
                    "reason": str(exc.strerror or exc)}  # fmt: skip
        try:
            with transaction.atomic():
                result = email_ingest(raw=raw, inbox=inbox, source=source)
        except Exception as exc:  # one broken message must not stop a bulk import
            logger.exception("Could not ingest %s", source)
            return {"source": source, "outcome": "rejected", "ticket": None,
                    "reason": f"error: {exc}"}  # fmt: skip
        return {"source": source, "outcome": result.outcome, "ticket": result.ticket_id,
                "reason": result.reason}  # fmt: skip

    def handle(self, *args, **options):
        inbox = email_inbox_get(options["inbox"])
        counts: dict[str, int] = {}
        batch_size = max(1, options["batch_size"])
        files = list(self._files(options["sources"]))
        for start in range(0, len(files), batch_size):
            # A batch commits once (bulk imports are several times faster); each message is
            # its own savepoint, so one failure rolls back only that message. Lines are
            # printed after the commit: a printed outcome is a stored one.
            with transaction.atomic():
                lines = [
                    self._ingest_one(inbox, *item) for item in files[start : start + batch_size]
                ]
            for line in lines:
                outcome = line["outcome"]
                counts[outcome] = counts.get(outcome, 0) + 1
                if options["json"]:
                    self.stdout.write(json.dumps(line, ensure_ascii=False))
                elif outcome == "rejected":
                    self.stderr.write(f"{line['source']}: rejected: {line['reason']}")
                elif options["verbosity"] > 1:
                    self.stdout.write(f"{line['source']}: {outcome} (ticket {line['ticket']})")
        if not options["json"]:
            summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
            self.stdout.write(summary or "nothing to ingest")
        if counts.get("rejected"):
            raise CommandError(
                _("%(n)s input(s) rejected.") % {"n": counts["rejected"]}, returncode=1
            )
