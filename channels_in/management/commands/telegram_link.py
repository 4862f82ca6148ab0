"""Print a Telegram deep link that ties the chat which opens it to a customer or an order.

For the shop to send a customer (in an order confirmation, say): whoever opens the link in
Telegram and presses Start has their chat linked, verified, to that customer.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from channels_in.telegram.services import telegram_deep_link, telegram_link_token
from helpdesk.contacts.models import Contact
from helpdesk.tickets.models import Inbox, InboxKind
from orders_link.models import Order


class Command(BaseCommand):
    help = "Print a Telegram link (t.me/<bot>?start=...) for a customer or an order."

    def add_arguments(self, parser) -> None:
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--contact", type=int, help="The customer's id.")
        what.add_argument("--order", help="The order's number.")
        parser.add_argument("--inbox", help="Name or id of the Telegram inbox (if several).")

    def handle(self, *args, **options) -> None:
        inbox = self._inbox(options.get("inbox"))
        if not inbox.config.get("bot_username"):
            raise CommandError(f"The inbox {inbox.name} has no bot_username in its settings.")
        if options["contact"] is not None:
            contact = Contact.objects.filter(pk=options["contact"]).first()
            if contact is None:
                raise CommandError(f"No customer with id {options['contact']}.")
            token = telegram_link_token(contact=contact)
        else:
            orders = list(Order.objects.filter(number=options["order"])[:2])
            if len(orders) != 1:
                found = "No order" if not orders else "Several orders (in several shops)"
                raise CommandError(f"{found} numbered {options['order']}.")
            token = telegram_link_token(order=orders[0])
        self.stdout.write(telegram_deep_link(inbox=inbox, token=token))

    def _inbox(self, wanted: str | None) -> Inbox:
        inboxes = Inbox.objects.filter(kind=InboxKind.TELEGRAM, enabled=True)
        if wanted:
            inboxes = (
                inboxes.filter(pk=int(wanted)) if wanted.isdigit() else inboxes.filter(name=wanted)
            )
        found = list(inboxes[:2])
        if not found:
            raise CommandError("No such Telegram inbox.")
        if len(found) > 1:
            raise CommandError("Several Telegram inboxes: choose one with --inbox.")
        return found[0]
