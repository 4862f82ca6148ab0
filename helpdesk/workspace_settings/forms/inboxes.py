"""The inbox form: the inbox, the settings of its kind, the addresses that land in it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from helpdesk.accounts.models import Team
from helpdesk.tickets.models import Inbox, InboxAddress, InboxKind, inbox_address_key


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
    other_addresses = forms.CharField(
        label=_("other addresses"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One per line: more email addresses (or Twilio numbers, E.164) whose messages "
            "land in this inbox. Replies go from the address above."
        ),
    )
    bot_enabled = forms.BooleanField(label=_("the bot answers first"), required=False)

    KIND_FIELDS = {
        InboxKind.EMAIL: ["address", "display_name", "other_addresses"],
        InboxKind.SMS: ["sender", "other_addresses"],
        InboxKind.WHATSAPP: ["sender", "other_addresses"],
        InboxKind.TELEGRAM: ["bot_username"],
        InboxKind.WEBCHAT: ["allowed_origins", "title", "greeting", "color"],
    }
    CONFIG_KEYS = {"sender": "from"}

    class Meta:
        model = Inbox
        fields = ["name", "enabled", "team", "business_calendar"]

    def __init__(self, *args, bot_available: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        inbox = self.instance
        team_field: Any = self.fields["team"]
        team_field.queryset = Team.objects.filter(Q(active=True) | Q(pk=inbox.team_id))
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
            "other_addresses",
            "bot_enabled",
        ]:
            if name not in wanted:
                del self.fields[name]
                continue
            if name == "other_addresses":
                self.fields[name].initial = "\n".join(self._other_addresses())
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
            if name == "other_addresses":
                continue
            value = data.get(name)
            if name == "allowed_origins":
                value = _lines(value or "")
            if name == "bot_username":
                value = (value or "").lstrip("@")
            config[self.CONFIG_KEYS.get(name, name)] = value
        self.instance.config = config
        self.instance.reopen_window = timedelta(hours=data["reopen_hours"])
        if "other_addresses" in self.fields:
            self._clean_addresses(config)
        return data

    # --- the addresses that land in this inbox -------------------------------------------
    def _primary(self, config: dict) -> str:
        kind = self.instance.kind
        value = config.get("address" if kind == InboxKind.EMAIL else "from", "")
        return inbox_address_key(kind=kind, address=value) if value else ""

    def _other_addresses(self) -> list[str]:
        if self.instance.pk is None:
            return []
        primary = self._primary(self.instance.config or {})
        keys = self.instance.addresses.exclude(address=primary).values_list("address", flat=True)
        # Shown as typed: a WhatsApp number without its "whatsapp:" prefix.
        return [key.removeprefix("whatsapp:") for key in keys]

    def _clean_addresses(self, config: dict) -> None:
        kind = self.instance.kind
        keys: list[str] = []
        for line in _lines(self.cleaned_data.get("other_addresses", "")):
            if kind == InboxKind.EMAIL:
                try:
                    validate_email(line)
                except ValidationError:
                    self.add_error(
                        "other_addresses",
                        _("%(value)s is not an email address.") % {"value": line},
                    )
                    continue
            elif not re.fullmatch(r"\+[1-9]\d{6,14}", line.removeprefix("whatsapp:")):
                self.add_error(
                    "other_addresses",
                    _("%(value)s is not a number like +33612345678.") % {"value": line},
                )
                continue
            keys.append(inbox_address_key(kind=kind, address=line))
        primary = self._primary(config)
        wanted = list(dict.fromkeys(([primary] if primary else []) + keys))
        taken = InboxAddress.objects.filter(address__in=wanted)
        if self.instance.pk is not None:
            taken = taken.exclude(inbox=self.instance)
        for row in taken.select_related("inbox"):
            self.add_error(
                None,
                _("%(address)s already lands in the inbox %(inbox)s.")
                % {"address": row.address.removeprefix("whatsapp:"), "inbox": row.inbox.name},
            )
        self.addresses = wanted

    def save(self, commit: bool = True) -> Inbox:
        with transaction.atomic():
            inbox = super().save(commit=commit)
            wanted = getattr(self, "addresses", None)
            if commit and wanted is not None:
                inbox.addresses.exclude(address__in=wanted).delete()
                have = set(inbox.addresses.values_list("address", flat=True))
                InboxAddress.objects.bulk_create(
                    InboxAddress(inbox=inbox, address=key) for key in wanted if key not in have
                )
        return inbox

    def _update_errors(self, errors: ValidationError) -> None:
        # The channel adapter's refusal of the configuration is about the whole form.
        if hasattr(errors, "error_dict") and "config" in errors.error_dict:
            errors.error_dict.setdefault(NON_FIELD_ERRORS, []).extend(
                errors.error_dict.pop("config")
            )
        super()._update_errors(errors)  # type: ignore[misc]
