"""What the reports record as things happen, from the core's domain events."""

from __future__ import annotations

from django.utils import timezone

from helpdesk import domain_events
from helpdesk.reports.models import TicketReopen
from helpdesk.tickets.models import Ticket

DONE = {"solved", "closed"}


@domain_events.subscriber(domain_events.TicketStatusChanged)
def ticket_reopen_record(event: domain_events.TicketStatusChanged) -> None:
    if event.old not in DONE or event.new in DONE:
        return
    changed = (
        Ticket.objects.filter(pk=event.ticket_id)
        .values_list("status_changed_at", flat=True)
        .first()
    )
    TicketReopen.objects.create(
        ticket_id=event.ticket_id,
        reopened_at=changed or timezone.now(),
        previous_status=event.old,
    )
