from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from helpdesk.accounts.models import Team
from helpdesk.reports.selectors.filters import ReportFilter
from helpdesk.tickets.models import Inbox, InboxKind

MAX_DAYS = 400


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        profile = getattr(obj, "agent_profile", None)
        return profile.name if profile else obj.get_username()


class ReportFilterForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.all(), required=False, empty_label=_("All teams")
    )
    agent = AgentChoiceField(
        label=_("Agent"),
        queryset=get_user_model()
        .objects.filter(agent_profile__isnull=False)
        .select_related("agent_profile")
        .order_by("username"),
        required=False,
        empty_label=_("All agents"),
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[("", _("All channels")), *InboxKind.choices],
        required=False,
    )
    inbox = forms.ModelChoiceField(
        label=_("Inbox"), queryset=Inbox.objects.all(), required=False, empty_label=_("All inboxes")
    )
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("All languages")), *settings.LANGUAGES],
        required=False,
    )

    @staticmethod
    def default_range(today: date) -> tuple[date, date]:
        return today - timedelta(days=27), today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The end of the range is before its start."))
            if (end - start).days >= MAX_DAYS:
                raise forms.ValidationError(
                    _("Choose a range of at most %(days)d days.") % {"days": MAX_DAYS}
                )
        return data

    def report_filter(self) -> ReportFilter:
        data = self.cleaned_data
        return ReportFilter(
            start=data["start"],
            end=data["end"],
            team_id=data["team"].pk if data.get("team") else None,
            agent_id=data["agent"].pk if data.get("agent") else None,
            channel=data.get("channel") or "",
            inbox_id=data["inbox"].pk if data.get("inbox") else None,
            language=data.get("language") or "",
        )
