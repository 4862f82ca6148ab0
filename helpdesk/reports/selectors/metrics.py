"""Every figure of the reports page, each one SQL aggregate over recorded timestamps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, Exists, F, Min, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce, TruncDate

from helpdesk.csat.models import Survey
from helpdesk.reports.models import TicketReopen
from helpdesk.reports.providers import BotFigures, bot_figures
from helpdesk.reports.selectors.filters import (
    ReportFilter,
    tickets_created,
    tickets_solved,
)
from helpdesk.reports.selectors.sql import TOTAL, duration_seconds, percentiles
from helpdesk.reports.services import business_intervals_ensure, ticket_timings_refresh
from helpdesk.sla.models import BusinessCalendar, SlaPolicy
from helpdesk.tickets.models import Direction, Message, MessageKind
from orders_link.models import DelayNotice, Order

HOUR = 3600.0


def report_calendar() -> BusinessCalendar | None:
    """The business calendar of the first active SLA policy that has one."""
    policy = (
        SlaPolicy.objects.filter(active=True, calendar__isnull=False)
        .select_related("calendar")
        .order_by("position", "id")
        .first()
    )
    return policy.calendar if policy else None


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Durations:
    count: int
    median_hours: float | None
    p90_hours: float | None
    business_median_hours: float | None
    business_p90_hours: float | None


def _hours(value: float | None) -> float | None:
    return None if value is None else value / HOUR


def _durations(
    queryset: QuerySet, start: str, end: str, calendar_id: int | None, by_agent: bool
) -> dict[Any, Durations]:
    """Median and p90 of ``end - start``, in wall-clock and in business hours (as recorded in
    the ticket's timing), over the queryset (key ``TOTAL``) and, ``by_agent``, per assignee:
    one query on PostgreSQL."""
    values: list[Any] = [duration_seconds(start, end, None)]
    if calendar_id is not None:
        recorded = {
            "first_response_at": "report_timing__first_response_business",
            "solved_at": "report_timing__resolution_business",
        }[end]
        values.append(F(recorded))
    group: Any = F("assignee_id") if by_agent else None
    rows = percentiles(queryset, values, (0.5, 0.9), group)
    result = {}
    for key, (count, figures) in rows.items():
        wall = figures[0]
        business = figures[1] if calendar_id is not None else wall
        result[key] = Durations(
            count=count,
            median_hours=_hours(wall[0]),
            p90_hours=_hours(wall[1]),
            business_median_hours=_hours(business[0]),
            business_p90_hours=_hours(business[1]),
        )
    return result


EMPTY = Durations(0, None, None, None, None)


def first_response_times(
    *, filters: ReportFilter, calendar_id: int | None, by_agent: bool = False
) -> dict[Any, Durations]:
    """Tickets created in the range that got an agent's reply: created -> first agent reply.
    Key ``TOTAL``: all of them; with ``by_agent``, also one key per assignee."""
    qs = tickets_created(filters=filters).filter(first_response_at__isnull=False)
    return _durations(qs, "created_at", "first_response_at", calendar_id, by_agent)


def resolution_times(
    *, filters: ReportFilter, calendar_id: int | None, by_agent: bool = False
) -> dict[Any, Durations]:
    """Tickets solved in the range: created -> solved (the last solve, after any reopening)."""
    return _durations(
        tickets_solved(filters=filters), "created_at", "solved_at", calendar_id, by_agent
    )


@dataclass(frozen=True)
class Volume:
    total: int
    by_channel: list[tuple[str, int]]
    by_day: list[tuple[date, str, int]]
    without_agent_reply: int


def volume(*, filters: ReportFilter) -> Volume:
    created = tickets_created(filters=filters)
    by_channel = list(
        created.values_list("inbox__kind").annotate(n=Count("id")).order_by("inbox__kind")
    )
    by_day = list(
        created.annotate(day=TruncDate("created_at", tzinfo=filters.tz))
        .values_list("day", "inbox__kind")
        .annotate(n=Count("id"))
        .order_by("day", "inbox__kind")
    )
    totals = created.aggregate(
        total=Count("id"), unanswered=Count("id", filter=Q(first_response_at__isnull=True))
    )
    return Volume(
        total=totals["total"],
        by_channel=[(kind, n) for kind, n in by_channel],
        by_day=[(day, kind, n) for day, kind, n in by_day],
        without_agent_reply=totals["unanswered"],
    )


@dataclass(frozen=True)
class Reopens:
    solved_once: int
    reopened: int
    reopenings: int = 0

    @property
    def rate(self) -> float | None:
        return _ratio(self.reopened, self.solved_once)


def reopens(*, filters: ReportFilter) -> Reopens:
    """Of the tickets created in the range and solved at least once, how many reopened; and
    how many times tickets reopened during the range."""
    row = tickets_created(filters=filters).aggregate(
        solved_once=Count("id", filter=Q(solved_at__isnull=False) | Q(reopened_count__gt=0)),
        reopened=Count("id", filter=Q(reopened_count__gt=0)),
    )
    reopenings = (
        TicketReopen.objects.filter(reopened_at__gte=filters.since, reopened_at__lt=filters.until)
        .filter(filters.ticket_q("ticket__"))
        .count()
    )
    return Reopens(solved_once=row["solved_once"], reopened=row["reopened"], reopenings=reopenings)


@dataclass(frozen=True)
class SlaCompliance:
    first_response_met: int
    first_response_breached: int
    resolution_met: int
    resolution_breached: int

    @property
    def first_response_rate(self) -> float | None:
        return _ratio(
            self.first_response_met, self.first_response_met + self.first_response_breached
        )

    @property
    def resolution_rate(self) -> float | None:
        return _ratio(self.resolution_met, self.resolution_met + self.resolution_breached)


def sla_compliance(*, filters: ReportFilter, now: datetime) -> SlaCompliance:
    """Tickets created in the range with an SLA target: met, or breached (late, or still
    without it after the due time). Targets not yet due are in neither count."""
    row = tickets_created(filters=filters).aggregate(
        fr_met=Count(
            "id",
            filter=Q(first_response_due__isnull=False, first_response_at__isnull=False)
            & Q(first_response_at__lte=F("first_response_due")),
        ),
        fr_breached=Count(
            "id",
            filter=Q(first_response_due__isnull=False)
            & (
                Q(first_response_at__gt=F("first_response_due"))
                | Q(first_response_at__isnull=True, first_response_due__lt=now)
            ),
        ),
        res_met=Count(
            "id",
            filter=Q(resolution_due__isnull=False, solved_at__isnull=False)
            & Q(solved_at__lte=F("resolution_due")),
        ),
        res_breached=Count(
            "id",
            filter=Q(resolution_due__isnull=False)
            & (
                Q(solved_at__gt=F("resolution_due"))
                | Q(solved_at__isnull=True, resolution_due__lt=now)
            ),
        ),
    )
    return SlaCompliance(
        first_response_met=row["fr_met"],
        first_response_breached=row["fr_breached"],
        resolution_met=row["res_met"],
        resolution_breached=row["res_breached"],
    )


def surveys_scoped(*, filters: ReportFilter) -> QuerySet[Survey]:
    """Surveys of tickets matching the filters; team and agent as they were at solve time."""
    q = Q(ticket__merged_into__isnull=True)
    if filters.team_id:
        q &= Q(team_id=filters.team_id)
    if filters.agent_id:
        q &= Q(agent_id=filters.agent_id)
    if filters.channel:
        q &= Q(ticket__inbox__kind=filters.channel)
    if filters.inbox_id:
        q &= Q(ticket__inbox_id=filters.inbox_id)
    if filters.language:
        q &= Q(ticket__language=filters.language)
    return Survey.objects.filter(q)


@dataclass(frozen=True)
class Csat:
    sent: int
    answered_of_sent: int
    answers: int
    satisfied: int
    average: float | None
    comments: list[Any] = field(default_factory=list)

    @property
    def satisfied_rate(self) -> float | None:
        return _ratio(self.satisfied, self.answers)

    @property
    def response_rate(self) -> float | None:
        return _ratio(self.answered_of_sent, self.sent)


def _csat_row(queryset: QuerySet[Survey]) -> dict:
    return queryset.aggregate(
        answers=Count("id"),
        satisfied=Count("id", filter=Q(rating__gte=4)),
        average=Avg("rating"),
    )


def csat(*, filters: ReportFilter, comments: int = 5) -> Csat:
    """Answers given in the range; the response rate is over surveys sent in the range."""
    surveys = surveys_scoped(filters=filters)
    answered = surveys.filter(
        rating__isnull=False, answered_at__gte=filters.since, answered_at__lt=filters.until
    )
    row = _csat_row(answered)
    sent = surveys.filter(sent_at__gte=filters.since, sent_at__lt=filters.until).aggregate(
        sent=Count("id"), answered=Count("id", filter=Q(rating__isnull=False))
    )
    latest = list(
        answered.exclude(comment="")
        .order_by("-answered_at", "-id")
        .values("ticket_id", "rating", "comment", "answered_at", "channel")[:comments]
    )
    return Csat(
        sent=sent["sent"],
        answered_of_sent=sent["answered"],
        answers=row["answers"],
        satisfied=row["satisfied"],
        average=row["average"],
        comments=latest,
    )


def csat_by(*, filters: ReportFilter, key: str) -> dict[Any, dict]:
    """CSAT answers in the range grouped by a survey field (``agent_id``, ``order_delayed``)."""
    answered = surveys_scoped(filters=filters).filter(
        rating__isnull=False, answered_at__gte=filters.since, answered_at__lt=filters.until
    )
    rows = (
        answered.values_list(key)
        .annotate(
            answers=Count("id"),
            satisfied=Count("id", filter=Q(rating__gte=4)),
            average=Avg("rating"),
        )
        .order_by(key)
    )
    return {
        k: {"answers": a, "satisfied": s, "average": avg, "satisfied_rate": _ratio(s, a)}
        for k, a, s, avg in rows
    }


@dataclass(frozen=True)
class AgentRow:
    agent_id: int
    name: str
    solved: int
    first_response: Durations
    resolution: Durations
    csat_answers: int
    csat_satisfied_rate: float | None
    recognised: bool


def agents_table(
    *,
    filters: ReportFilter,
    frt: dict[Any, Durations],
    res: dict[Any, Durations],
) -> list[AgentRow]:
    """One row per agent with work in the range, in name order (never a ranking). An agent
    whose median first response is at or under the team's and whose customers were satisfied
    at least 90% of the time (5+ answers) is recognised."""
    solved = dict(
        tickets_solved(filters=filters)
        .filter(assignee__isnull=False)
        .values_list("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )
    overall_frt = frt.get(TOTAL, EMPTY)
    sat = csat_by(filters=filters, key="agent_id")
    ids = {i for i in (*solved, *frt, *res, *sat) if i is not None and i != TOTAL}
    users = get_user_model().objects.filter(pk__in=ids).select_related("agent_profile")
    rows = []
    for user in users:
        profile = getattr(user, "agent_profile", None)
        s = sat.get(user.pk, {})
        f = frt.get(user.pk, EMPTY)
        rate = s.get("satisfied_rate")
        recognised = bool(
            s.get("answers", 0) >= 5
            and rate is not None
            and rate >= 0.9
            and f.median_hours is not None
            and overall_frt.median_hours is not None
            and f.median_hours <= overall_frt.median_hours
        )
        rows.append(
            AgentRow(
                agent_id=user.pk,
                name=profile.name if profile else user.get_username(),
                solved=solved.get(user.pk, 0),
                first_response=f,
                resolution=res.get(user.pk, EMPTY),
                csat_answers=s.get("answers", 0),
                csat_satisfied_rate=rate,
                recognised=recognised,
            )
        )
    return sorted(rows, key=lambda row: row.name.casefold())


@dataclass(frozen=True)
class Commerce:
    contacts: int
    orders: int
    wismo: int
    notices_sent: int
    notices_followed: int
    csat_delayed: dict
    csat_on_time: dict
    bot: BotFigures

    @property
    def contacts_per_100_orders(self) -> float | None:
        return self.contacts * 100 / self.orders if self.orders else None

    @property
    def wismo_share(self) -> float | None:
        return _ratio(self.wismo, self.contacts)

    @property
    def followed_share(self) -> float | None:
        return _ratio(self.notices_followed, self.notices_sent)


def commerce(*, filters: ReportFilter) -> Commerce:
    created = tickets_created(filters=filters)
    totals = created.aggregate(
        contacts=Count("id"),
        wismo=Count("id", filter=Q(tags__name=settings.REPORTS_WISMO_TAG), distinct=True),
    )
    orders = Order.objects.filter(placed_at__gte=filters.since, placed_at__lt=filters.until).count()
    notices = DelayNotice.objects.filter(
        message__isnull=False,
        message__created_at__gte=filters.since,
        message__created_at__lt=filters.until,
    ).filter(filters.ticket_q("ticket__"))
    followed = Message.objects.filter(
        ticket_id=OuterRef("ticket_id"),
        direction=Direction.INBOUND,
        kind=MessageKind.MESSAGE,
        created_at__gt=OuterRef("message__created_at"),
        created_at__lte=OuterRef("message__created_at")
        + timedelta(days=settings.REPORTS_NOTICE_FOLLOW_DAYS),
    )
    notice_row = notices.aggregate(
        sent=Count("id"),
        followed=Count("id", filter=Q(Exists(followed))),
    )
    by_delay = csat_by(filters=filters, key="order_delayed")
    return Commerce(
        contacts=totals["contacts"],
        orders=orders,
        wismo=totals["wismo"],
        notices_sent=notice_row["sent"],
        notices_followed=notice_row["followed"],
        csat_delayed=by_delay.get(True, {}),
        csat_on_time=by_delay.get(False, {}),
        bot=bot_figures(start=filters.since, end=filters.until, filters=filters),
    )


@dataclass(frozen=True)
class Report:
    filters: ReportFilter
    calendar: BusinessCalendar | None
    volume: Volume
    first_response: Durations
    resolution: Durations
    reopens: Reopens
    sla: SlaCompliance
    csat: Csat
    agents: list[AgentRow]
    commerce: Commerce


def report_calendar_ready(*, filters: ReportFilter, now: datetime) -> BusinessCalendar | None:
    """The report's calendar, its intervals laid out over every instant the figures use, and
    the business times of the range's tickets recorded."""
    calendar = report_calendar()
    if calendar is not None:
        # Coalesce keeps PostgreSQL from reading the whole creation index backwards for the
        # minimum: the solve-range index finds the few rows, then their minimum is taken.
        earliest = tickets_solved(filters=filters).aggregate(
            first=Min(Coalesce("created_at", "solved_at"))
        )["first"]
        since = min(filters.since, earliest or filters.since)
        definition = business_intervals_ensure(
            calendar=calendar, since=since, until=max(now, filters.until)
        )
        for tickets in (tickets_created(filters=filters), tickets_solved(filters=filters)):
            ticket_timings_refresh(calendar=calendar, definition=definition, tickets=tickets)
    return calendar


def report_build(*, filters: ReportFilter, now: datetime) -> Report:
    calendar = report_calendar_ready(filters=filters, now=now)
    calendar_id = calendar.pk if calendar else None
    frt = first_response_times(filters=filters, calendar_id=calendar_id, by_agent=True)
    res = resolution_times(filters=filters, calendar_id=calendar_id, by_agent=True)
    return Report(
        filters=filters,
        calendar=calendar,
        volume=volume(filters=filters),
        first_response=frt.get(TOTAL, EMPTY),
        resolution=res.get(TOTAL, EMPTY),
        reopens=reopens(filters=filters),
        sla=sla_compliance(filters=filters, now=now),
        csat=csat(filters=filters),
        agents=agents_table(filters=filters, frt=frt, res=res),
        commerce=commerce(filters=filters),
    )
