from django import forms
from django.contrib import admin

from helpdesk.automations.engine import rule_validate
from helpdesk.automations.models import Rule, RuleFailure


class RuleAdminForm(forms.ModelForm):
    class Meta:
        model = Rule
        fields = ["name", "active", "position", "trigger", "match", "conditions", "actions"]

    def clean(self):
        cleaned = super().clean()
        rule_validate(conditions=cleaned.get("conditions"), actions=cleaned.get("actions"))
        return cleaned


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    form = RuleAdminForm
    list_display = ["name", "position", "trigger", "active"]
    list_editable = ["position", "active"]


@admin.register(RuleFailure)
class RuleFailureAdmin(admin.ModelAdmin):
    list_display = ["created_at", "rule_name", "ticket", "trigger", "error"]
    list_filter = ["trigger", "rule_name"]
    readonly_fields = ["created_at", "rule", "rule_name", "ticket", "trigger", "error", "traceback"]

    def has_add_permission(self, request) -> bool:
        return False
