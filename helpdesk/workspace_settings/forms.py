from __future__ import annotations

import itertools
import re
import zoneinfo
from datetime import date, time, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from helpdesk.accounts.models import AgentProfile, Role, Team
from helpdesk.inbox.models import CannedResponse
from helpdesk.sla.models import BusinessCalendar, Holiday, OpeningPeriod, SlaPolicy, Weekday
from helpdesk.tickets.models import Inbox, InboxKind

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


class AgentFormBase(forms.Form):
    role = forms.ChoiceField(label=_("role"), choices=Role.choices)
    teams = forms.ModelMultipleChoiceField(
        label=_("teams"), queryset=Team.objects.all(), required=False
    )
    language = forms.ChoiceField(label=_("language"), choices=settings.LANGUAGES)
    max_open_tickets = forms.IntegerField(
        label=_("maximum open tickets"), min_value=1, max_value=1000, initial=25
    )

    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor

    def _actor_is_admin(self) -> bool:
        profile = getattr(self.actor, "agent_profile", None)
        return self.actor.is_superuser or (profile is not None and profile.role == Role.ADMIN)

    def clean_role(self) -> str:
        role = self.cleaned_data["role"]
        if role == Role.ADMIN and not self._actor_is_admin():
            raise ValidationError(_("Only an administrator can make an administrator."))
        return role


class AgentInviteForm(AgentFormBase):
    email = forms.EmailField(label=_("email address"))
    username = forms.RegexField(label=_("username"), regex=r"^[\w.@+-]{2,150}$", max_length=150)
    first_name = forms.CharField(label=_("first name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("last name"), max_length=150, required=False)

    field_order = ["email", "username", "first_name", "last_name"]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise ValidationError(_("This username is taken."))
        return username

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].lower()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise ValidationError(_("Someone already has this email address."))
        return email


class AgentEditForm(AgentFormBase):
    available = forms.BooleanField(label=_("available for assignment"), required=False)
    active = forms.BooleanField(
        label=_("active"),
        required=False,
        help_text=_("Clear to deactivate: they can no longer log in."),
    )

    def __init__(self, *args, profile: AgentProfile, **kwargs) -> None:
        self.profile = profile
        kwargs.setdefault(
            "initial",
            {
                "role": profile.role,
                "teams": list(profile.teams.all()),
                "language": profile.language,
                "max_open_tickets": profile.max_open_tickets,
                "available": profile.available,
                "active": profile.user.is_active,
            },
        )
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.profile.role == Role.ADMIN and not self._actor_is_admin():
            raise ValidationError(_("Only an administrator can change an administrator."))
        if self.profile.user_id == self.actor.pk and not data.get("active", True):
            self.add_error("active", _("You cannot deactivate yourself."))
        return data

    def save(self) -> AgentProfile:
        data, profile, user = self.cleaned_data, self.profile, self.profile.user
        profile.role = data["role"]
        profile.language = data["language"]
        profile.max_open_tickets = data["max_open_tickets"]
        profile.available = data["available"]
        profile.save()
        profile.teams.set(data["teams"])
        user.is_active = data["active"]
        user.is_staff = user.is_superuser = data["role"] == Role.ADMIN or user.is_superuser
        user.save(update_fields=["is_active", "is_staff", "is_superuser"])
        return profile


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


class InboxForm(forms.ModelForm):
    """The inbox and the settings of its kind, validated by its channel adapter."""

    reopen_hours = forms.IntegerField(
        label=_("reopen window (hours)"), min_value=0, max_value=24 * 365
    )
    address = forms.EmailField(label=_("email address"), required=False)
    display_name = forms.CharField(label=_("display name"), max_length=100, required=False)
    sender = forms.RegexField(
        label=_("Twilio number (E.164)"), regex=r"^\+[1-9]\d{6,14}$", required=False
    )
    bot_username = forms.RegexField(
        label=_("Telegram bot username"), regex=r"^@?\w{5,32}$", required=False
    )
    allowed_origins = forms.CharField(
        label=_("allowed origins"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line, like https://shop.example"),
    )
    title = forms.CharField(label=_("widget title"), max_length=60, required=False)
    greeting = forms.CharField(label=_("greeting"), max_length=300, required=False)
    color = forms.RegexField(
        label=_("colour"),
        regex=r"^#[0-9a-fA-F]{6}$",
        required=False,
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    bot_enabled = forms.BooleanField(label=_("the bot answers first"), required=False)

    KIND_FIELDS = {
        InboxKind.EMAIL: ["address", "display_name"],
        InboxKind.SMS: ["sender"],
        InboxKind.WHATSAPP: ["sender"],
        InboxKind.TELEGRAM: ["bot_username"],
        InboxKind.WEBCHAT: ["allowed_origins", "title", "greeting", "color"],
    }
    CONFIG_KEYS = {"sender": "from"}

    class Meta:
        model = Inbox
        fields = ["name", "enabled", "team"]

    def __init__(self, *args, bot_available: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        inbox = self.instance
        config = inbox.config or {}
        self.fields["reopen_hours"].initial = int(inbox.reopen_window.total_seconds() // 3600)
        wanted = set(self.KIND_FIELDS.get(InboxKind(inbox.kind), []))
        if bot_available:
            wanted.add("bot_enabled")
        for name in [
            "address",
            "display_name",
            "sender",
            "bot_username",
            "allowed_origins",
            "title",
            "greeting",
            "color",
            "bot_enabled",
        ]:
            if name not in wanted:
                del self.fields[name]
                continue
            value = config.get(self.CONFIG_KEYS.get(name, name), "")
            if name == "allowed_origins":
                value = "\n".join(value or [])
            self.fields[name].initial = value
        if "address" in self.fields:
            self.fields["address"].required = True
        if "sender" in self.fields and not config.get("messaging_service_sid"):
            self.fields["sender"].required = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        config = dict(self.instance.config or {})
        for name in self.KIND_FIELDS.get(InboxKind(self.instance.kind), []) + (
            ["bot_enabled"] if "bot_enabled" in self.fields else []
        ):
            value = data.get(name)
            if name == "allowed_origins":
                value = _lines(value or "")
            if name == "bot_username":
                value = (value or "").lstrip("@")
            config[self.CONFIG_KEYS.get(name, name)] = value
        self.instance.config = config
        self.instance.reopen_window = timedelta(hours=data["reopen_hours"])
        return data

    def _update_errors(self, errors: ValidationError) -> None:
        # The channel adapter's refusal of the configuration is about the whole form.
        if hasattr(errors, "error_dict") and "config" in errors.error_dict:
            errors.error_dict.setdefault(NON_FIELD_ERRORS, []).extend(
                errors.error_dict.pop("config")
            )
        super()._update_errors(errors)  # type: ignore[misc]
