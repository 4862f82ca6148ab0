"""The report's tables: what the page shows beside each chart and what ``?format=csv``
downloads, from one definition."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpdesk.reports.selectors.metrics import Durations, Report
from helpdesk.tickets.models import InboxKind


def channel_label(kind: str) -> str:
    try:
        return str(InboxKind(kind).label)
    except ValueError:
        return kind


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    header: list[str]
    rows: list[list[Any]]


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _times_row(label: str, d: Durations) -> list[Any]:
    return [
        label,
        d.count,
        _hours(d.median_hours),
        _hours(d.p90_hours),
        _hours(d.business_median_hours),
        _hours(d.business_p90_hours),
    ]


def report_tables(report: Report) -> dict[str, Table]:
    channels = sorted({kind for _d, kind, _n in report.volume.by_day})
    days: dict[date, dict[str, int]] = {}
    for day, kind, n in report.volume.by_day:
        days.setdefault(day, {})[kind] = n
    csat, com, sla = report.csat, report.commerce, report.sla
    tables = [
        Table(
            "volume_channel",
            _("Tickets by channel"),
            [_("Channel"), _("Tickets")],
            [[channel_label(kind), n] for kind, n in report.volume.by_channel],
        ),
        Table(
            "volume_day",
            _("Tickets by day"),
            [_("Day"), *[channel_label(kind) for kind in channels]],
            [[day.isoformat(), *[row.get(k, 0) for k in channels]] for day, row in days.items()],
        ),
        Table(
            "times",
            _("Response and resolution times (hours)"),
            [
                _("Measure"),
                _("Tickets"),
                _("Median"),
                _("90th percentile"),
                _("Median, business hours"),
                _("90th percentile, business hours"),
            ],
            [
                _times_row(_("First response"), report.first_response),
                _times_row(_("Resolution"), report.resolution),
            ],
        ),
        Table(
            "quality",
            _("Quality"),
            [_("Figure"), _("Value"), _("Out of")],
            [
                [_("Reopened (%)"), _percent(report.reopens.rate), report.reopens.solved_once],
                [_("Reopenings in the range"), report.reopens.reopenings, None],
                [
                    _("First response within SLA (%)"),
                    _percent(sla.first_response_rate),
                    sla.first_response_met + sla.first_response_breached,
                ],
                [
                    _("Resolution within SLA (%)"),
                    _percent(sla.resolution_rate),
                    sla.resolution_met + sla.resolution_breached,
                ],
                [
                    _("Tickets without an agent reply"),
                    report.volume.without_agent_reply,
                    report.volume.total,
                ],
                [_("Satisfied customers, 4 or 5 (%)"), _percent(csat.satisfied_rate), csat.answers],
                [
                    _("Average rating (1 to 5)"),
                    None if csat.average is None else round(csat.average, 2),
                    csat.answers,
                ],
                [_("Survey response rate (%)"), _percent(csat.response_rate), csat.sent],
            ],
        ),
        Table(
            "agents",
            _("Agents"),
            [
                _("Agent"),
                _("Solved"),
                _("First response, median (h)"),
                _("First response, median business (h)"),
                _("Resolution, median (h)"),
                _("Survey answers"),
                _("Satisfied (%)"),
                _("Recognition"),
            ],
            [
                [
                    row.name,
                    row.solved,
                    _hours(row.first_response.median_hours),
                    _hours(row.first_response.business_median_hours),
                    _hours(row.resolution.median_hours),
                    row.csat_answers,
                    _percent(row.csat_satisfied_rate),
                    _("Fast and well rated") if row.recognised else "",
                ]
                for row in report.agents
            ],
        ),
        Table(
            "comments",
            _("Latest comments"),
            [_("Ticket"), _("Rating"), _("Comment"), _("Answered"), _("Channel")],
            [
                [
                    c["ticket_id"],
                    c["rating"],
                    c["comment"],
                    c["answered_at"],
                    channel_label(c["channel"]),
                ]
                for c in csat.comments
            ],
        ),
        Table(
            "commerce",
            _("Orders and deliveries"),
            [_("Figure"), _("Value")],
            [
                [_("Orders placed"), com.orders],
                [_("Contacts per 100 orders"), _hours(com.contacts_per_100_orders)],
                [_("“Where is my order?” share of contacts (%)"), _percent(com.wismo_share)],
                [_("Delay notices sent"), com.notices_sent],
                [
                    _("Delay notices followed by a customer message (%)"),
                    _percent(com.followed_share),
                ],
                [_("Bot conversations"), com.bot.conversations],
                [
                    _("Bot deflection (%)"),
                    _percent(
                        com.bot.deflected / com.bot.conversations if com.bot.conversations else None
                    ),
                ],
                [_("Handed over to an agent"), com.bot.handed_over],
            ],
        ),
        Table(
            "csat_orders",
            _("Satisfaction by delivery"),
            [_("Order"), _("Survey answers"), _("Satisfied (%)"), _("Average rating")],
            [
                [
                    label,
                    figures.get("answers", 0),
                    _percent(figures.get("satisfied_rate")),
                    None if figures.get("average") is None else round(figures["average"], 2),
                ]
                for label, figures in (
                    (_("Delayed"), com.csat_delayed),
                    (_("On time"), com.csat_on_time),
                )
            ],
        ),
        Table(
            "handovers",
            _("Hand-over reasons"),
            [_("Reason"), _("Conversations")],
            [[reason, n] for reason, n in com.bot.handover_reasons],
        ),
    ]
    return {table.name: table for table in tables}


TICKETS_TABLE = "tickets"
TABLE_NAMES = (
    "volume_channel",
    "volume_day",
    "times",
    "quality",
    "agents",
    "comments",
    "commerce",
    "csat_orders",
    "handovers",
    TICKETS_TABLE,
)
TABLE_TITLES = {TICKETS_TABLE: gettext_lazy("Every ticket in the range")}


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[list[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow(["" if v is None else v for v in row])


def display(value: Any) -> str:
    if value is None:
        return "\u2013"
    if isinstance(value, datetime):
        return formats.date_format(value, "DATETIME_FORMAT")
    if isinstance(value, float):
        return formats.number_format(value, decimal_pos=1 if value >= 10 else 2)
    return str(value)
