"""The agent workspace: ticket list, ticket view and its actions. Every object goes through
tickets_visible_to (and friends): an id the user may not see is a 404."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from helpdesk.accounts.models import Team
from helpdesk.contacts.models import IdentityClaim
from helpdesk.contracts import DomainError
from helpdesk.inbox.forms import PriorityForm, ReplyForm, StatusForm
from helpdesk.inbox.models import CannedResponse, Mention, SavedView
from helpdesk.inbox.reply_windows import reply_windows, template_metadata
from helpdesk.inbox.selectors import (
    BUILTIN_VIEWS,
    SORTS,
    ListQuery,
    canned_in_language_order,
    reply_identity_default,
    saved_views_for,
    ticket_page,
    ticket_timeline_items,
    tickets_for_list,
    view_counts,
)
from helpdesk.inbox.services import (
    canned_render,
    mentions_record,
    mentions_unseen,
    saved_view_create,
    ticket_mark_read,
)
from helpdesk.security.files import file_response
from helpdesk.sla.selectors import ticket_sla_state
from helpdesk.tickets.models import (
    Attachment,
    DeliveryState,
    InboxKind,
    Message,
    MessageKind,
    Priority,
    Tag,
    Ticket,
    TicketStatus,
)
from helpdesk.tickets.selectors import (
    contacts_visible_to,
    is_staff_member,
    orders_visible_to,
    sees_everything,
    tickets_visible_to,
)
from helpdesk.tickets.services import (
    BulkResult,
    contact_merge,
    message_reply,
    ticket_assign,
    ticket_hand_over,
    ticket_link_order,
    ticket_merge,
    ticket_respond,
    ticket_set_priority,
    ticket_set_status,
    ticket_set_team,
    ticket_split,
    ticket_tags_change,
    tickets_bulk_apply,
    tickets_merge,
)
from helpdesk.tickets.services.claims import identity_claim_confirm, identity_claims_pending_for
from orders_link.models import Order, Shipment
from orders_link.selectors import order_admin_url


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


# --- Ticket list ---------------------------------------------------------------------------


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


# --- Ticket view ---------------------------------------------------------------------------


def _ticket_context(request: AgentRequest, ticket: Ticket, form: ReplyForm | None = None) -> dict:
    contact = ticket.contact
    identities = list(contact.identities.order_by("kind", "address"))
    default_identity = reply_identity_default(ticket=ticket, identities=identities)
    if form is None:
        form = ReplyForm(identities=identities, default_identity=default_identity)
    windows = reply_windows(ticket=ticket, identities=identities, agent=request.user)
    orders = list(
        contact.orders.select_related("store")
        .prefetch_related(
            "lines", Prefetch("shipments", queryset=Shipment.objects.order_by("-created_at"))
        )
        .order_by("-placed_at")[:10]
    )
    for order in orders:
        # Read by the customer panel like properties of the order.
        setattr(order, "total_display", f"{number_format(order.total, 2)} {order.currency}")  # noqa: B010
        setattr(order, "admin_url", order_admin_url(order))  # noqa: B010
    past = list(
        tickets_visible_to(request.user)
        .filter(contact=contact)
        .exclude(pk=ticket.pk)
        .select_related("inbox")
        .order_by("-created_at")[:10]
    )
    profile = getattr(request.user, "agent_profile", None)
    canned = CannedResponse.objects.all()
    if profile is not None and not sees_everything(request.user):
        canned = canned.filter(Q(team__isnull=True) | Q(team__in=profile.teams.all()))
    canned = canned_in_language_order(canned, language=ticket.language or ticket.contact.language)
    return {
        "ticket": ticket,
        "timeline": ticket_timeline_items(ticket=ticket),
        "identities": identities,
        "orders": orders,
        "past_tickets": past,
        "form": form,
        "reply_windows": sorted(windows.items()),
        "status_form": StatusForm(initial={"status": ticket.status}),
        "priority_form": PriorityForm(initial={"priority": ticket.priority}),
        "agents": list(_agents()),
        "teams": list(Team.objects.filter(active=True).order_by("name")),
        "canned": list(canned.order_by("name")),
        "tags": list(ticket.tags.order_by("name")),
        "sla_state": ticket_sla_state(ticket),
        # "Claims to be X, unverified": a visitor who named a known customer's address.
        "claims": identity_claims_pending_for(contact_id=contact.pk),
        "now_time": timezone.now(),
        # What a conversation handler (the bot) learnt before handing over, shown on top.
        "handover_note": ticket.messages.filter(
            kind=MessageKind.NOTE, metadata__event="bot_handover"
        )
        .order_by("-created_at", "-pk")
        .first(),
    }


def _reply_window_check(form: ReplyForm, window, data: dict):
    """A channel window (WhatsApp's 24 hours) on the chosen address: a template reply's
    (text, metadata, inbox), or None for free text; free text outside the window is an
    error on the form, with the reason."""
    if window is None:
        if data.get("template"):
            form.add_error("template", _("Templates are only for WhatsApp replies."))
        return None
    if data.get("template"):
        found = template_metadata(window=window, name=data["template"])
        if found is None:
            form.add_error(
                "template",
                _("No approved template named %(name)s.") % {"name": data["template"]},
            )
            return None
        return (*found, window.inbox)
    if not window.open:
        if window.closes_at is None:
            reason = _("The customer has never written to us on WhatsApp")
        else:
            hours = int((timezone.now() - window.closes_at).total_seconds() // 3600) + 24
            reason = _("The customer last wrote on WhatsApp %(hours)d hours ago") % {"hours": hours}
        form.add_error(
            "text",
            _(
                "%(reason)s: outside its 24-hour window WhatsApp accepts only an approved "
                "template. Choose one below, or reply on another channel."
            )
            % {"reason": reason},
        )
    return None


@staff_required
def ticket_detail(request: AgentRequest, pk: int) -> HttpResponse:
    ticket = _visible_ticket(request, pk)
    if request.method == "POST":
        identities = list(ticket.contact.identities.all())
        form = ReplyForm(request.POST, request.FILES, identities=identities)
        if form.is_valid():
            data = form.cleaned_data
            files = tuple(
                (f.name, f.content_type or "application/octet-stream", f.read())
                for f in data["files"]
            )
            identity = next((i for i in identities if i.pk == data["identity"]), None)
            if identity is None and not data["internal"]:
                identity = reply_identity_default(ticket=ticket, identities=identities)
            template = None
            if not data["internal"] and identity is not None:
                window = reply_windows(ticket=ticket, identities=[identity], agent=request.user)
                template = _reply_window_check(form, window.get(identity.pk), data)
        if form.is_valid():
            # One transaction: the live event goes out with the message whole (attachments,
            # mentions, status), or nothing is stored.
            with transaction.atomic():
                if template is not None:
                    text, metadata, inbox = template
                    message = message_reply(
                        ticket=ticket,
                        author=request.user,
                        text=text,
                        identity=identity,
                        inbox=inbox,
                        metadata=metadata,
                    )
                    if data["then_status"]:
                        ticket_set_status(
                            ticket=ticket, status=data["then_status"], actor=request.user
                        )
                else:
                    message = ticket_respond(
                        ticket=ticket,
                        author=request.user,
                        text=data["text"],
                        internal=data["internal"],
                        identity=identity,
                        files=files,
                        then_status=data["then_status"] or "",
                    )
                if (
                    not data["internal"]
                    and settings.HELPDESK_ASSIGN_ON_REPLY
                    and ticket.assignee_id is None
                ):
                    # Whoever answers an unassigned ticket takes it (ASSIGN_ON_REPLY).
                    ticket.refresh_from_db(fields=["assignee"])
                    if ticket.assignee_id is None:
                        ticket_assign(ticket=ticket, assignee=request.user, actor=request.user)
                mentions_record(message=message, author=request.user)
                unseen = mentions_unseen(message=message, author=request.user)
            if unseen:
                # Told on the ticket page, with the offer to assign or share the ticket.
                request.session[f"mention_unseen_{ticket.pk}"] = unseen
            return redirect("inbox:ticket_detail", pk=ticket.pk)
        ticket_mark_read(ticket=ticket, user=request.user)
        return render(
            request, "inbox/ticket_detail.html", _ticket_context(request, ticket, form), status=400
        )
    ticket_mark_read(ticket=ticket, user=request.user)
    if request.GET.get("partial") == "timeline":
        return render(
            request,
            "inbox/_timeline.html",
            {"ticket": ticket, "timeline": ticket_timeline_items(ticket=ticket)},
        )
    Mention.objects.filter(user=request.user, ticket=ticket, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    context = _ticket_context(request, ticket)
    unseen = request.session.pop(f"mention_unseen_{ticket.pk}", [])
    context["mention_unseen"] = list(
        _agents().filter(pk__in=unseen).prefetch_related("agent_profile__teams")
    )
    return render(request, "inbox/ticket_detail.html", context)


@staff_required
@require_GET
def canned_preview(request: AgentRequest, pk: int, canned_pk: int) -> JsonResponse:
    ticket = _visible_ticket(request, pk)
    canned = get_object_or_404(CannedResponse, pk=canned_pk)
    profile = getattr(request.user, "agent_profile", None)
    if (
        canned.team_id
        and not sees_everything(request.user)
        and (profile is None or not profile.teams.filter(pk=canned.team_id).exists())
    ):
        raise Http404
    return JsonResponse(
        {"text": canned_render(text=canned.text, ticket=ticket, agent=request.user)}
    )


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


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


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


# --- Other pages ---------------------------------------------------------------------------


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


@staff_required
def attachment_download(request: AgentRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(
        Attachment.objects.filter(message__ticket__in=tickets_visible_to(request.user)), pk=pk
    )
    return file_response(
        attachment.file.open("rb"),
        filename=attachment.filename,
        content_type=attachment.content_type,
        inline_images=False,
    )


@staff_required
@require_GET
def order_detail(request: AgentRequest, pk: int) -> JsonResponse:
    """One order as JSON for the customer panel; only orders of customers the user serves."""
    order = get_object_or_404(
        orders_visible_to(request.user).prefetch_related("lines", "shipments"), pk=pk
    )
    return JsonResponse(_order_json(order))


def _order_json(order: Order) -> dict:
    return {
        "id": order.pk,
        "number": order.number,
        "status": order.status,
        "placed_at": order.placed_at.isoformat(),
        "lines": [{"title": l.title, "quantity": l.quantity} for l in order.lines.all()],  # noqa: E741
        "shipments": [
            {
                "carrier": s.carrier,
                "tracking_number": s.tracking_number,
                "tracking_url": s.tracking_url,
                "status": s.status,
                "estimated_delivery": s.estimated_delivery.isoformat()
                if s.estimated_delivery
                else None,
            }
            for s in order.shipments.all()
        ],
    }
