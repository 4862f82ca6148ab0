"""Middleware that keeps malformed requests and debug pages away from the outside world."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _
from django.views import defaults


def client_is_loopback(request: HttpRequest) -> bool:
    """Whether the client connected from this machine (127.0.0.0/8 or ::1)."""
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


class RefuseNulMiddleware:
    """A NUL byte in the address is refused with 400 before any view or database sees it.

    PostgreSQL cannot hold NUL in text: a webhook key or filter carrying one would otherwise
    fail deep in a query with a 500.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or b"\x00" in unquote_to_bytes(query.replace("+", " ")):
            return HttpResponseBadRequest(
                _("Bad request: the address contains a NUL byte."),
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


class LoopbackDebugMiddleware:
    """Debug pages (tracebacks, settings, URL lists) are shown only to loopback clients.

    With DEBUG on, a client elsewhere gets the ordinary 404 and 500 pages instead of Django's
    technical ones, which show settings and environment values.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not settings.DEBUG or client_is_loopback(request):
            return response
        if response.status_code == 500:
            return defaults.server_error(request)
        content_type = response.get("Content-Type", "")
        if response.status_code == 404 and content_type.startswith("text/html"):
            # Under DEBUG every framework 404 page is the technical one (it lists the URLs).
            return defaults.page_not_found(request, Exception())
        return response
