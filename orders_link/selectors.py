"""Reads on orders and shipments."""

from __future__ import annotations

import re

from django.db.models import Q

from helpdesk.contacts.models import Contact
from orders_link.models import OPEN_ORDER_STATUSES, Order

# Order numbers as customers write them: "#1001", "order 1001", "commande n° 1001", and
# tracking numbers (8+ letters/digits with at least 4 digits).
_TOKEN = re.compile(r"#?\b([A-Z0-9][A-Z0-9-]{2,40})\b", re.IGNORECASE)


def _candidate_tokens(text: str) -> set[str]:
    tokens = set()
    for match in _TOKEN.finditer(text):
        token = match.group(1).upper()
        if sum(ch.isdigit() for ch in token) >= 3:
            tokens.add(token)
    return tokens


def order_for_message(*, contact: Contact, text: str) -> Order | None:
    """The order a message is about: one of the contact's own orders named by its number or a
    shipment's tracking number; else the contact's single open order. Never someone else's."""
    orders = Order.objects.filter(contact=contact)
    tokens = _candidate_tokens(text)
    if tokens:
        numbers = tokens | {f"#{token}" for token in tokens}
        named = (
            orders.filter(Q(number__in=numbers) | Q(shipments__tracking_number__in=tokens))
            .order_by("-placed_at")
            .first()
        )
        if named is not None:
            return named
    open_orders = list(orders.filter(status__in=OPEN_ORDER_STATUSES)[:2])
    return open_orders[0] if len(open_orders) == 1 else None
