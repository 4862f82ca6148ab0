"""Feed raw mail into an email inbox from files, directories or standard input."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import sys
from functools import partial
from itertools import islice
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from channels_in.email.services import (
    IngestResult,
    ParsedMail,
    email_parse,
    email_store,
)
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


PARALLEL_MINIMUM = 100  # fewer files than twice this: parsing in-process is quicker


def _read_and_parse(item: tuple[str, Path | None], *, inbox_id: int) -> ParsedMail:
    source, path = item
    try:
        raw = sys.stdin.buffer.read() if path is None else path.read_bytes()
    except OSError as exc:
        return ParsedMail(source, b"", None, str(exc.strerror or exc))
    return email_parse(raw=raw, inbox_id=inbox_id, source=source)


def _line(source: str, result: IngestResult) -> dict:
    return {
        "source": source,
        "outcome": result.outcome,
        "ticket": result.ticket_id,
        "reason": result.reason,
    }


class Command(BaseCommand):
    help = "Ingest raw email messages (RFC 5322 files, directories of them, or - for stdin)."
    # An MTA pipe runs this once per message: the system checks (which load every URL and
    # view) would cost more than the message. `manage.py check` and every server run them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("sources", nargs="+", metavar="FILE", help="files, directories, -")
        parser.add_argument("--inbox", help="the email inbox's name (needed if several)")
        parser.add_argument("--json", action="store_true", help="one JSON line per message")
        parser.add_argument(
            "--batch-size", type=int, default=100, help="messages per transaction (default 100)"
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=max(1, (os.cpu_count() or 1) - 1),
            help="processes parsing ahead of the one storing (default: cores - 1; 0: none)",
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

    def _read_all(self, files: list[tuple[str, Path | None]], inbox_id: int, jobs: int):
        """Parsed messages in input order; parsed in ``jobs`` other processes for many files,
        so that parsing the next batch overlaps storing this one."""
        read = partial(_read_and_parse, inbox_id=inbox_id)
        if jobs < 1 or len(files) < 2 * PARALLEL_MINIMUM:
            yield from map(read, files)
            return
        # The forked parsers never touch the database connections they inherit (and leave
        # through os._exit, which closes nothing of the parent's).
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            yield from pool.imap(read, files, chunksize=16)

    def _store(self, inbox: Inbox, mails: list[ParsedMail]) -> list[dict]:
        results = email_store(inbox=inbox, mails=mails)
        return [_line(mail.source, result) for mail, result in zip(mails, results, strict=True)]

    def handle(self, *args, **options):
        inbox = email_inbox_get(options["inbox"])
        counts: dict[str, int] = {}
        batch_size = max(1, options["batch_size"])
        files = list(self._files(options["sources"]))
        parsed = self._read_all(files, inbox.pk, options["jobs"])
        # A batch commits once (bulk imports are several times faster). Lines are printed
        # after the commit: a printed outcome is a stored one.
        while batch := list(islice(parsed, batch_size)):
            for line in self._store(inbox, batch):
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
