"""Agent pages for orders: the delayed-orders list and re-linking a ticket's order."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from helpdesk.contacts.models import IdentityKind
from helpdesk.tickets.selectors import is_staff_member
from orders_link.models import DelayKind, NoticeState
from orders_link.selectors import delay_notices_visible_to


def staff_required(view):
    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_staff_member(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


@staff_required
def delayed_orders(request: HttpRequest) -> HttpResponse:
    notices = (
        delay_notices_visible_to(request.user)
        .select_related("message")
        .order_by("-detected_at", "-id")
    )
    kind = request.GET.get("kind", "")
    if kind in DelayKind.values:
        notices = notices.filter(kind=kind)
    state = request.GET.get("state", "")
    if state in NoticeState.values:
        notices = notices.filter(state=state)
    page = Paginator(notices, 50).get_page(request.GET.get("page"))
    channels = dict(IdentityKind.choices)
    for notice in page:
        # Words, not raw values: "Phone (SMS)", never "phone".
        notice.channel_label = channels.get(notice.channel, notice.channel)
    return render(
        request,
        "orders_link/delayed_orders.html",
        {
            "page": page,
            "kind": kind,
            "state": state,
            "kinds": DelayKind.choices,
            "states": NoticeState.choices,
        },
    )
