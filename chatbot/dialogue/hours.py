"""When a person will answer: the inbox's business hours (``helpdesk.sla``'s business
calendar, holidays included), told in the customer's language."""

from __future__ import annotations

import datetime as dt

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from helpdesk.sla.businesstime import Calendar, next_open


def when_a_person_answers(*, calendar: Calendar, now: dt.datetime | None = None) -> str:
    """A sentence in the active language: soon, today at 9:00, tomorrow at 9:00, or a date."""
    now = now or timezone.now()
    opening = next_open(calendar, now)
    if opening is None or opening <= now:
        return _("A person will answer you here shortly.")
    opening = opening.astimezone(calendar.tz)
    local_now = now.astimezone(calendar.tz)
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
