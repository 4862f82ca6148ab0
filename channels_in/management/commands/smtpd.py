"""Receive mail over SMTP or LMTP and store it in the email inboxes (foreground process)."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand

from channels_in.email.smtp import InboundController, InboundHandler
from channels_in.management.commands.ingest_email import email_inbox_get


class Command(BaseCommand):
    help = "Receive mail over SMTP (or LMTP with --lmtp) for the email inboxes."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)
        parser.add_argument("--lmtp", action="store_true", help="speak LMTP instead of SMTP")
        parser.add_argument(
            "--inbox", help="store mail for unknown recipients in this inbox (else refuse it)"
        )

    def handle(self, *args, **options):
        default = email_inbox_get(options["inbox"]).pk if options["inbox"] else None
        controller = InboundController(
            InboundHandler(default_inbox_id=default),
            lmtp=options["lmtp"],
            hostname=options["host"],
            port=options["port"],
        )
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        controller.start()
        protocol = "LMTP" if options["lmtp"] else "SMTP"
        self.stdout.write(f"Receiving {protocol} on {options['host']}:{options['port']}")
        self.stdout.flush()
        stop.wait()
        controller.stop()
