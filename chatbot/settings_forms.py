"""The bot's section of the workspace settings: per inbox, on/off, the questions it may
answer, and the business calendar whose hours it tells customers (the inbox's own)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from chatbot.labels import INTENT_LABELS as ALL_INTENT_LABELS
from chatbot.models import BotSettings
from helpdesk.sla.models import BusinessCalendar

# The questions an inbox may leave to agents. Greetings, thanks, asking for a person,
# complaints and what the bot does not understand are always handled (a person, at worst).
ANSWERABLE_INTENTS = (
    "order_status",
    "delivery_time",
    "delivery_options",
    "cancel_order",
    "change_order",
    "return_refund",
    "refund_status",
    "payment",
    "invoice",
    "account",
)
INTENT_LABELS = {
    name: label for name, label in ALL_INTENT_LABELS.items() if name in ANSWERABLE_INTENTS
}


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
    calendar = forms.ModelChoiceField(
        label=_("business hours"),
        queryset=BusinessCalendar.objects.order_by("name"),
        required=False,
        empty_label=_("always (no calendar)"),
        help_text=_(
            "The inbox's business calendar, holidays included: told to customers as the bot "
            'hands over ("a person will answer tomorrow from 9:00"). Calendars are edited '
            "under SLA."
        ),
    )

    class Meta:
        model = BotSettings
        fields = ["enabled"]
        labels = {"enabled": _("the bot answers this inbox first")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance: BotSettings = self.instance
        allowed = [i for i in (instance.allowed_intents or []) if i in INTENT_LABELS]
        self.fields["allowed"].initial = allowed or list(INTENT_LABELS)
        self.fields["calendar"].initial = instance.inbox.business_calendar_id

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        allowed = data.get("allowed") or []
        if data.get("enabled") and not allowed:
            self.add_error(
                "allowed", _("Choose at least one question the bot may answer, or turn it off.")
            )
        if not self.errors:
            instance: BotSettings = self.instance
            instance.allowed_intents = [] if set(allowed) == set(INTENT_LABELS) else sorted(allowed)
        return data

    def save(self, commit: bool = True) -> BotSettings:
        settings_row = super().save(commit=commit)
        inbox = settings_row.inbox
        # The inbox page's "the bot answers first" shows the same switch.
        config = dict(inbox.config or {})
        config["bot_enabled"] = settings_row.enabled
        inbox.config = config
        inbox.business_calendar = self.cleaned_data.get("calendar")
        if commit:
            inbox.save(update_fields=["config", "business_calendar"])
        return settings_row
