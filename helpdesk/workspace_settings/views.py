"""The settings pages for managers: SLA and business hours, canned responses, teams and
agents, inboxes. Every save is a validated form and a line in the history."""

from __future__ import annotations

import importlib
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from helpdesk.accounts.models import AgentProfile, Team
from helpdesk.inbox.models import CannedResponse
from helpdesk.sla.models import BusinessCalendar, SlaPolicy
from helpdesk.tickets.models import Inbox, InboxKind
from helpdesk.tickets.selectors import sees_everything
from helpdesk.workspace_settings.forms import (
    AgentEditForm,
    AgentInviteForm,
    CalendarForm,
    CannedResponseForm,
    InboxForm,
    SlaPolicyForm,
    TeamForm,
)
from helpdesk.workspace_settings.models import SettingsChange
from helpdesk.workspace_settings.services import (
    agent_invite,
    form_changes,
    settings_change_record,
    settings_delete,
    settings_form_save,
)


def manager_required(view):
    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not sees_everything(request.user):
            raise PermissionDenied(_("Settings are for managers."))
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _form_page(request, form, *, title: str, back: str, extra: dict | None = None, status=200):
    return render(
        request,
        "workspace_settings/form.html",
        {"form": form, "title": title, "back": back, **(extra or {})},
        status=status,
    )


def _model_form(request, *, form_class, instance, section, title, back, extra=None):
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST":
        if form.is_valid():
            settings_form_save(actor=request.user, form=form, section=section)
            messages.success(request, _("Saved."))
            return redirect(back)
        return _form_page(request, form, title=title, back=back, extra=extra, status=400)
    return _form_page(request, form, title=title, back=back, extra=extra)


@manager_required
def index(request: HttpRequest) -> HttpResponse:
    changes = SettingsChange.objects.select_related("actor")[:50]
    return render(request, "workspace_settings/index.html", {"changes": changes})


@manager_required
def sla(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "workspace_settings/sla.html",
        {
            "policies": SlaPolicy.objects.select_related("calendar"),
            "calendars": BusinessCalendar.objects.prefetch_related("periods", "holidays"),
        },
    )


@manager_required
def policy_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    policy = get_object_or_404(SlaPolicy, pk=pk) if pk else None
    return _model_form(
        request,
        form_class=SlaPolicyForm,
        instance=policy,
        section="sla",
        title=_("SLA policy"),
        back="workspace_settings:sla",
    )


@manager_required
def calendar_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    calendar = get_object_or_404(BusinessCalendar, pk=pk) if pk else None
    return _model_form(
        request,
        form_class=CalendarForm,
        instance=calendar,
        section="calendars",
        title=_("Business calendar"),
        back="workspace_settings:sla",
    )


@manager_required
def canned(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "workspace_settings/canned.html",
        {"responses": CannedResponse.objects.select_related("team").order_by("language", "name")},
    )


@manager_required
def canned_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    response = get_object_or_404(CannedResponse, pk=pk) if pk else None
    return _model_form(
        request,
        form_class=CannedResponseForm,
        instance=response,
        section="canned",
        title=_("Canned response"),
        back="workspace_settings:canned",
    )


@require_POST
@manager_required
def canned_delete(request: HttpRequest, pk: int) -> HttpResponse:
    settings_delete(
        actor=request.user, obj=get_object_or_404(CannedResponse, pk=pk), section="canned"
    )
    messages.success(request, _("Deleted."))
    return redirect("workspace_settings:canned")


@manager_required
def agents(request: HttpRequest) -> HttpResponse:
    profiles = (
        AgentProfile.objects.select_related("user")
        .prefetch_related("teams")
        .order_by("-user__is_active", "user__username")
    )
    return render(
        request,
        "workspace_settings/agents.html",
        {"profiles": profiles, "teams": Team.objects.order_by("-active", "name")},
    )


@manager_required
def team_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    team = get_object_or_404(Team, pk=pk) if pk else None
    return _model_form(
        request,
        form_class=TeamForm,
        instance=team,
        section="teams",
        title=_("Team"),
        back="workspace_settings:agents",
    )


@manager_required
def agent_invite_view(request: HttpRequest) -> HttpResponse:
    form = AgentInviteForm(request.POST or None, actor=request.user)
    if request.method == "POST":
        if form.is_valid():
            user = agent_invite(actor=request.user, data=form.cleaned_data)
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": user.email})
            return redirect("workspace_settings:agents")
        return _form_page(
            request, form, title=_("Invite an agent"), back="workspace_settings:agents", status=400
        )
    return _form_page(request, form, title=_("Invite an agent"), back="workspace_settings:agents")


@manager_required
def agent_edit(request: HttpRequest, pk: int) -> HttpResponse:
    profile = get_object_or_404(AgentProfile.objects.select_related("user"), user_id=pk)
    form = AgentEditForm(request.POST or None, actor=request.user, profile=profile)
    title = _("Agent %(name)s") % {"name": profile.name}
    if request.method == "POST":
        if form.is_valid():
            changes = form_changes(form)
            form.save()
            if changes:
                settings_change_record(
                    actor=request.user,
                    section="agents",
                    action="changed",
                    target=profile.user.get_username(),
                    changes=changes,
                )
            messages.success(request, _("Saved."))
            return redirect("workspace_settings:agents")
        return _form_page(request, form, title=title, back="workspace_settings:agents", status=400)
    return _form_page(request, form, title=title, back="workspace_settings:agents")


@manager_required
def inboxes(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "workspace_settings/inboxes.html",
        {"inboxes": Inbox.objects.select_related("team").prefetch_related("addresses")},
    )


def _bot_available() -> bool:
    try:
        conversation = importlib.import_module("helpdesk.conversation")
    except ImportError:
        return False
    return bool(conversation.handler_registered("bot"))


@manager_required
def inbox_new(request: HttpRequest) -> HttpResponse:
    """Which kind of inbox to add: each kind's form follows."""
    return render(request, "workspace_settings/inbox_new.html", {"kinds": InboxKind.choices})


@manager_required
def inbox_edit(request: HttpRequest, pk: int | None = None, kind: str = "") -> HttpResponse:
    if pk is None:
        if kind not in InboxKind.values:
            raise Http404
        inbox = Inbox(kind=kind)
    else:
        inbox = get_object_or_404(Inbox, pk=pk)
    form = InboxForm(request.POST or None, instance=inbox, bot_available=_bot_available())
    extra: dict[str, Any] = {"inbox": inbox}
    if inbox.pk and inbox.kind == InboxKind.WEBCHAT:
        from django.conf import settings

        extra["embed"] = (
            f'<script src="{settings.PUBLIC_URL}/widget/{inbox.webhook_key}/embed.js" '
            "async></script>"
        )
    title = (
        _("Inbox %(name)s") % {"name": inbox.name}
        if inbox.pk
        else _("New inbox: %(kind)s") % {"kind": inbox.get_kind_display()}
    )
    if request.method == "POST":
        if form.is_valid():
            settings_form_save(actor=request.user, form=form, section="inboxes")
            messages.success(request, _("Saved."))
            return redirect("workspace_settings:inboxes")
        return _form_page(
            request, form, title=title, back="workspace_settings:inboxes", extra=extra, status=400
        )
    return _form_page(request, form, title=title, back="workspace_settings:inboxes", extra=extra)


class WelcomeView(auth_views.PasswordResetConfirmView):
    """An invited agent chooses a password through the signed link of the invitation."""

    template_name = "workspace_settings/welcome.html"
    success_url = reverse_lazy("login")
    post_reset_login = False


welcome = WelcomeView.as_view()
