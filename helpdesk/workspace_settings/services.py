"""Writes of the settings pages: each save is validated by its form and recorded in the
history with who changed what."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from helpdesk.accounts.models import AgentProfile
from helpdesk.workspace_settings.models import SettingsChange


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, models.QuerySet | list | tuple | set):
        return ", ".join(sorted(str(v) for v in value))
    return str(value)


def _choice_label(labels: dict[Any, Any], value: Any) -> Any:
    if isinstance(value, list | tuple | set):  # a multiple choice
        return [labels.get(v, v) for v in value]
    return labels.get(value, value)


def form_changes(form: forms.BaseForm) -> dict[str, list[str]]:
    """{label: [before, after]} of the fields the form changed."""
    changes = {}
    for name in form.changed_data:
        field = form.fields[name]
        if isinstance(field.widget, forms.PasswordInput):
            continue
        before = form.get_initial_for_field(field, name)
        if isinstance(field, forms.ModelChoiceField | forms.ModelMultipleChoiceField):
            queryset: Any = field.queryset
            if isinstance(before, list | tuple | set | models.QuerySet):
                before = list(queryset.filter(pk__in=[getattr(b, "pk", b) for b in before]))
            elif before not in (None, ""):
                before = queryset.filter(pk=getattr(before, "pk", before)).first()
        after = form.cleaned_data.get(name)
        if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
            labels: dict[Any, Any] = dict(field.choices)  # type: ignore[arg-type]
            before, after = _choice_label(labels, before), _choice_label(labels, after)
        changes[str(field.label or name)] = [_text(before), _text(after)]
    return changes


def settings_change_record(
    *, actor, section: str, action: str, target: str, changes: dict | None = None
) -> SettingsChange:
    return SettingsChange.objects.create(
        actor=actor, section=section, action=action, target=str(target)[:200], changes=changes or {}
    )


def settings_form_save(*, actor, form: forms.BaseForm, section: str) -> Any:
    """Save a valid form (a ModelForm or one with ``save()``) and record what changed."""
    creating = getattr(getattr(form, "instance", None), "pk", None) is None
    changes = form_changes(form)
    with transaction.atomic():
        obj = form.save()  # type: ignore[attr-defined]
        if changes or creating:
            settings_change_record(
                actor=actor,
                section=section,
                action="created" if creating else "changed",
                target=str(obj),
                changes=changes,
            )
    return obj


def settings_delete(*, actor, obj: models.Model, section: str) -> None:
    with transaction.atomic():
        label = str(obj)
        obj.delete()
        settings_change_record(actor=actor, section=section, action="deleted", target=label)


def agent_invite(*, actor, data: dict) -> Any:
    """A new staff member without a password, and an email with a link to choose one."""
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.create(
            username=data["username"],
            email=data["email"],
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            is_staff=data["role"] == "admin",
            is_superuser=data["role"] == "admin",
        )
        user.set_unusable_password()
        user.save()
        profile = AgentProfile.objects.create(
            user=user,
            role=data["role"],
            language=data["language"],
            max_open_tickets=data["max_open_tickets"],
        )
        profile.teams.set(data.get("teams") or [])
        settings_change_record(
            actor=actor,
            section="agents",
            action="invited",
            target=user.get_username(),
            changes={"role": ["", data["role"]], "email": ["", data["email"]]},
        )
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        link = settings.PUBLIC_URL + reverse("workspace_settings:welcome", args=[uid, token])
        with translation.override(data["language"]):
            subject = render_to_string("workspace_settings/invite_subject.txt").strip()
            body = render_to_string(
                "workspace_settings/invite.txt",
                {"user": user, "link": link, "inviter": actor},
            )
        transaction.on_commit(
            lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        )
    return user
