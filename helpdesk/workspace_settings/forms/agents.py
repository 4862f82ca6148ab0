"""Forms of the teams-and-agents page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from helpdesk.accounts.models import AgentProfile, Role, Team


class AgentFormBase(forms.Form):
    role = forms.ChoiceField(label=_("role"), choices=Role.choices)
    teams = forms.ModelMultipleChoiceField(
        label=_("teams"), queryset=Team.objects.filter(active=True), required=False
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


class TeamForm(forms.ModelForm):
    """A team: its name, description, and whether it is active (a deactivated team is offered
    nowhere, while its tickets and members keep it)."""

    class Meta:
        model = Team
        fields = ["name", "description", "active"]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        slug = slugify(name)
        if not slug:
            raise ValidationError(_("Give the team a name with letters or digits."))
        others = Team.objects.filter(slug=slug)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise ValidationError(_("Another team already has this name."))
        return name

    def save(self, commit: bool = True) -> Team:
        if not self.instance.slug:
            self.instance.slug = slugify(self.cleaned_data["name"])
        return super().save(commit=commit)
