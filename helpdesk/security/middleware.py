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


def _origin(url: str) -> str:
    """``scheme://host[:port]`` with the default port left out, lower-cased."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return ""
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    default = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


class SameOriginWebSocket:
    """ASGI middleware: a staff WebSocket opens only from the helpdesk's own pages.

    The Origin must name this very server (scheme, host *and port*): the Host the browser
    connected to, when that host is allowed, or PUBLIC_URL, or one of CSRF_TRUSTED_ORIGINS.
    Channels' AllowedHostsOriginValidator compares host names only, so a page served by any
    other program on the same host (another port) could open an agent's socket with their
    session cookie.
    """

    def __init__(self, app) -> None:
        self.app = app

    def allowed(self, scope) -> bool:
        from django.http.request import split_domain_port, validate_host

        headers = dict(scope.get("headers", []))
        origin = _origin(headers.get(b"origin", b"").decode("latin-1"))
        if not origin:
            return False
        trusted = {_origin(settings.PUBLIC_URL), *map(_origin, settings.CSRF_TRUSTED_ORIGINS)}
        if origin in trusted:
            return True
        host = headers.get(b"host", b"").decode("latin-1")
        domain, _port = split_domain_port(host)
        if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
            return False
        scheme = "https" if scope.get("scheme") in {"wss", "https"} else "http"
        secure = _origin(f"https://{host}")
        return origin in {_origin(f"{scheme}://{host}"), secure}

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not self.allowed(scope):
            from channels.security.websocket import WebsocketDenier

            denier = WebsocketDenier()
            return await denier(scope, receive, send)
        return await self.app(scope, receive, send)
