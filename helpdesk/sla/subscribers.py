"""SLA clocks follow the ticket's events, inside the write's transaction (their due times are
columns of the ticket row, saved with the write). Registered by SlaConfig.ready."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from helpdesk import domain_events
from helpdesk.domain_events import TicketCreated, TicketPriorityChanged, TicketStatusChanged
from helpdesk.sla.selectors import sla_policies_active
from helpdesk.sla.services import sla_apply, sla_status_change
from helpdesk.tickets.models import Ticket


@domain_events.subscriber(TicketCreated, in_transaction=True)
def sla_clocks_start(
    event: TicketCreated, *, ticket: Ticket | None = None, **_: object
) -> list[str]:
    """Due times from the first matching policy (read once per receive batch)."""
    if ticket is None:
        return []
    cache = domain_events.batch_cache()
    if "sla.policies" not in cache:
        cache["sla.policies"] = sla_policies_active()
    return sla_apply(ticket=ticket, policies=cache["sla.policies"])


@domain_events.subscriber(TicketStatusChanged, in_transaction=True)
def sla_clocks_status(
    event: TicketStatusChanged,
    *,
    ticket: Ticket | None = None,
    now: datetime | None = None,
    **_: object,
) -> list[str]:
    """Pending pauses the clocks; leaving pending moves the open due times later. Emitted
    before the ticket's new status is set on ``ticket``."""
    if ticket is None:
        return []
    return sla_status_change(ticket=ticket, old=event.old, new=event.new, now=now or timezone.now())


@domain_events.subscriber(TicketPriorityChanged, in_transaction=True)
def sla_clocks_priority(
    event: TicketPriorityChanged, *, ticket: Ticket | None = None, **_: object
) -> list[str]:
    """The targets of the new priority's policy, counted from the ticket's creation (not
    while the clocks are paused)."""
    if ticket is None or ticket.sla_paused_at is not None:
        return []
    return sla_apply(ticket=ticket)
