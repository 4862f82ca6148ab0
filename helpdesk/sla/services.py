"""Writes on SLA clocks: due times when a ticket opens, pause and resume around pending."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from helpdesk.sla.businesstime import Calendar, business_add, business_seconds
from helpdesk.sla.models import SlaPolicy
from helpdesk.sla.selectors import calendar_spec, sla_policy_for
from helpdesk.tickets.models import Ticket


def _calendar_for(ticket: Ticket) -> tuple[Calendar, object | None]:
    policy = sla_policy_for(ticket=ticket)
    return calendar_spec(policy.calendar if policy else None), policy


def sla_apply(
    *, ticket: Ticket, start: datetime | None = None, policies: list[SlaPolicy] | None = None
) -> list[str]:
    """Set the ticket's due times from the first matching policy, counted from ``start``
    (the ticket's creation by default). Changes the instance; returns the changed fields."""
    policy = sla_policy_for(ticket=ticket, policies=policies)
    if policy is None:
        return []
    calendar = calendar_spec(policy.calendar)
    start = start or ticket.created_at or timezone.now()
    ticket.first_response_due = business_add(calendar, start, policy.first_response_minutes * 60)
    ticket.resolution_due = business_add(calendar, start, policy.resolution_minutes * 60)
    return ["first_response_due", "resolution_due"]


def sla_pause(*, ticket: Ticket, now: datetime) -> list[str]:
    if ticket.sla_paused_at is not None:
        return []
    ticket.sla_paused_at = now
    return ["sla_paused_at"]


def sla_resume(*, ticket: Ticket, now: datetime) -> list[str]:
    """Move the open due times later by the business time spent paused."""
    paused_at = ticket.sla_paused_at
    if paused_at is None:
        return []
    calendar, _policy = _calendar_for(ticket)
    fields = ["sla_paused_at"]
    for due_field, done_field in (
        ("first_response_due", "first_response_at"),
        ("resolution_due", "solved_at"),
    ):
        due = getattr(ticket, due_field)
        if due is None or getattr(ticket, done_field) is not None or due <= paused_at:
            continue
        remaining = business_seconds(calendar, paused_at, due)
        setattr(ticket, due_field, business_add(calendar, now, remaining))
        fields.append(due_field)
    ticket.sla_paused_at = None
    return fields


def sla_status_change(*, ticket: Ticket, old: str, new: str, now: datetime) -> list[str]:
    """Clock bookkeeping for a status change; changes the instance, returns changed fields."""
    if new == "pending" and old != "pending":
        return sla_pause(ticket=ticket, now=now)
    if old == "pending" and new != "pending":
        return sla_resume(ticket=ticket, now=now)
    return []
