"""Reads on SLA: which policy applies, a ticket's SLA state, list filters."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from helpdesk.sla.businesstime import Calendar
from helpdesk.sla.models import BusinessCalendar, SlaPolicy
from helpdesk.tickets.models import UNSOLVED_STATUSES, Inbox, Ticket, TicketStatus

OK, AT_RISK, BREACHED = "ok", "at_risk", "breached"


def calendar_spec(calendar: BusinessCalendar | None) -> Calendar:
    if calendar is None:
        return Calendar.always_open(settings.TIME_ZONE)
    periods: dict[int, list] = {}
    for period in calendar.periods.all():
        periods.setdefault(period.weekday, []).append((period.opens, period.closes))
    return Calendar(
        time_zone=calendar.time_zone,
        periods={day: tuple(items) for day, items in periods.items()},
        holidays=frozenset(h.date for h in calendar.holidays.all()),
    )


def inbox_calendar(inbox: Inbox) -> Calendar:
    """The business hours of an inbox (its business calendar; always open without one): the
    one definition the chat widget, the bot and the SLA clocks share."""
    if inbox.business_calendar_id is None:
        return Calendar.always_open(settings.TIME_ZONE)
    calendar = (
        BusinessCalendar.objects.prefetch_related("periods", "holidays")
        .filter(pk=inbox.business_calendar_id)
        .first()
    )
    return calendar_spec(calendar)


def sla_policies_active() -> list[SlaPolicy]:
    """The active policies in the order they are tried, with their calendars."""
    return list(
        SlaPolicy.objects.filter(active=True)
        .select_related("calendar")
        .prefetch_related("calendar__periods", "calendar__holidays")
        .order_by("position", "id")
    )


def sla_policy_for(*, ticket: Ticket, policies: list[SlaPolicy] | None = None) -> SlaPolicy | None:
    """The first active policy for the ticket's priority and channel. ``policies``: the
    result of ``sla_policies_active`` when the caller reads them once for many tickets."""
    if policies is None:
        policies = sla_policies_active()
    kind = ticket.inbox.kind if ticket.inbox_id else ""
    for policy in policies:
        if policy.priority is not None and policy.priority != ticket.priority:
            continue
        if policy.channel and policy.channel != kind:
            continue
        return policy
    return None


def at_risk_window() -> timedelta:
    return timedelta(minutes=settings.HELPDESK_SLA_AT_RISK_MINUTES)


def _open_targets(now: datetime) -> tuple[Q, Q]:
    first = Q(first_response_at__isnull=True, first_response_due__isnull=False)
    resolution = Q(solved_at__isnull=True, resolution_due__isnull=False)
    return first, resolution


def sla_breached_q(now: datetime | None = None) -> Q:
    now = now or timezone.now()
    first, resolution = _open_targets(now)
    return Q(status__in=UNSOLVED_STATUSES) & (
        (first & Q(first_response_due__lte=now)) | (resolution & Q(resolution_due__lte=now))
    )


def sla_at_risk_q(now: datetime | None = None) -> Q:
    """Due within the at-risk window and not yet breached; paused (pending) tickets wait."""
    now = now or timezone.now()
    soon = now + at_risk_window()
    first, resolution = _open_targets(now)
    return (
        Q(status__in=[TicketStatus.NEW, TicketStatus.OPEN])
        & (
            (first & Q(first_response_due__gt=now, first_response_due__lte=soon))
            | (resolution & Q(resolution_due__gt=now, resolution_due__lte=soon))
        )
        & ~sla_breached_q(now)
    )


def ticket_sla_state(ticket: Ticket, *, now: datetime | None = None) -> str:
    """ok, at_risk or breached for an unsolved ticket with targets; '' otherwise."""
    if ticket.status not in UNSOLVED_STATUSES:
        return ""
    now = now or timezone.now()
    dues = []
    if ticket.first_response_at is None and ticket.first_response_due:
        dues.append(ticket.first_response_due)
    if ticket.solved_at is None and ticket.resolution_due:
        dues.append(ticket.resolution_due)
    if not dues:
        return ""
    due = min(dues)
    if due <= now:
        return BREACHED
    if ticket.status != TicketStatus.PENDING and due <= now + at_risk_window():
        return AT_RISK
    return OK
