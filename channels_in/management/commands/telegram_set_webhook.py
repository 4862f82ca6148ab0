"""Register this helpdesk's webhook URL and secret with Telegram for a Telegram inbox."""

from __future__ import annotations

import asyncio

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from telegram.error import TelegramError

from channels_in.telegram.adapter import telegram_bot
from helpdesk.tickets.models import Inbox, InboxKind


class Command(BaseCommand):
    help = "Point the Telegram bot's webhook at this helpdesk (PUBLIC_URL) with the secret token."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--inbox", help="Name or id of the Telegram inbox (if several).")
        parser.add_argument(
            "--drop-pending",
            action="store_true",
            help="Discard updates Telegram queued while no webhook was set.",
        )

    def handle(self, *args, **options) -> None:
        if not settings.TELEGRAM_BOT_TOKEN:
            raise CommandError("TELEGRAM_BOT_TOKEN is not set.")
        if not settings.TELEGRAM_WEBHOOK_SECRET:
            raise CommandError("TELEGRAM_WEBHOOK_SECRET is not set.")
        inboxes = Inbox.objects.filter(kind=InboxKind.TELEGRAM)
        wanted = options.get("inbox")
        if wanted:
            inboxes = (
                inboxes.filter(pk=int(wanted)) if wanted.isdigit() else inboxes.filter(name=wanted)
            )
        found = list(inboxes[:2])
        if not found:
            raise CommandError("No such Telegram inbox.")
        if len(found) > 1:
            raise CommandError("Several Telegram inboxes: choose one with --inbox.")
        inbox = found[0]
        path = reverse("channels_in:telegram_webhook", args=[inbox.webhook_key])
        url = settings.PUBLIC_URL + path
        if not url.startswith("https://"):
            self.stderr.write("Telegram only calls https:// webhooks; PUBLIC_URL is " + url)

        async def register() -> None:
            async with telegram_bot() as bot:
                await bot.set_webhook(
                    url=url,
                    secret_token=settings.TELEGRAM_WEBHOOK_SECRET,
                    allowed_updates=["message", "edited_message"],
                    drop_pending_updates=options["drop_pending"],
                )

        try:
            asyncio.run(register())
        except TelegramError as exc:
            raise CommandError(f"Telegram refused the webhook: {exc.message}") from exc
        self.stdout.write(self.style.SUCCESS(f"Webhook set for {inbox.name}: {url}"))
