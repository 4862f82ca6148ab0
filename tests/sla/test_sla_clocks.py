from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from helpdesk.sla.models import BusinessCalendar, Holiday, OpeningPeriod, SlaPolicy
from helpdesk.sla.selectors import (
    AT_RISK,
    BREACHED,
    OK,
    sla_at_risk_q,
    sla_breached_q,
    ticket_sla_state,
)
from helpdesk.sla.services import sla_apply
from helpdesk.tickets.models import Ticket, TicketStatus
from helpdesk.tickets.services import ticket_set_priority, ticket_set_status
from tests.factories import InboxFactory, TicketFactory

pytestmark = pytest.mark.django_db

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Paris


@pytest.fixture
def calendar():
    cal = BusinessCalendar.objects.create(name="Paris office", time_zone="Europe/Paris")
    for day in range(5):
        OpeningPeriod.objects.create(calendar=cal, weekday=day, opens=time(9), closes=time(18))
    Holiday.objects.create(calendar=cal, date=datetime(2026, 11, 24).date(), name="Closed")
    return cal


def test_policy_by_priority_and_channel(calendar):
    SlaPolicy.objects.create(
        name="Urgent email",
        position=1,
        priority=4,
        channel="email",
        first_response_minutes=60,
        resolution_minutes=240,
        calendar=calendar,
    )
    SlaPolicy.objects.create(
        name="Default",
        position=2,
        first_response_minutes=8 * 60,
        resolution_minutes=16 * 60,
        calendar=calendar,
    )
    urgent = TicketFactory(priority=4, inbox=InboxFactory(kind="email"))
    normal = TicketFactory(priority=2, inbox=InboxFactory(kind="email"))
    sla_apply(ticket=urgent, start=MONDAY_10)
    sla_apply(ticket=normal, start=MONDAY_10)
    assert urgent.first_response_due == MONDAY_10 + timedelta(hours=1)
    # 8 business hours from Monday 10:00: Monday ends at 18:00 (8h) -> Monday 18:00
    assert normal.first_response_due == datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    # 16h: 8h Monday, Tuesday is a holiday, 8h Wednesday -> Wednesday 17:00 Paris
    assert normal.resolution_due == datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


def test_no_policy_no_due_times():
    ticket = TicketFactory()
    assert sla_apply(ticket=ticket) == []
    assert ticket.first_response_due is None


def test_pending_pauses_the_resolution_clock(calendar, monkeypatch):
    SlaPolicy.objects.create(
        name="Default", first_response_minutes=60, resolution_minutes=4 * 60, calendar=calendar
    )
    ticket = TicketFactory(status=TicketStatus.OPEN)
    sla_apply(ticket=ticket, start=MONDAY_10)
    ticket.first_response_at = MONDAY_10 + timedelta(minutes=30)
    ticket.save()
    assert ticket.resolution_due == MONDAY_10 + timedelta(hours=4)  # Monday 14:00 Paris

    # Pending from Monday 11:00 (3 business hours left) to Wednesday 09:30 Paris
    monkeypatch.setattr(timezone, "now", lambda: MONDAY_10 + timedelta(hours=1))
    ticket_set_status(ticket=ticket, status=TicketStatus.PENDING)
    assert ticket.sla_paused_at == MONDAY_10 + timedelta(hours=1)
    back = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: back)
    ticket_set_status(ticket=ticket, status=TicketStatus.OPEN)
    ticket.refresh_from_db()
    assert ticket.sla_paused_at is None
    assert ticket.resolution_due == back + timedelta(hours=3)


def test_states_and_list_filters():
    now = timezone.now()
    breached = TicketFactory(status="open", first_response_due=now - timedelta(minutes=5))
    at_risk = TicketFactory(status="open", resolution_due=now + timedelta(minutes=20))
    fine = TicketFactory(status="open", resolution_due=now + timedelta(days=2))
    answered = TicketFactory(
        status="open", first_response_due=now - timedelta(hours=1), first_response_at=now
    )
    paused = TicketFactory(status="pending", resolution_due=now + timedelta(minutes=20))
    assert ticket_sla_state(breached, now=now) == BREACHED
    assert ticket_sla_state(at_risk, now=now) == AT_RISK
    assert ticket_sla_state(fine, now=now) == OK
    assert ticket_sla_state(answered, now=now) == ""
    assert ticket_sla_state(paused, now=now) == OK
    assert set(Ticket.objects.filter(sla_breached_q(now))) == {breached}
    assert set(Ticket.objects.filter(sla_at_risk_q(now))) == {at_risk}


def test_priority_change_recomputes_targets(calendar):
    SlaPolicy.objects.create(
        name="Urgent",
        position=1,
        priority=4,
        first_response_minutes=30,
        resolution_minutes=120,
        calendar=calendar,
    )
    SlaPolicy.objects.create(
        name="Default",
        position=2,
        first_response_minutes=240,
        resolution_minutes=960,
        calendar=calendar,
    )
    ticket = TicketFactory(status="open")
    Ticket.objects.filter(pk=ticket.pk).update(created_at=MONDAY_10)
    ticket.refresh_from_db()
    ticket_set_priority(ticket=ticket, priority=4)
    ticket.refresh_from_db()
    assert ticket.first_response_due == MONDAY_10 + timedelta(minutes=30)
    assert ticket.messages.filter(kind="event", metadata__event="priority").count() == 1


def test_a_new_ticket_gets_due_times_when_its_first_message_arrives(email_inbox):
    from channels_in.base import InboundMessage, Sender
    from helpdesk.tickets.services import message_receive

    SlaPolicy.objects.create(name="24/7", first_response_minutes=30, resolution_minutes=600)
    result = message_receive(
        inbound=InboundMessage(
            inbox_id=email_inbox.pk,
            sender=Sender(kind="email", address="sla@example.test"),
            subject="Hi",
            text="Hi",
            external_id="<sla1@x>",
        )
    )
    ticket = Ticket.objects.get(pk=result.ticket.pk)
    assert ticket.first_response_due == ticket.created_at + timedelta(minutes=30)
    assert ticket.resolution_due == ticket.created_at + timedelta(minutes=600)
