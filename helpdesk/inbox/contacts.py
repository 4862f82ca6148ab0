"""The contacts pages of the workspace: search, one contact's identities, tickets and
orders, and merging two contacts. An agent sees the contacts of the tickets they can see,
and of those only the tickets of their teams."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from helpdesk.contacts.models import Contact, ContactIdentity, normalize_address
from helpdesk.contracts import DomainError
from helpdesk.inbox.views import AgentRequest, staff_required
from helpdesk.tickets.selectors import (
    contacts_visible_to,
    orders_visible_to,
    tickets_visible_to,
)
from helpdesk.tickets.services import contact_merge
from helpdesk.tickets.services.claims import identity_claims_pending_for
from orders_link.models import Shipment

PAGE_SIZE = 50


def contacts_search(*, user, q: str) -> QuerySet[Contact]:
    """Contacts the user may see, not merged away, matching ``q`` in a name, an address
    (email, phone in any spelling, Telegram…) or an order number."""
    contacts = contacts_visible_to(user).filter(merged_into__isnull=True)
    q = q.strip()[:200]
    if q:
        rule = Q(name__icontains=q) | Q(identities__address__icontains=q)
        digits = normalize_address("phone", q)
        if digits.startswith("+") and len(digits) > 4:
            rule |= Q(identities__address__contains=digits)
        rule |= Q(orders__number__iexact=q) | Q(orders__number__iexact=f"#{q.lstrip('#')}")
        contacts = contacts.filter(pk__in=Contact.objects.filter(rule).values("pk"))
    return contacts


@staff_required
@require_GET
def contact_list(request: AgentRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    visible = tickets_visible_to(request.user)
    contacts = (
        contacts_search(user=request.user, q=q)
        .annotate(
            ticket_count=Count("tickets", filter=Q(tickets__in=visible), distinct=True),
            last_activity=Max("tickets__last_message_at", filter=Q(tickets__in=visible)),
        )
        .prefetch_related(
            Prefetch("identities", queryset=ContactIdentity.objects.order_by("kind", "address"))
        )
        .order_by("-last_activity", "-pk")
    )
    page = Paginator(contacts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "inbox/contacts.html", {"page": page, "q": q})


@staff_required
@require_GET
def contact_detail(request: AgentRequest, pk: int) -> HttpResponse:
    survivor = get_object_or_404(Contact, pk=pk)
    for _hop in range(10):  # an absorbed contact's page leads to the one it was merged into
        if survivor.merged_into_id is None:
            break
        survivor = survivor.merged_into  # type: ignore[assignment]
    contact = get_object_or_404(contacts_visible_to(request.user), pk=survivor.pk)
    if contact.pk != pk:
        return redirect("inbox:contact_detail", pk=contact.pk)
    merge_q = request.GET.get("merge_q", "").strip()
    candidates: list[Contact] = []
    if merge_q:
        candidates = list(
            contacts_search(user=request.user, q=merge_q)
            .exclude(pk=contact.pk)
            .prefetch_related("identities")
            .order_by("-pk")[:10]
        )

    context = {
        "contact": contact,
        "identities": list(contact.identities.order_by("kind", "address")),
        "claims": identity_claims_pending_for(contact_id=contact.pk),
        "tickets": list(
            tickets_visible_to(request.user)
            .filter(contact=contact)
            .select_related("inbox", "assignee", "team", "order")
            .order_by("-last_message_at", "-pk")[:100]
        ),
        "orders": list(
            orders_visible_to(request.user)
            .filter(contact=contact)
            .prefetch_related(
                "lines", Prefetch("shipments", queryset=Shipment.objects.order_by("-created_at"))
            )
            .order_by("-placed_at")[:50]
        ),
        "merge_q": merge_q,
        "candidates": candidates,
    }
    return render(request, "inbox/contact_detail.html", context)


@staff_required
@require_POST
def contact_merge_view(request: AgentRequest, pk: int) -> HttpResponse:
    """Merge another contact (``source``) into this one: its identities, tickets and orders
    move here."""
    visible = contacts_visible_to(request.user).filter(merged_into__isnull=True)
    target = get_object_or_404(visible, pk=pk)
    value = request.POST.get("source", "")
    source = get_object_or_404(
        visible.exclude(pk=target.pk), pk=int(value) if value.isdigit() else 0
    )
    try:
        contact_merge(source=source, target=target, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(source)s was merged into %(target)s.") % {"source": source, "target": target},
        )
    return redirect("inbox:contact_detail", pk=target.pk)
