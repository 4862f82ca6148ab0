"""The ticket list, saved views, bulk actions, mentions and the outbox."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from helpdesk.accounts.models import Team
from helpdesk.contracts import DomainError
from helpdesk.inbox.models import Mention, SavedView
from helpdesk.inbox.selectors import (
    BUILTIN_VIEWS,
    SORTS,
    ListQuery,
    saved_views_for,
    ticket_page,
    tickets_for_list,
    view_counts,
)
from helpdesk.inbox.services import (
    saved_view_create,
)
from helpdesk.inbox.views.common import (
    AgentRequest,
    _agents,
    staff_required,
)
from helpdesk.tickets.models import (
    DeliveryState,
    InboxKind,
    Message,
    Priority,
    Tag,
    TicketStatus,
)
from helpdesk.tickets.selectors import (
    sees_everything,
    tickets_visible_to,
)
from helpdesk.tickets.services import (
    BulkResult,
    ticket_assign,
    ticket_set_status,
    ticket_tags_change,
    tickets_bulk_apply,
    tickets_merge,
)


@staff_required
@require_GET
def ticket_list(request: AgentRequest) -> HttpResponse:
    saved_id = request.GET.get("saved", "")
    saved = None
    params = request.GET
    if saved_id.isdigit():
        saved = get_object_or_404(saved_views_for(request.user), pk=int(saved_id))
        params = saved.query
    query = ListQuery.from_params(params)
    tickets = tickets_for_list(user=request.user, query=query)
    page = ticket_page(
        user=request.user,
        tickets=tickets,
        sort=query.sort,
        after=request.GET.get("after", "")[:200],
        size=settings.HELPDESK_TICKETS_PER_PAGE,
    )
    base = query.params()
    if saved is not None:
        base = {"saved": str(saved.pk)}
    context = {
        "page": page,
        "query": query,
        "saved": saved,
        "first_page": not request.GET.get("after"),
        "next_url": "?" + urlencode({**base, "after": page.next_cursor})
        if page.next_cursor
        else "",
        "current_url": "?" + urlencode(base),
    }
    if request.GET.get("partial") == "rows":
        return render(request, "inbox/_rows.html", context)
    context.update(
        {
            "builtin_views": BUILTIN_VIEWS,
            "view_counts": view_counts(user=request.user),
            "saved_views": list(saved_views_for(request.user)),
            "sorts": {k: v[2] for k, v in SORTS.items()},
            "statuses": TicketStatus.choices,
            "priorities": Priority.choices,
            "channels": InboxKind.choices,
            "teams": list(Team.objects.order_by("name")),
            "agents": list(_agents()),
            "tags": list(Tag.objects.order_by("name")[:200]),
        }
    )
    return render(request, "inbox/ticket_list.html", context)


@staff_required
@require_POST
def saved_view_save(request: AgentRequest) -> HttpResponse:
    name = request.POST.get("name", "").strip()
    query = ListQuery.from_params(request.POST)
    if not name:
        messages.error(request, _("Give the view a name."))
        return redirect(f"{_list_url()}?{urlencode(query.params())}")
    shared = bool(request.POST.get("shared")) and sees_everything(request.user)
    view = saved_view_create(owner=request.user, name=name, query=query.params(), shared=shared)
    return redirect(f"{_list_url()}?saved={view.pk}")


@staff_required
@require_POST
def saved_view_delete(request: AgentRequest, pk: int) -> HttpResponse:
    view = get_object_or_404(SavedView, pk=pk, owner=request.user)
    view.delete()
    return redirect(_list_url())


def _list_url() -> str:
    return reverse("inbox:ticket_list")


@staff_required
@require_POST
def tickets_bulk(request: AgentRequest) -> HttpResponse:
    """Assign, set status, tag or merge the selected tickets (only those the user sees)."""
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()][:500]
    tickets = list(tickets_visible_to(request.user).filter(pk__in=ids).order_by("pk"))
    action = request.POST.get("action", "")
    # Each action has its own list (value_assign, value_status, value_tag); "value" still works.
    value = (request.POST.get(f"value_{action}") or request.POST.get("value", "")).strip()
    back = request.POST.get("next", "")
    if not back.startswith("?"):
        back = ""
    if not tickets:
        messages.error(request, _("Select at least one ticket."))
        return redirect(_list_url() + back)
    user = request.user
    try:
        if action == "assign":
            assignee = None
            if value and value != "none":
                assignee = get_object_or_404(_agents(), pk=int(value) if value.isdigit() else 0)
            result = tickets_bulk_apply(
                tickets=tickets,
                change=lambda t: ticket_assign(ticket=t, assignee=assignee, actor=user),
            )
        elif action == "status":
            if value not in TicketStatus.values:
                raise DomainError(_("Unknown status."))
            result = tickets_bulk_apply(
                tickets=tickets,
                change=lambda t: ticket_set_status(ticket=t, status=value, actor=user),
            )
        elif action == "tag":
            if not value:
                raise DomainError(_("Type a tag."))
            result = tickets_bulk_apply(
                tickets=tickets,
                change=lambda t: ticket_tags_change(ticket=t, add=[value], actor=user),
            )
        elif action == "merge":
            # All or nothing: a half-merged selection would be worse than none.
            tickets_merge(tickets=tickets, actor=user)
            result = BulkResult(done=[t.pk for t in tickets], failed=[])
        else:
            raise DomainError(_("Unknown action."))
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect(_list_url() + back)
    if result.done:
        messages.success(request, _("%(n)d tickets updated.") % {"n": len(result.done)})
    for pk, reason in result.failed:
        messages.error(request, _("#%(id)d not changed: %(reason)s") % {"id": pk, "reason": reason})
    return redirect(_list_url() + back)


@staff_required
def mentions(request: AgentRequest) -> HttpResponse:
    items = (
        Mention.objects.filter(user=request.user, ticket__in=tickets_visible_to(request.user))
        .select_related("message", "message__author", "ticket")
        .order_by("-created_at")[:100]
    )
    return render(request, "inbox/mentions.html", {"mentions": items})


@staff_required
def outbox(request: AgentRequest) -> HttpResponse:
    """Replies kept here because their channel has no credentials: not really sent."""
    held = (
        Message.objects.filter(
            delivery_state=DeliveryState.OUTBOX, ticket__in=tickets_visible_to(request.user)
        )
        .select_related("ticket", "inbox", "identity", "author")
        .order_by("-created_at")
    )
    page = Paginator(held, 50).get_page(request.GET.get("page"))
    return render(request, "inbox/outbox.html", {"page": page})
