"""The filters every report panel shares, and the tickets they select."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet

from helpdesk.tickets.models import Ticket


@dataclass(frozen=True)
class ReportFilter:
    """``start``..``end`` are days (both included) in the shop's time zone."""

    start: date
    end: date
    team_id: int | None = None
    agent_id: int | None = None
    channel: str = ""
    inbox_id: int | None = None
    language: str = ""

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(settings.TIME_ZONE)

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(0), tzinfo=self.tz)

    @property
    def until(self) -> datetime:
        """The first instant after the range (exclusive bound)."""
        return datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=self.tz)

    def ticket_q(self, prefix: str = "") -> Q:
        """The non-date filters, on tickets reached through ``prefix`` (e.g. ``ticket__``)."""
        q = Q(**{f"{prefix}merged_into__isnull": True})
        if self.team_id:
            q &= Q(**{f"{prefix}team_id": self.team_id})
        if self.agent_id:
            q &= Q(**{f"{prefix}assignee_id": self.agent_id})
        if self.channel:
            q &= Q(**{f"{prefix}inbox__kind": self.channel})
        if self.inbox_id:
            q &= Q(**{f"{prefix}inbox_id": self.inbox_id})
        if self.language:
            q &= Q(**{f"{prefix}language": self.language})
        return q


def tickets_scoped(*, filters: ReportFilter) -> QuerySet[Ticket]:
    """Tickets matching the non-date filters. Tickets merged into another are left out: their
    messages and clocks live on with the ticket they joined."""
    return Ticket.objects.filter(filters.ticket_q())


def tickets_created(*, filters: ReportFilter) -> QuerySet[Ticket]:
    return tickets_scoped(filters=filters).filter(
        created_at__gte=filters.since, created_at__lt=filters.until
    )


def tickets_solved(*, filters: ReportFilter) -> QuerySet[Ticket]:
    return tickets_scoped(filters=filters).filter(
        status__in=["solved", "closed"],
        solved_at__gte=filters.since,
        solved_at__lt=filters.until,
    )
