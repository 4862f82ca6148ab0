"""When a person will answer: the bot's business hours for an inbox."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _clock(value: str) -> dt.time:
    hours, _sep, minutes = value.partition(":")
    if hours == "24":
        return dt.time.max
    return dt.time(int(hours), int(minutes or 0))


def _zone(hours: dict[str, Any]) -> ZoneInfo:
    try:
        return ZoneInfo(hours.get("time_zone") or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def next_opening(*, hours: dict[str, Any], now: dt.datetime | None = None) -> dt.datetime | None:
    """``None`` when someone is there now (or no hours are set); else the next opening time,
    in the hours' time zone."""
    weekly = (hours or {}).get("weekly") or {}
    if not weekly:
        return None
    zone = _zone(hours)
    local = (now or timezone.now()).astimezone(zone)
    for offset in range(0, 8):
        day = local.date() + dt.timedelta(days=offset)
        for start, end in sorted(weekly.get(DAYS[day.weekday()], [])):
            opens = dt.datetime.combine(day, _clock(start), tzinfo=zone)
            closes = dt.datetime.combine(day, _clock(end), tzinfo=zone)
            if offset == 0 and opens <= local < closes:
                return None
            if opens > local:
                return opens
    return None


def when_a_person_answers(*, hours: dict[str, Any], now: dt.datetime | None = None) -> str:
    """A sentence in the active language: soon, today at 9:00, tomorrow at 9:00, or a date."""
    opening = next_opening(hours=hours, now=now)
    if opening is None:
        return _("A person will answer you here shortly.")
    local_now = (now or timezone.now()).astimezone(opening.tzinfo)
    clock = formats.time_format(
        opening.time(), "H:i" if translation.get_language() == "fr" else "g:i A"
    )
    days = (opening.date() - local_now.date()).days
    if days == 0:
        return _("A person will answer you here today from %(time)s.") % {"time": clock}
    if days == 1:
        return _("A person will answer you here tomorrow from %(time)s.") % {"time": clock}
    day = formats.date_format(opening.date(), "l j F")
    return _("A person will answer you here on %(day)s from %(time)s.") % {
        "day": day,
        "time": clock,
    }
