"""Managers edit automation rules here."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from helpdesk.automations.engine import ACTIONS, FIELDS, OPS
from helpdesk.automations.models import Rule
from helpdesk.inbox.forms import ActionFormSet, ConditionFormSet, RuleForm, rule_parts_from
from helpdesk.inbox.rule_names import (
    ACTION_NAMES,
    CONDITION_NAMES,
    rule_in_words,
    rule_parts_for_editor,
    rule_parts_from_names,
    vocabularies,
)
from helpdesk.tickets.selectors import sees_everything


def manager_required(view):
    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not sees_everything(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


@manager_required
def rule_list(request: HttpRequest) -> HttpResponse:
    rules = list(Rule.objects.order_by("position", "id"))
    for rule in rules:
        # Read by the list like properties of the rule: its conditions and actions in words.
        setattr(rule, "in_words", rule_in_words(rule.conditions, rule.actions))  # noqa: B010
    return render(request, "inbox/rules.html", {"rules": rules})


@manager_required
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    rule = get_object_or_404(Rule, pk=pk) if pk else None
    if request.method == "POST":
        form = RuleForm(request.POST, instance=rule)
        conditions = ConditionFormSet(request.POST, prefix="c")
        actions = ActionFormSet(request.POST, prefix="a")
        if form.is_valid() and conditions.is_valid() and actions.is_valid():
            try:
                conds, acts = rule_parts_from(conditions, actions, convert=rule_parts_from_names)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                saved = form.save(commit=False)
                saved.conditions, saved.actions = conds, acts
                saved.save()
                messages.success(request, _("Rule saved."))
                return redirect("inbox:rule_list")
        status = 400
    else:
        form = RuleForm(instance=rule)
        named = rule_parts_for_editor(rule.conditions, rule.actions) if rule else (None, None)
        conditions = ConditionFormSet(prefix="c", initial=named[0])
        actions = ActionFormSet(prefix="a", initial=named[1])
        status = 200
    return render(
        request,
        "inbox/rule_form.html",
        {
            "form": form,
            "rule": rule,
            "conditions": conditions,
            "actions": actions,
            "fields": FIELDS,
            "ops": OPS,
            "action_kinds": ACTIONS,
            "vocabularies": vocabularies(),
            # Which suggestion list a row's value takes, by its field or action.
            "name_lists": {**CONDITION_NAMES, **ACTION_NAMES},
        },
        status=status,
    )


@manager_required
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        raise PermissionDenied
    get_object_or_404(Rule, pk=pk).delete()
    return redirect("inbox:rule_list")
