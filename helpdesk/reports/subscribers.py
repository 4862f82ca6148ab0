"""What the reports record as things happen, from the core's domain events."""

from __future__ import annotations

from django.utils import timezone

from helpdesk import domain_events
from helpdesk.reports.models import TicketReopen
from helpdesk.reports.selectors.metrics import report_calendar
from helpdesk.reports.services import business_intervals_ensure, ticket_timings_refresh
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


@domain_events.subscriber(domain_events.ReplySent, domain_events.TicketStatusChanged)
def ticket_timing_record(event) -> None:
    """A first agent reply or a solve: its business time, counted now."""
    if isinstance(event, domain_events.ReplySent) and not event.first_response:
        return
    if isinstance(event, domain_events.TicketStatusChanged) and event.new not in DONE:
        return
    calendar = report_calendar()
    tickets = Ticket.objects.filter(pk=event.ticket_id)
    created = tickets.values_list("created_at", flat=True).first()
    if calendar is None or created is None:
        return
    definition = business_intervals_ensure(calendar=calendar, since=created, until=timezone.now())
    ticket_timings_refresh(calendar=calendar, definition=definition, tickets=tickets)
