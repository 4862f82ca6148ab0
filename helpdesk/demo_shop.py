"""The demo shop's page (embedded mode only): a product, an order-tracking form and the chat
widget, as a shop would embed it. It lets a newcomer try the widget against the demo data."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from helpdesk.tickets.models import Inbox, InboxKind
from orders_link.models import Order


def public_origin() -> str:
    """The scheme, host and port of PUBLIC_URL: the origin a browser sends from its pages."""
    parts = urlsplit(settings.PUBLIC_URL)
    return f"{parts.scheme}://{parts.netloc}".lower()


def demo_origins() -> list[str]:
    """The origins the demo's widget accepts: PUBLIC_URL's, and its loopback twin (the same
    port on localhost or 127.0.0.1), since a newcomer may type either."""
    origin = public_origin()
    parts = urlsplit(origin)
    origins = [origin]
    twins = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}
    if parts.hostname in twins:
        port = f":{parts.port}" if parts.port else ""
        origins.append(f"{parts.scheme}://{twins[parts.hostname]}{port}")
    return origins


def _demo_inbox() -> Inbox | None:
    origin = public_origin()
    for inbox in Inbox.objects.filter(kind=InboxKind.WEBCHAT, enabled=True).order_by("pk"):
        if origin in inbox.config.get("allowed_origins", []):
            return inbox
    return None


@require_GET
def demo_shop(request: HttpRequest) -> HttpResponse:
    if settings.PRODUCTION:
        raise Http404
    number = request.GET.get("order", "").strip()[:64]
    email = request.GET.get("email", "").strip()[:254]
    order = None
    looked_up = bool(number and email)
    if looked_up:
        # The order only shows to someone who knows both its number and its email address.
        candidates = [number] if number.startswith("#") else [number, f"#{number}"]
        order = (
            Order.objects.filter(number__in=candidates, email__iexact=email)
            .prefetch_related("shipments")
            .first()
        )
    inbox = _demo_inbox()
    return render(
        request,
        "demo/shop.html",
        {
            "inbox": inbox,
            "public_url": settings.PUBLIC_URL,
            "order": order,
            "looked_up": looked_up,
            "number": number,
            "email": email,
        },
    )
