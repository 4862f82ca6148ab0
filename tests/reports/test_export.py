"""The export of every ticket: the same CSV whichever database writes it (PostgreSQL's COPY or
Python's csv module), local times with their offset across the change to summer time."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from django.db import connection

from helpdesk.reports.export import _python_rows, ticket_csv
from helpdesk.reports.selectors.filters import ReportFilter
from helpdesk.tickets.models import Ticket
from tests.factories import AgentFactory, InboxFactory, TeamFactory, TicketFactory

pytestmark = pytest.mark.django_db


def _rows(chunks) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(chunks).decode())))


def test_every_ticket_with_local_times_labels_and_hours(settings):
    inbox = InboxFactory(
        kind="whatsapp", name='Shop "WhatsApp", FR', config={"from": "+33700000002"}
    )
    team = TeamFactory(name="Returns")
    ann = AgentFactory(username="ann")
    winter = TicketFactory(inbox=inbox, team=team, assignee=ann, status="solved", language="fr")
    summer = TicketFactory(inbox=inbox, status="new", language="en")
    Ticket.objects.filter(pk=winter.pk).update(
        created_at=datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # 01:30 in Paris, winter time
        first_response_at=datetime(2026, 3, 29, 1, 45, tzinfo=UTC),
        solved_at=datetime(2026, 3, 30, 0, 30, 36, tzinfo=UTC),
        reopened_count=1,
    )
    Ticket.objects.filter(pk=summer.pk).update(
        created_at=datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # 03:30 in Paris, summer time
    )
    filters = ReportFilter(start=date(2026, 3, 28), end=date(2026, 3, 30))
    rows = _rows(ticket_csv(filters))
    assert rows[0][:3] == ["Ticket", "Created", "Channel"]
    assert rows[1:] == [
        [
            str(winter.pk),
            "2026-03-29T01:30:00+01:00",
            "WhatsApp (Twilio)",
            'Shop "WhatsApp", FR',
            "Returns",
            "ann",
            "fr",
            "Solved",
            "1.25",
            "24.01",
            "1",
            "",
        ],
        [
            str(summer.pk),
            "2026-03-29T03:30:00+02:00",
            "WhatsApp (Twilio)",
            'Shop "WhatsApp", FR',
            "",
            "",
            "en",
            "New",
            "",
            "",
            "0",
            "",
        ],
    ]
    # West of Greenwich, the offset is negative.
    settings.TIME_ZONE = "America/New_York"
    assert [row[1] for row in _rows(ticket_csv(filters))[1:]] == [
        "2026-03-28T20:30:00-04:00",
        "2026-03-28T21:30:00-04:00",
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="compares COPY with Python")
def test_copy_writes_what_python_writes():
    inbox = InboxFactory(kind="email", name="Mail", config={"address": "help@shop.test"})
    for _ in range(5):
        TicketFactory(inbox=inbox, status="open")
    filters = ReportFilter(start=date.today().replace(day=1), end=date.today())
    expected = [["" if v is None else str(v) for v in row] for row in _python_rows(filters)]
    assert _rows(ticket_csv(filters))[1:] == expected
