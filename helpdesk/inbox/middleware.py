"""The signed-in agent's own language rules the interface; the browser's (Accept-Language,
already chosen by LocaleMiddleware) is the fallback for everyone else. The agent's own time
zone, when set, rules the dates shown; else the workspace's TIME_ZONE."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from helpdesk.accounts.timezones import zone_or_none


class AgentLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        profile = getattr(user, "agent_profile", None) if user and user.is_authenticated else None
        zone = zone_or_none(getattr(profile, "time_zone", ""))
        if zone is not None:
            timezone.activate(zone)
        else:
            timezone.deactivate()
        language = getattr(profile, "language", "")
        if language and language in dict(settings.LANGUAGES):
            translation.activate(language)
            request.LANGUAGE_CODE = language
            response = self.get_response(request)
            response.headers["Content-Language"] = language
            return response
        return self.get_response(request)
