"""A small shop whose every figure is known: business hours across a weekend and the change
to summer time (29 March 2026 in Paris), a reopened ticket, a merged one, tickets without an
agent reply, a ticket just either side of the range in the shop's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from helpdesk.accounts.models import Role
from helpdesk.csat.models import Survey, SurveyState
from helpdesk.reports.selectors.filters import ReportFilter
from helpdesk.sla.models import BusinessCalendar, OpeningPeriod, SlaPolicy
from helpdesk.tickets.models import AuthorType, Direction, Message, Tag, Ticket
from orders_link.models import DelayNotice
from tests.factories import (
    AgentFactory,
    ContactFactory,
    InboxFactory,
    OrderFactory,
    ShipmentFactory,
    TicketFactory,
)

PARIS = ZoneInfo("Europe/Paris")


def paris(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=PARIS)


def utc(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


NOW = utc(2, 12, month=4)
RANGE = ReportFilter(start=date(2026, 3, 27), end=date(2026, 3, 31))


def _ticket(inbox, *, created, assignee=None, **fields) -> Ticket:
    ticket = TicketFactory(inbox=inbox, assignee=assignee, **fields)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=created)
    ticket.refresh_from_db()
    return ticket


def _message(ticket, *, at, direction=Direction.INBOUND, author_type=AuthorType.CONTACT):
    message = Message.objects.create(
        ticket=ticket, direction=direction, author_type=author_type, text="..."
    )
    Message.objects.filter(pk=message.pk).update(created_at=at)
    message.refresh_from_db()
    return message


def _survey(ticket, *, sent, rating=None, answered=None, agent=None, delayed=False, comment=""):
    return Survey.objects.create(
        ticket=ticket,
        contact=ticket.contact,
        state=SurveyState.ANSWERED if rating else SurveyState.SENT,
        channel=ticket.inbox.kind,
        inbox=ticket.inbox,
        agent=agent,
        solved_at=ticket.solved_at or sent,
        sent_at=sent,
        rating=rating,
        answered_at=answered,
        comment=comment,
        order_delayed=delayed,
    )


@pytest.fixture
def shop(db, settings):
    settings.TIME_ZONE = "Europe/Paris"
    calendar = BusinessCalendar.objects.create(name="Office", time_zone="Europe/Paris")
    for day in range(5):
        OpeningPeriod.objects.create(calendar=calendar, weekday=day, opens=time(9), closes=time(17))
    SlaPolicy.objects.create(
        name="Standard", first_response_minutes=60, resolution_minutes=480, calendar=calendar
    )
    email = InboxFactory(kind="email", name="Mail")
    sms = InboxFactory(kind="sms", name="SMS", config={"from": "+33600000000"})
    telegram = InboxFactory(kind="telegram", name="Telegram", config={})
    xavier = AgentFactory(username="xavier")
    yasmin = AgentFactory(username="yasmin")
    AgentFactory(username="boss", profile__role=Role.MANAGER)

    # A: Friday 16:00 -> Monday 10:00 (summer time began on Sunday): 65 h, 2 business hours.
    a = _ticket(
        email,
        created=paris(27, 16),
        assignee=xavier,
        status="solved",
        first_response_at=paris(30, 10),
        solved_at=paris(30, 12),
        first_response_due=paris(27, 17),
        resolution_due=paris(30, 16),
    )
    # B: answered in 30 min, solved, reopened, solved again on Tuesday 10:00: 25 h, 9 business.
    b = _ticket(
        sms,
        created=paris(30, 9),
        assignee=yasmin,
        status="solved",
        first_response_at=paris(30, 9, 30),
        solved_at=paris(31, 10),
        reopened_count=1,
        first_response_due=paris(30, 10),
        resolution_due=paris(30, 17),
    )
    # C: never answered, SLA targets passed.
    c = _ticket(
        email,
        created=paris(31, 8),
        status="open",
        first_response_due=paris(31, 10),
        resolution_due=paris(31, 17),
    )
    # D: merged into A: counted nowhere.
    _ticket(
        email,
        created=paris(30, 10),
        status="closed",
        merged_into=a,
        first_response_at=paris(30, 10, 5),
        solved_at=paris(30, 10, 6),
    )
    # E: 23:30 UTC on the 26th is already the 27th in Paris: inside the range.
    _ticket(telegram, created=utc(26, 23, 30), status="open")
    # F: 22:30 UTC on the 31st is already 1 April in Paris: outside.
    _ticket(telegram, created=utc(31, 22, 30), status="open")
    # G: older ticket whose survey went out in the range and was never answered.
    g = _ticket(email, created=paris(20, 10), status="closed", solved_at=paris(26, 11))

    a.tags.add(Tag.objects.create(name="wismo"))
    _survey(
        a,
        sent=paris(30, 13),
        rating=5,
        answered=paris(30, 14),
        agent=xavier,
        delayed=True,
        comment="Great",
    )
    _survey(b, sent=paris(31, 11), rating=2, answered=paris(31, 12), agent=yasmin, comment="Slow")
    _survey(g, sent=paris(28, 9))

    for _ in range(8):
        OrderFactory(placed_at=paris(28, 10), contact=ContactFactory())
    OrderFactory(placed_at=paris(1, 10, month=4), contact=ContactFactory())

    # Two delay notices: the customer wrote after the first, not after the second.
    for ticket, sent_at, answer_at in ((a, utc(28, 10), utc(28, 12)), (b, utc(30, 7, 30), None)):
        notice_message = _message(
            ticket, at=sent_at, direction=Direction.OUTBOUND, author_type=AuthorType.SYSTEM
        )
        _message(ticket, at=utc(26, 7))  # before the notice: does not count
        if answer_at:
            _message(ticket, at=answer_at)
        DelayNotice.objects.create(
            shipment=ShipmentFactory(order=OrderFactory(placed_at=paris(10, 10))),
            kind="overdue",
            promised_date=date(2026, 3, 27),
            detected_at=sent_at,
            state="queued",
            run="r1",
            ticket=ticket,
            message=notice_message,
            channel=ticket.inbox.kind,
        )
    return {
        "a": a,
        "b": b,
        "c": c,
        "xavier": xavier,
        "yasmin": yasmin,
        "email": email,
        "calendar": calendar,
    }
