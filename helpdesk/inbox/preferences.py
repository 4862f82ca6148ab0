"""The agent's own preferences, kept on their profile (not a cookie): the same on every
browser they sign in from."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from helpdesk.accounts.models import AgentProfile
from helpdesk.accounts.timezones import zone_names, zone_or_none


@login_required
@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(_("Unknown language."))
    AgentProfile.objects.filter(user_id=request.user.pk or 0).update(language=language)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "/"
    response = redirect(back)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
    return response


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """The agent's language and time zone: every date of the workspace is shown in that zone."""
    agent = AgentProfile.objects.filter(user_id=request.user.pk or 0).first()
    if agent is None:
        return HttpResponseBadRequest(_("Only support staff have a profile here."))
    errors: dict[str, str] = {}
    if request.method == "POST":
        language = request.POST.get("language", "")
        zone = request.POST.get("time_zone", "").strip()
        if language not in dict(settings.LANGUAGES):
            errors["language"] = _("Unknown language.")
        if zone and zone_or_none(zone) is None:
            errors["time_zone"] = _("Unknown time zone: %(zone)s.") % {"zone": zone[:64]}
        if not errors:
            agent.language, agent.time_zone = language, zone
            agent.save(update_fields=["language", "time_zone"])
            response = redirect("inbox:profile")
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
            return response
    context = {
        "agent": agent,
        "zones": zone_names(),
        "default_zone": settings.TIME_ZONE,
        "now": timezone.now(),
        "errors": errors,
        "chosen_zone": request.POST.get("time_zone", agent.time_zone)
        if errors
        else agent.time_zone,
    }
    return render(request, "inbox/profile.html", context, status=400 if errors else 200)
