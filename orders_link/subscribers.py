"""Order linking follows the core's events (registered by OrdersLinkConfig.ready): the core
never calls orders_link by name."""

from __future__ import annotations

from collections.abc import Iterable

from helpdesk import domain_events
from helpdesk.domain_events import MessageReceived, OrderLinked
from helpdesk.tickets.models import Message, Ticket
from orders_link.models import Order
from orders_link.selectors import order_for_message


@domain_events.subscriber(MessageReceived, in_transaction=True)
def order_link_from_message(
    event: MessageReceived,
    *,
    ticket: Ticket | None = None,
    message: Message | None = None,
    contact_ids: Iterable[int] = (),
    **_: object,
) -> list[str]:
    """Link the order the customer is writing about, when it is theirs to ask about.

    In the receive transaction, before the rules run (a rule may ask whether the ticket's
    order is late). Returns the changed field; the receive path saves it.
    """
    if ticket is None or message is None or ticket.order_id is not None:
        return []
    has_orders = domain_events.batch_cache().setdefault("orders_link.contact_has_orders", {})
    if ticket.contact_id not in has_orders:
        # Every contact the emitter writes for (a receive batch's), read in one statement.
        wanted = {ticket.contact_id, *contact_ids} - set(has_orders)
        owners = set(
            Order.objects.filter(contact_id__in=wanted)
            .order_by()
            .values_list("contact_id", flat=True)
            .distinct()
        )
        has_orders.update({contact_id: contact_id in owners for contact_id in wanted})
    if not has_orders[ticket.contact_id]:
        return []
    order = order_for_message(contact=ticket.contact, text=f"{message.subject}\n{message.text}")
    if order is None:
        return []
    domain_events.emit(OrderLinked(ticket_id=ticket.pk, order_id=order.pk))
    ticket.order = order
    return ["order", "updated_at"]
