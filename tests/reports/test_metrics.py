from __future__ import annotations

from dataclasses import replace

import pytest

from helpdesk.reports.selectors.metrics import report_build
from tests.reports.conftest import NOW, RANGE, paris

pytestmark = pytest.mark.django_db


def approx(value):
    return pytest.approx(value, abs=1e-6)


def test_volume_by_channel_and_day_in_the_shops_time_zone(shop):
    report = report_build(filters=RANGE, now=NOW)
    assert report.volume.total == 4
    assert report.volume.by_channel == [("email", 2), ("sms", 1), ("telegram", 1)]
    assert [(d.isoformat(), k, n) for d, k, n in report.volume.by_day] == [
        ("2026-03-27", "email", 1),
        ("2026-03-27", "telegram", 1),
        ("2026-03-30", "sms", 1),
        ("2026-03-31", "email", 1),
    ]
    assert report.volume.without_agent_reply == 2


def test_first_response_calendar_and_business_hours_across_weekend_and_dst(shop):
    frt = report_build(filters=RANGE, now=NOW).first_response
    assert frt.count == 2
    assert frt.median_hours == approx(32.75)
    assert frt.p90_hours == approx(58.55)
    assert frt.business_median_hours == approx(1.25)
    assert frt.business_p90_hours == approx(1.85)


def test_resolution_counts_the_last_solve_of_a_reopened_ticket(shop):
    res = report_build(filters=RANGE, now=NOW).resolution
    assert res.count == 2
    assert res.median_hours == approx(46.0)
    assert res.p90_hours == approx(62.8)
    assert res.business_median_hours == approx(6.5)
    assert res.business_p90_hours == approx(8.5)


def test_reopen_rate_and_sla_compliance(shop):
    report = report_build(filters=RANGE, now=NOW)
    assert (report.reopens.solved_once, report.reopens.reopened) == (2, 1)
    assert report.reopens.rate == 0.5
    sla = report.sla
    assert (sla.first_response_met, sla.first_response_breached) == (1, 2)
    assert (sla.resolution_met, sla.resolution_breached) == (1, 2)


def test_csat_figures(shop):
    csat = report_build(filters=RANGE, now=NOW).csat
    assert (csat.sent, csat.answered_of_sent) == (3, 2)
    assert csat.response_rate == approx(2 / 3)
    assert (csat.answers, csat.satisfied) == (2, 1)
    assert csat.satisfied_rate == 0.5
    assert csat.average == approx(3.5)
    assert [c["comment"] for c in csat.comments] == ["Slow", "Great"]


def test_agents_table(shop):
    rows = report_build(filters=RANGE, now=NOW).agents
    assert [(r.name, r.solved, r.csat_answers) for r in rows] == [
        ("xavier", 1, 1),
        ("yasmin", 1, 1),
    ]
    assert rows[0].first_response.median_hours == approx(65.0)
    assert rows[0].first_response.business_median_hours == approx(2.0)
    assert rows[1].resolution.business_median_hours == approx(9.0)
    assert rows[0].csat_satisfied_rate == 1.0
    assert not any(r.recognised for r in rows)


def test_commerce_figures(shop):
    com = report_build(filters=RANGE, now=NOW).commerce
    assert (com.contacts, com.orders) == (4, 8)
    assert com.contacts_per_100_orders == 50.0
    assert com.wismo_share == 0.25
    assert (com.notices_sent, com.notices_followed) == (2, 1)
    assert com.followed_share == 0.5
    assert com.csat_delayed == {"answers": 1, "satisfied": 1, "average": 5.0, "satisfied_rate": 1.0}
    assert com.csat_on_time["average"] == 2.0
    assert (com.bot.conversations, com.bot.deflected, com.bot.handover_reasons) == (0, 0, ())


def test_channel_filter(shop):
    report = report_build(filters=replace(RANGE, channel="email"), now=NOW)
    assert report.volume.total == 2
    assert report.first_response.count == 1
    assert report.first_response.median_hours == approx(65.0)
    assert report.first_response.p90_hours == approx(65.0)
    assert report.csat.answers == 1


def test_agent_and_team_filters(shop):
    report = report_build(filters=replace(RANGE, agent_id=shop["yasmin"].pk), now=NOW)
    assert report.volume.total == 1
    assert report.resolution.median_hours == approx(25.0)
    assert report.csat.average == 2.0


def test_business_hours_follow_a_calendar_change(shop):
    from helpdesk.sla.models import OpeningPeriod

    OpeningPeriod.objects.create(
        calendar=shop["calendar"], weekday=5, opens="09:00", closes="17:00"
    )
    OpeningPeriod.objects.create(
        calendar=shop["calendar"], weekday=6, opens="09:00", closes="17:00"
    )
    frt = report_build(filters=RANGE, now=NOW).first_response
    # A now also counts Saturday and Sunday 09:00-17:00: 1 + 8 + 8 + 1 = 18 h.
    assert frt.business_median_hours == approx((18 + 0.5) / 2)


def test_reopenings_are_recorded_when_they_happen_and_counted_in_the_range(
    shop, django_capture_on_commit_callbacks
):
    from helpdesk.reports.models import TicketReopen
    from helpdesk.tickets.services import ticket_set_status

    with django_capture_on_commit_callbacks(execute=True):
        ticket_set_status(ticket=shop["a"], status="open")
    reopen = TicketReopen.objects.get()
    assert (reopen.ticket_id, reopen.previous_status) == (shop["a"].pk, "solved")
    shop["a"].refresh_from_db()
    assert reopen.reopened_at == shop["a"].status_changed_at
    TicketReopen.objects.create(
        ticket=shop["b"], reopened_at=paris(30, 12), previous_status="solved"
    )
    report = report_build(filters=RANGE, now=NOW)
    assert report.reopens.reopenings == 1  # the one of 30 March; today's is outside the range


def test_backfill_reads_reopenings_from_the_timeline(shop):
    import importlib

    from django.apps import apps

    from helpdesk.reports.models import TicketReopen
    from helpdesk.tickets.models import Message

    event = Message.objects.create(
        ticket=shop["b"],
        direction="out",
        kind="event",
        author_type="system",
        metadata={"event": "status", "from": "solved", "to": "open"},
    )
    Message.objects.create(
        ticket=shop["b"],
        direction="out",
        kind="event",
        author_type="system",
        metadata={"event": "status", "from": "open", "to": "solved"},
    )
    migration = importlib.import_module("helpdesk.reports.migrations.0003_ticket_reopen_backfill")
    migration.backfill(apps, None)
    (row,) = TicketReopen.objects.all()
    assert (row.ticket_id, row.reopened_at, row.previous_status) == (
        shop["b"].pk,
        event.created_at,
        "solved",
    )


def test_business_times_are_recorded_when_the_ticket_is_solved(
    shop, django_capture_on_commit_callbacks
):
    from helpdesk.reports.models import TicketTiming
    from helpdesk.tickets.services import ticket_set_status

    c = shop["c"]
    with django_capture_on_commit_callbacks(execute=True):
        ticket_set_status(ticket=c, status="solved")
    timing = TicketTiming.objects.get(ticket=c)
    c.refresh_from_db()
    assert timing.solved_at == c.solved_at
    assert timing.resolution_business is not None and timing.resolution_business > 0
