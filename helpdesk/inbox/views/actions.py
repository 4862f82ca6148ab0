"""What an agent does from the ticket page, one small function per action, dispatched from a
table; properties (status, priority, assignee, team, tags) answer JSON with an undo."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from helpdesk.accounts.models import Team
from helpdesk.contacts.models import IdentityClaim
from helpdesk.contracts import DomainError
from helpdesk.inbox.forms import PriorityForm, StatusForm
from helpdesk.inbox.views.common import (
    AgentRequest,
    _agents,
    _visible_ticket,
    _wants_json,
    staff_required,
)
from helpdesk.tickets.models import (
    Message,
    Ticket,
)
from helpdesk.tickets.selectors import (
    contacts_visible_to,
    orders_visible_to,
    tickets_visible_to,
)
from helpdesk.tickets.services import (
    contact_merge,
    ticket_assign,
    ticket_hand_over,
    ticket_link_order,
    ticket_merge,
    ticket_set_priority,
    ticket_set_status,
    ticket_set_team,
    ticket_split,
    ticket_tags_change,
)
from helpdesk.tickets.services.claims import identity_claim_confirm


def _post_pk(request: AgentRequest, name: str) -> int:
    value = request.POST.get(name, "").strip().lstrip("#")
    return int(value) if value.isdigit() else 0


def _act_status(request: AgentRequest, ticket: Ticket) -> HttpResponse | None:
    form = StatusForm(request.POST)
    if not form.is_valid():
        raise DomainError(_("Unknown status."))
    ticket_set_status(ticket=ticket, status=form.cleaned_data["status"], actor=request.user)
    return None


def _act_priority(request: AgentRequest, ticket: Ticket) -> HttpResponse | None:
    form = PriorityForm(request.POST)
    if not form.is_valid():
        raise DomainError(_("Unknown priority."))
    ticket_set_priority(ticket=ticket, priority=form.cleaned_data["priority"], actor=request.user)
    return None


def _act_assign(request: AgentRequest, ticket: Ticket) -> HttpResponse | None:
    value = request.POST.get("assignee", "")
    assignee = None
    if value == "me":
        assignee = request.user
    elif value:
        assignee = get_object_or_404(_agents(), pk=_post_pk(request, "assignee"))
    ticket_assign(ticket=ticket, assignee=assignee, actor=request.user)
    return None


def _act_team(request: AgentRequest, ticket: Ticket) -> HttpResponse | None:
    value = request.POST.get("team", "")
    team = get_object_or_404(Team, pk=int(value)) if value.isdigit() else None
    ticket_set_team(ticket=ticket, team=team, actor=request.user)
    return None


def _act_tags(request: AgentRequest, ticket: Ticket) -> HttpResponse | None:
    add = [t for t in request.POST.get("add", "").split(",") if t.strip()]
    remove = request.POST.getlist("remove")
    ticket_tags_change(ticket=ticket, add=add, remove=remove, actor=request.user)
    return None


def _act_merge(request: AgentRequest, ticket: Ticket) -> HttpResponse | None:
    target = get_object_or_404(tickets_visible_to(request.user), pk=_post_pk(request, "into"))
    ticket_merge(source=ticket, target=target, actor=request.user)
    messages.success(request, _("Merged into #%(id)d.") % {"id": target.pk})
    return redirect("inbox:ticket_detail", pk=target.pk)


def _act_split(request: AgentRequest, ticket: Ticket) -> HttpResponse | None:
    message = get_object_or_404(Message, pk=_post_pk(request, "message"), ticket=ticket)
    new = ticket_split(message=message, actor=request.user)
    messages.success(request, _("Split into #%(id)d.") % {"id": new.pk})
    return redirect("inbox:ticket_detail", pk=new.pk)


def _act_link_order(request: AgentRequest, ticket: Ticket) -> HttpResponse | None:
    order = get_object_or_404(
        orders_visible_to(request.user).filter(contact=ticket.contact_id),
        pk=_post_pk(request, "order"),
    )
    ticket_link_order(ticket=ticket, order=order, actor=request.user)
    return None


def _act_unlink_order(request: AgentRequest, ticket: Ticket) -> HttpResponse | None:
    ticket_link_order(ticket=ticket, order=None, actor=request.user)
    return None


def _act_take_over(request: AgentRequest, ticket: Ticket) -> HttpResponse | None:
    ticket_hand_over(ticket=ticket, reason="agent_took_over", actor=request.user)
    return None


def _act_merge_contact(request: AgentRequest, ticket: Ticket) -> HttpResponse | None:
    other = get_object_or_404(
        contacts_visible_to(request.user).exclude(pk=ticket.contact_id),
        pk=_post_pk(request, "contact"),
    )
    contact_merge(source=other, target=ticket.contact, actor=request.user)
    return None


def _act_confirm_claim(request: AgentRequest, ticket: Ticket) -> HttpResponse | None:
    claim = get_object_or_404(
        IdentityClaim.objects.filter(visitor__contact_id=ticket.contact_id),
        pk=_post_pk(request, "claim"),
    )
    identity_claim_confirm(claim=claim, actor=request.user)
    messages.success(
        request,
        _("Confirmed: this conversation now belongs to %(address)s's contact.")
        % {"address": claim.address},
    )
    return None


# What an agent can do from the ticket page: each returns its own response, or None to come
# back to the ticket.
TICKET_ACTIONS: dict[str, Callable[[AgentRequest, Ticket], HttpResponse | None]] = {
    "status": _act_status,
    "priority": _act_priority,
    "assign": _act_assign,
    "team": _act_team,
    "tags": _act_tags,
    "merge": _act_merge,
    "split": _act_split,
    "link_order": _act_link_order,
    "unlink_order": _act_unlink_order,
    "take_over": _act_take_over,
    "merge_contact": _act_merge_contact,
    "confirm_claim": _act_confirm_claim,
}


@staff_required
@require_POST
def ticket_action(request: AgentRequest, pk: int, action: str) -> HttpResponse:
    ticket = _visible_ticket(request, pk)
    act = TICKET_ACTIONS.get(action)
    if act is None:
        raise Http404
    before = _properties(ticket)
    try:
        response = act(request, ticket)
    except DomainError as exc:
        if _wants_json(request):
            return JsonResponse({"error": str(exc)}, status=400)
        messages.error(request, str(exc))
        return redirect("inbox:ticket_detail", pk=ticket.pk)
    if response is not None:
        return response
    if _wants_json(request) and action in PROPERTY_ACTIONS:
        ticket.refresh_from_db()
        return JsonResponse(
            {
                "ok": True,
                "text": _property_text(ticket, action),
                "undo": _property_undo(action, before, _properties(ticket)),
            }
        )
    return redirect("inbox:ticket_detail", pk=ticket.pk)


# The properties the ticket page applies as soon as they change (with an undo).
PROPERTY_ACTIONS = {"status", "priority", "assign", "team", "tags"}


def _properties(ticket: Ticket) -> dict:
    return {
        "status": ticket.status,
        "priority": str(ticket.priority),
        "assignee": str(ticket.assignee_id or ""),
        "team": str(ticket.team_id or ""),
        "tags": set(ticket.tags.values_list("name", flat=True)),
    }


def _property_undo(action: str, before: dict, after: dict) -> dict:
    """The form data that puts the property back as it was before this change."""
    if action == "tags":
        return {
            "add": ",".join(sorted(before["tags"] - after["tags"])),
            "remove": sorted(after["tags"] - before["tags"]),
        }
    name = "assignee" if action == "assign" else action
    return {name: before[name]}


def _property_text(ticket: Ticket, action: str) -> str:
    """What just changed, in the agent's words, for the page's "Undo" notice."""
    if action == "status":
        return _("Status: %(value)s") % {"value": ticket.get_status_display()}
    if action == "priority":
        return _("Priority: %(value)s") % {"value": ticket.get_priority_display()}
    if action == "assign":
        profile = getattr(ticket.assignee, "agent_profile", None) if ticket.assignee else None
        name = profile.name if profile else (ticket.assignee or _("Nobody"))
        return _("Assignee: %(value)s") % {"value": name}
    if action == "team":
        return _("Team: %(value)s") % {"value": ticket.team or _("No team")}
    names = ", ".join(ticket.tags.order_by("name").values_list("name", flat=True))
    return _("Tags: %(value)s") % {"value": names or _("none")}
