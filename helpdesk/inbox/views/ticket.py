"""The ticket page: its timeline, the reply box, canned responses, attachments and the
order panel."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from helpdesk.accounts.models import Team
from helpdesk.inbox.forms import PriorityForm, ReplyForm, StatusForm
from helpdesk.inbox.models import CannedResponse, Mention
from helpdesk.inbox.reply_windows import reply_windows, template_metadata
from helpdesk.inbox.selectors import (
    canned_in_language_order,
    reply_identity_default,
    ticket_timeline_items,
)
from helpdesk.inbox.services import (
    canned_render,
    mentions_record,
    mentions_unseen,
    ticket_mark_read,
)
from helpdesk.inbox.views.common import (
    AgentRequest,
    _agents,
    _visible_ticket,
    staff_required,
)
from helpdesk.security.files import file_response
from helpdesk.sla.selectors import ticket_sla_state
from helpdesk.tickets.models import (
    Attachment,
    MessageKind,
    Ticket,
)
from helpdesk.tickets.selectors import (
    orders_visible_to,
    sees_everything,
    tickets_visible_to,
)
from helpdesk.tickets.services import (
    message_reply,
    ticket_assign,
    ticket_respond,
    ticket_set_status,
)
from helpdesk.tickets.services.claims import identity_claims_pending_for
from orders_link.models import Order, Shipment
from orders_link.selectors import order_admin_url


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
        return _reply_post(request, ticket)
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


def _reply_post(request: AgentRequest, ticket: Ticket) -> HttpResponse:
    """The reply box: a reply or a note, checked against the channel's reply window."""
    identities = list(ticket.contact.identities.all())
    form = ReplyForm(request.POST, request.FILES, identities=identities)
    identity, template = None, None
    if form.is_valid():
        data = form.cleaned_data
        identity = next((i for i in identities if i.pk == data["identity"]), None)
        if identity is None and not data["internal"]:
            identity = reply_identity_default(ticket=ticket, identities=identities)
        if not data["internal"] and identity is not None:
            window = reply_windows(ticket=ticket, identities=[identity], agent=request.user)
            template = _reply_window_check(form, window.get(identity.pk), data)
    if not form.is_valid():  # the window's check may have refused it since
        ticket_mark_read(ticket=ticket, user=request.user)
        return render(
            request, "inbox/ticket_detail.html", _ticket_context(request, ticket, form), status=400
        )
    unseen = _reply_store(request, ticket, form.cleaned_data, identity=identity, template=template)
    if unseen:
        # Told on the ticket page, with the offer to assign or share the ticket.
        request.session[f"mention_unseen_{ticket.pk}"] = unseen
    return redirect("inbox:ticket_detail", pk=ticket.pk)


def _reply_store(
    request: AgentRequest, ticket: Ticket, data: dict, *, identity, template
) -> list[int]:
    """One transaction: the live event goes out with the message whole (attachments,
    mentions, status), or nothing is stored. The mentioned agents who cannot see the ticket."""
    files = tuple(
        (f.name, f.content_type or "application/octet-stream", f.read()) for f in data["files"]
    )
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
                ticket_set_status(ticket=ticket, status=data["then_status"], actor=request.user)
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
        assign = settings.HELPDESK_ASSIGN_ON_REPLY and not data["internal"]
        if assign and ticket.assignee_id is None:
            # Whoever answers an unassigned ticket takes it (ASSIGN_ON_REPLY).
            ticket.refresh_from_db(fields=["assignee"])
            if ticket.assignee_id is None:
                ticket_assign(ticket=ticket, assignee=request.user, actor=request.user)
        mentions_record(message=message, author=request.user)
        return mentions_unseen(message=message, author=request.user)


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
