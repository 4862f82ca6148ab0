"""What every workspace view shares: the agent request, the staff check, and loading a
ticket the agent may see (an id the user may not see is a 404)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from helpdesk.tickets.models import (
    Ticket,
)
from helpdesk.tickets.selectors import (
    is_staff_member,
    tickets_visible_to,
)


class AgentRequest(HttpRequest):
    """The request a ``staff_required`` view gets: its user is signed in and a staff member,
    never AnonymousUser."""

    user: User


def staff_required(view):
    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_staff_member(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _visible_ticket(request: AgentRequest, pk: int) -> Ticket:
    return get_object_or_404(
        tickets_visible_to(request.user).select_related(
            "contact", "inbox", "order", "assignee", "team"
        ),
        pk=pk,
    )


def _agents():
    return (
        get_user_model()
        .objects.filter(is_active=True, agent_profile__isnull=False)
        .select_related("agent_profile")
        .order_by("username")
    )


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")
