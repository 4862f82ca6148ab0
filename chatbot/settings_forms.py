"""The bot's section of the workspace settings: per inbox, on/off, the questions it may
answer, and the agents' business hours it tells customers."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from chatbot.dialogue.hours import DAYS
from chatbot.models import BotSettings

# The questions an inbox may leave to agents. Greetings, thanks, asking for a person,
# complaints and what the bot does not understand are always handled (a person, at worst).
INTENT_LABELS = {
    "order_status": _("Where is my order?"),
    "delivery_time": _("When will it arrive?"),
    "delivery_options": _("Delivery options"),
    "cancel_order": _("Cancelling an order"),
    "change_order": _("Changing an order"),
    "return_refund": _("Returns and refunds"),
    "refund_status": _("Where is my refund?"),
    "payment": _("Payment"),
    "invoice": _("Invoices"),
    "account": _("Customer account"),
}
DAY_LABELS = {
    "mon": _("Monday"),
    "tue": _("Tuesday"),
    "wed": _("Wednesday"),
    "thu": _("Thursday"),
    "fri": _("Friday"),
    "sat": _("Saturday"),
    "sun": _("Sunday"),
}
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-\u2013]\s*(\d{1,2}):(\d{2})\s*$")


def _parse_ranges(value: str) -> list[list[str]]:
    """ "09:00-12:30, 14:00-18:00" -> [["09:00", "12:30"], ["14:00", "18:00"]]."""
    ranges = []
    for part in [p for p in (value or "").split(",") if p.strip()]:
        match = _RANGE.match(part)
        if not match:
            raise forms.ValidationError(
                _("Write hours like 09:00-18:00 (several: 09:00-12:00, 14:00-18:00).")
            )
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise forms.ValidationError(
                _("%(value)s is not a time of day.") % {"value": part.strip()}
            )
        start, end = f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}"
        if end <= start:
            raise forms.ValidationError(
                _("%(value)s ends before it starts.") % {"value": part.strip()}
            )
        ranges.append([start, end])
    return sorted(ranges)


class BotSettingsForm(forms.ModelForm):
    allowed = forms.MultipleChoiceField(
        label=_("questions the bot answers"),
        choices=list(INTENT_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "The others go to an agent at once. Greetings, thanks, complaints and asking for a "
            "person are always handled."
        ),
    )
    time_zone = forms.ChoiceField(label=_("time zone of the hours"), required=False)

    class Meta:
        model = BotSettings
        fields = ["enabled"]
        labels = {"enabled": _("the bot answers this inbox first")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance: BotSettings = self.instance
        allowed = [i for i in (instance.allowed_intents or []) if i in INTENT_LABELS]
        self.fields["allowed"].initial = allowed or list(INTENT_LABELS)
        hours = instance.business_hours or {}
        zones = sorted(available_timezones())
        self.fields["time_zone"].choices = [(z, z) for z in zones]
        self.fields["time_zone"].initial = hours.get("time_zone") or settings.TIME_ZONE
        weekly = hours.get("weekly") or {}
        for day in DAYS:
            name = f"hours_{day}"
            self.fields[name] = forms.CharField(
                label=DAY_LABELS[day],
                required=False,
                max_length=100,
                help_text=_("Empty: no one answers that day.") if day == "sun" else "",
            )
            self.fields[name].widget.attrs["placeholder"] = "09:00-18:00"
            self.fields[name].initial = ", ".join(f"{a}-{b}" for a, b in weekly.get(day, []))
        self.fields["time_zone"].help_text = _(
            'When a person answers, told to customers as the bot hands over ("a person will '
            "answer tomorrow from 9:00\"). No hours at all: the inbox's own, else always."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        allowed = data.get("allowed") or []
        if data.get("enabled") and not allowed:
            self.add_error(
                "allowed", _("Choose at least one question the bot may answer, or turn it off.")
            )
        weekly: dict[str, list[list[str]]] = {}
        for day in DAYS:
            try:
                ranges = _parse_ranges(data.get(f"hours_{day}") or "")
            except forms.ValidationError as exc:
                self.add_error(f"hours_{day}", exc)
                continue
            if ranges:
                weekly[day] = ranges
        zone = data.get("time_zone") or settings.TIME_ZONE
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            self.add_error("time_zone", _("Unknown time zone."))
        if not self.errors:
            instance: BotSettings = self.instance
            instance.allowed_intents = [] if set(allowed) == set(INTENT_LABELS) else sorted(allowed)
            instance.business_hours = {"time_zone": zone, "weekly": weekly} if weekly else {}
        return data

    def save(self, commit: bool = True) -> BotSettings:
        settings_row = super().save(commit=commit)
        inbox = settings_row.inbox
        # The inbox page's "the bot answers first" shows the same switch.
        config = dict(inbox.config or {})
        config["bot_enabled"] = settings_row.enabled
        inbox.config = config
        if commit:
            inbox.save(update_fields=["config"])
        return settings_row
