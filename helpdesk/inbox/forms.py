from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from helpdesk.automations.engine import ACTIONS, FIELDS, OPS, rule_validate
from helpdesk.automations.models import Rule
from helpdesk.tickets.models import Priority, TicketStatus


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Reply"),
        widget=forms.Textarea(attrs={"rows": 5, "id": "reply-text"}),
        max_length=20000,
        required=False,
    )
    # An approved template (WhatsApp outside its 24-hour window) instead of free text.
    template = forms.CharField(label=_("Approved template"), required=False, max_length=200)
    internal = forms.BooleanField(label=_("Internal note"), required=False)
    identity = forms.TypedChoiceField(
        label=_("Send via"), coerce=int, required=False, empty_value=None
    )
    then_status = forms.ChoiceField(
        label=_("Then set status"),
        required=False,
        choices=[("", _("(unchanged)")), *TicketStatus.choices],
    )
    # The form metaclass moves declared fields into ``base_fields``, so this never shadows
    # ``BaseForm.files`` (the uploaded files) at runtime; the stubs cannot see that.
    files = MultipleFileField(label=_("Attachments"), required=False)  # type: ignore[assignment]

    def __init__(self, *args, identities=(), default_identity=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["identity"].choices = [
            (i.pk, f"{i.get_kind_display()}: {i.address}") for i in identities
        ]
        if default_identity is not None:
            self.fields["identity"].initial = default_identity.pk

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("text") or "").strip() and not cleaned.get("template"):
            self.add_error("text", _("Write a reply (or choose an approved template)."))
        if cleaned.get("internal") and cleaned.get("template"):
            self.add_error("template", _("An internal note cannot be a template."))
        return cleaned

    def clean_files(self):
        files = self.cleaned_data.get("files") or []
        limit = settings.HELPDESK_MAX_ATTACHMENT_BYTES
        for item in files:
            if item.size > limit:
                raise ValidationError(
                    _("%(name)s is larger than %(limit)s."),
                    params={"name": item.name, "limit": filesizeformat(limit)},
                )
        return files


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=TicketStatus.choices)


class PriorityForm(forms.Form):
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int)


class RuleForm(forms.ModelForm):
    class Meta:
        model = Rule
        fields = ["name", "active", "position", "trigger", "match"]


class ConditionForm(forms.Form):
    field = forms.ChoiceField(
        label=_("Field"),
        required=False,
        choices=[("", "—"), *((k, v[0]) for k, v in FIELDS.items())],
    )
    op = forms.ChoiceField(label=_("Operator"), required=False, choices=[("", "—"), *OPS.items()])
    value = forms.CharField(label=_("Value"), required=False, max_length=500)


class ActionForm(forms.Form):
    type = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", "—"), *((k, v[0]) for k, v in ACTIONS.items())],
    )
    value = forms.CharField(label=_("Value"), required=False, max_length=2000)


ConditionFormSet = forms.formset_factory(ConditionForm, extra=3, max_num=20)
ActionFormSet = forms.formset_factory(ActionForm, extra=2, max_num=20)


def rule_parts_from(
    conditions: forms.BaseFormSet[ConditionForm],
    actions: forms.BaseFormSet[ActionForm],
    convert: Callable[[list, list], tuple[list, list]] | None = None,
) -> tuple[list, list]:
    """The JSON lists of a rule from its two formsets (blank rows skipped), validated."""
    conds = [
        {
            "field": f.cleaned_data["field"],
            "op": f.cleaned_data["op"],
            "value": f.cleaned_data["value"],
        }
        for f in conditions.forms
        if f.cleaned_data.get("field")
    ]
    acts = [
        {"type": f.cleaned_data["type"], "value": f.cleaned_data["value"]}
        for f in actions.forms
        if f.cleaned_data.get("type")
    ]
    if convert is not None:
        conds, acts = convert(conds, acts)
    rule_validate(conditions=conds, actions=acts)
    return conds, acts
