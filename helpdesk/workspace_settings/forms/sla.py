"""Forms of the SLA, business-hours and canned-response pages."""

from __future__ import annotations

import itertools
import re
import zoneinfo
from datetime import date, time
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from helpdesk.inbox.models import CannedResponse
from helpdesk.sla.models import BusinessCalendar, Holiday, OpeningPeriod, SlaPolicy, Weekday

DAYS = [("mon", 0), ("tue", 1), ("wed", 2), ("thu", 3), ("fri", 4), ("sat", 5), ("sun", 6)]
PERIOD = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
HOLIDAY = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*(.*)$")


class SlaPolicyForm(forms.ModelForm):
    class Meta:
        model = SlaPolicy
        fields = [
            "name",
            "position",
            "active",
            "priority",
            "channel",
            "first_response_minutes",
            "resolution_minutes",
            "calendar",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        fr, res = data.get("first_response_minutes"), data.get("resolution_minutes")
        if fr is not None and fr < 1:
            self.add_error("first_response_minutes", _("At least one minute."))
        if res is not None and fr is not None and res < fr:
            self.add_error(
                "resolution_minutes", _("Resolution cannot be due before the first response.")
            )
        return data


def _parse_periods(text: str) -> list[tuple[time, time]]:
    periods = []
    for part in [p.strip() for p in text.split(",") if p.strip()]:
        match = PERIOD.match(part)
        if not match:
            raise ValidationError(_("Write hours like 09:00-12:00, 14:00-18:00."))
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h2 == 24 and m2 == 0:
            h2 = 0
        try:
            opens, closes = time(h1, m1), time(h2, m2)
        except ValueError:
            raise ValidationError(_("%(text)s is not a time of day.") % {"text": part}) from None
        if closes != time(0) and closes <= opens:
            raise ValidationError(_("%(text)s closes before it opens.") % {"text": part})
        periods.append((opens, closes))
    periods.sort()
    for (_o1, c1), (o2, _c2) in itertools.pairwise(periods):
        if c1 == time(0) or o2 < c1:
            raise ValidationError(_("Periods of one day must not overlap."))
    return periods


def _format_periods(periods) -> str:
    return ", ".join(
        f"{p.opens:%H:%M}-{'24:00' if p.closes == time(0) else f'{p.closes:%H:%M}'}"
        for p in periods
    )


class CalendarForm(forms.ModelForm):
    """A business calendar: time zone, the hours of each weekday, holidays."""

    time_zone = forms.ChoiceField(label=_("time zone"), choices=())
    holidays = forms.CharField(
        label=_("Holidays"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One per line: a date (YYYY-MM-DD) and an optional name."),
    )

    class Meta:
        model = BusinessCalendar
        fields = ["name", "time_zone"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        zones = self.fields["time_zone"]
        assert isinstance(zones, forms.ChoiceField)
        zones.choices = [(z, z) for z in sorted(zoneinfo.available_timezones())]
        self.fields["time_zone"].initial = self.instance.time_zone or settings.TIME_ZONE
        by_day: dict[int, list] = {}
        if self.instance.pk:
            for period in self.instance.periods.all():
                by_day.setdefault(period.weekday, []).append(period)
            self.fields["holidays"].initial = "\n".join(
                f"{h.date.isoformat()} {h.name}".strip() for h in self.instance.holidays.all()
            )
        for code, day in DAYS:
            self.fields[code] = forms.CharField(
                label=Weekday(day).label,
                required=False,
                initial=_format_periods(by_day.get(day, [])),
                help_text=_("Empty: closed.") if code == "sun" else "",
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.periods: dict[int, list[tuple[time, time]]] = {}
        for code, day in DAYS:
            try:
                self.periods[day] = _parse_periods(data.get(code) or "")
            except ValidationError as exc:
                self.add_error(code, exc)
        self.holiday_rows: list[tuple[date, str]] = []
        seen = set()
        for line in (data.get("holidays") or "").splitlines():
            if not line.strip():
                continue
            match = HOLIDAY.match(line.strip())
            holiday: date | None
            try:
                holiday = date.fromisoformat(match.group(1)) if match else None
            except ValueError:
                holiday = None
            if holiday is None or match is None:
                self.add_error(
                    "holidays", _("Not a date: %(line)s (use YYYY-MM-DD).") % {"line": line}
                )
                continue
            if holiday not in seen:
                seen.add(holiday)
                self.holiday_rows.append((holiday, match.group(2).strip()[:100]))
        if not self.errors and not any(self.periods.values()):
            raise ValidationError(_("A calendar needs opening hours on at least one day."))
        return data

    def save(self, commit: bool = True) -> BusinessCalendar:
        with transaction.atomic():
            calendar = super().save()
            calendar.periods.all().delete()
            OpeningPeriod.objects.bulk_create(
                OpeningPeriod(calendar=calendar, weekday=day, opens=o, closes=c)
                for day, periods in self.periods.items()
                for o, c in periods
            )
            calendar.holidays.all().delete()
            Holiday.objects.bulk_create(
                Holiday(calendar=calendar, date=d, name=n) for d, n in self.holiday_rows
            )
        return calendar


class CannedResponseForm(forms.ModelForm):
    language = forms.ChoiceField(
        label=_("language"), choices=[("", _("Any language")), *settings.LANGUAGES], required=False
    )

    class Meta:
        model = CannedResponse
        fields = ["name", "language", "team", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 8})}
