from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from helpdesk.inbox.forms import ReplyForm, StatusForm
from helpdesk.tickets.models import Attachment, DeliveryState, Message, TicketStatus
from helpdesk.tickets.selectors import (
    is_staff_member,
    ticket_timeline,
    tickets_visible_to,
)
from helpdesk.tickets.services import message_reply, note_add, ticket_set_status


def staff_required(view):
    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_staff_member(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@staff_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "unsolved")
    tickets = tickets_visible_to(request.user).select_related("contact", "inbox", "assignee")
    if status == "unsolved":
        tickets = tickets.filter(
            status__in=[TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING]
        )
    elif status in TicketStatus.values:
        tickets = tickets.filter(status=status)
    page = Paginator(tickets.order_by("-last_message_at", "-id"), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "inbox/ticket_list.html",
        {"page": page, "status": status, "statuses": TicketStatus.choices},
    )


@staff_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_object_or_404(
        tickets_visible_to(request.user).select_related("contact", "inbox", "order", "assignee"),
        pk=pk,
    )
    if request.method == "POST":
        form = ReplyForm(request.POST)
        if form.is_valid():
            if form.cleaned_data["internal"]:
                note_add(ticket=ticket, author=request.user, text=form.cleaned_data["text"])
            else:
                message_reply(ticket=ticket, author=request.user, text=form.cleaned_data["text"])
            return redirect("inbox:ticket_detail", pk=ticket.pk)
    else:
        form = ReplyForm()
    orders = ticket.contact.orders.prefetch_related("lines", "shipments").order_by("-placed_at")[
        :10
    ]
    return render(
        request,
        "inbox/ticket_detail.html",
        {
            "ticket": ticket,
            "timeline": ticket_timeline(ticket),
            "identities": ticket.contact.identities.all(),
            "orders": orders,
            "form": form,
            "status_form": StatusForm(initial={"status": ticket.status}),
        },
    )


@staff_required
@require_POST
def ticket_status(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_object_or_404(tickets_visible_to(request.user), pk=pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        ticket_set_status(ticket=ticket, status=form.cleaned_data["status"], actor=request.user)
        messages.success(request, _("Status changed."))
    return redirect("inbox:ticket_detail", pk=ticket.pk)


@staff_required
def outbox(request: HttpRequest) -> HttpResponse:
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
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(
        Attachment.objects.filter(message__ticket__in=tickets_visible_to(request.user)), pk=pk
    )
    response = FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.filename
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
