"""Reads of the agent workspace: the ticket list (views, filters, keyset pages) and the one
timeline of a ticket. Query counts do not grow with the data: every list and panel is read
with a fixed number of queries."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db.models import (
    Case,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from helpdesk.channels import channel_kinds, get_adapter
from helpdesk.inbox.models import SavedView, TicketRead
from helpdesk.sla.selectors import sla_at_risk_q, sla_breached_q, ticket_sla_state
from helpdesk.tickets.models import (
    IDENTITY_KIND_FOR_INBOX,
    UNSOLVED_STATUSES,
    Inbox,
    InboxKind,
    Message,
    Priority,
    Ticket,
    TicketStatus,
)
from helpdesk.tickets.selectors import (
    delayed_order_exists,
    tickets_for_agents,
    tickets_visible_to,
    tickets_with_bot,
)
from orders_link.models import DelayNotice

BUILTIN_VIEWS: dict[str, Any] = {
    "unsolved": _("Unsolved"),
    "mine": _("Mine"),
    "unassigned": _("Unassigned"),
    "open": _("Open"),
    "pending": _("Pending"),
    "sla_at_risk": _("SLA at risk"),
    "sla_breached": _("SLA breached"),
    "delayed_orders": _("On delayed orders"),
    "bot": _("With the bot"),
    "all": _("All"),
}

SORTS = {
    "recent": ("last_message_at", True, _("Latest activity")),
    "oldest": ("last_message_at", False, _("Oldest activity")),
    "newest": ("created_at", True, _("Newest tickets")),
    "created": ("created_at", False, _("Oldest tickets")),
}

FILTER_KEYS = ("view", "status", "priority", "team", "channel", "assignee", "tag", "q", "sort")


@dataclass
class ListQuery:
    view: str = "unsolved"
    status: str = ""
    priority: str = ""
    team: str = ""
    channel: str = ""
    assignee: str = ""
    tag: str = ""
    q: str = ""
    sort: str = "recent"
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_params(cls, params) -> ListQuery:
        query = cls()
        for key in FILTER_KEYS:
            value = str(params.get(key, "") or "").strip()[:200]
            if value:
                setattr(query, key, value)
        if query.view not in BUILTIN_VIEWS:
            query.errors.append(str(_("Unknown view.")))
            query.view = "unsolved"
        if query.sort not in SORTS:
            query.sort = "recent"
        if query.status and query.status not in TicketStatus.values:
            query.status = ""
        if query.channel and query.channel not in InboxKind.values:
            query.channel = ""
        if query.priority and query.priority not in {str(v) for v in Priority.values}:
            query.priority = ""
        for key in ("team", "assignee"):
            value = getattr(query, key)
            if value and not (value.isdigit() or value == "none"):
                setattr(query, key, "")
        return query

    def params(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in FILTER_KEYS if getattr(self, k)}


# A search feature (the knowledge base's) registers here the function that finds the ids of
# the tickets a query matches; without one, the box matches the subject and the number.
_ticket_search: list[Callable[..., list[int]]] = []


def register_ticket_search(function: Callable[..., list[int]]) -> None:
    _ticket_search[:] = [function]


def tickets_for_list(*, user: User, query: ListQuery, now: datetime | None = None):
    now = now or timezone.now()
    tickets = tickets_visible_to(user).filter(merged_into__isnull=True)
    view = query.view
    if view == "bot":
        tickets = tickets_with_bot(tickets).filter(status__in=UNSOLVED_STATUSES)
    elif view != "all":
        # A conversation the bot owns waits for no agent until it is handed over.
        tickets = tickets_for_agents(tickets)
    if view == "unsolved":
        tickets = tickets.filter(status__in=UNSOLVED_STATUSES)
    elif view == "mine":
        tickets = tickets.filter(assignee=user, status__in=UNSOLVED_STATUSES)
    elif view == "unassigned":
        tickets = tickets.filter(assignee__isnull=True, status__in=UNSOLVED_STATUSES)
    elif view == "open":
        tickets = tickets.filter(status__in=[TicketStatus.NEW, TicketStatus.OPEN])
    elif view == "pending":
        tickets = tickets.filter(status=TicketStatus.PENDING)
    elif view == "sla_at_risk":
        tickets = tickets.filter(sla_at_risk_q(now))
    elif view == "sla_breached":
        tickets = tickets.filter(sla_breached_q(now))
    elif view == "delayed_orders":
        tickets = tickets.filter(
            delayed_order_exists(today=timezone.localdate(now)),
            status__in=UNSOLVED_STATUSES,
        )
    if query.status:
        tickets = tickets.filter(status=query.status)
    if query.priority:
        tickets = tickets.filter(priority=int(query.priority))
    if query.team:
        tickets = (
            tickets.filter(team__isnull=True)
            if query.team == "none"
            else tickets.filter(team=int(query.team))
        )
    if query.channel:
        # Inbox ids rather than a join: lets the per-inbox queue index serve the filter.
        inbox_ids = list(Inbox.objects.filter(kind=query.channel).values_list("pk", flat=True))
        tickets = tickets.filter(inbox__in=inbox_ids)
    if query.assignee:
        tickets = (
            tickets.filter(assignee__isnull=True)
            if query.assignee == "none"
            else tickets.filter(assignee=int(query.assignee))
        )
    if query.tag:
        tickets = tickets.filter(tags__name=query.tag)
    if query.q and _ticket_search:
        tickets = tickets.filter(pk__in=_ticket_search[0](user=user, query=query.q))
    elif query.q:
        text = query.q.lstrip("#")
        if text.isdigit():
            tickets = tickets.filter(Q(pk=int(text)) | Q(subject__icontains=query.q))
        else:
            tickets = tickets.filter(subject__icontains=query.q)
    return tickets


def encode_cursor(value: datetime | None, pk: int) -> str:
    raw = f"{value.isoformat() if value else ''}|{pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime | None, int] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, pk = raw.rsplit("|", 1)
        value = parse_datetime(stamp) if stamp else None
        if stamp and value is None:
            return None
        return value, int(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return None


@dataclass
class TicketPage:
    rows: list[Ticket]
    next_cursor: str
    unread: set[int]


def ticket_page(
    *,
    user: User,
    tickets: QuerySet[Ticket],
    sort: str,
    after: str = "",
    size: int = 50,
    now: datetime | None = None,
) -> TicketPage:
    """One keyset page: (sort field, id) strictly after the cursor. Constant cost however
    deep the page: no OFFSET, no COUNT."""
    now = now or timezone.now()
    name, descending, _label = SORTS[sort]
    cursor = decode_cursor(after) if after else None
    if cursor is not None:
        value, pk = cursor
        if value is None:
            cmp = Q(**{f"{name}__isnull": True, "pk__lt" if descending else "pk__gt": pk})
        elif descending:
            cmp = Q(**{f"{name}__lt": value}) | Q(**{name: value, "pk__lt": pk})
        else:
            cmp = Q(**{f"{name}__gt": value}) | Q(**{name: value, "pk__gt": pk})
        tickets = tickets.filter(cmp)
    order = [f"-{name}", "-pk"] if descending else [name, "pk"]
    # The last customer-visible message of each row, for its preview: one correlated
    # subquery per row on the (ticket, created_at) index.
    last_text = (
        Message.objects.filter(ticket=OuterRef("pk"), kind="message")
        .order_by("-created_at", "-id")
        .values("text")[:1]
    )
    rows: list[Ticket] = list(
        tickets.select_related("contact", "inbox", "assignee", "team", "order")
        .prefetch_related("tags")
        .annotate(last_text=Subquery(last_text))
        .order_by(*order)[: size + 1]
    )
    next_cursor = ""
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = encode_cursor(getattr(last, name), last.pk)
    reads = dict(
        TicketRead.objects.filter(user=user, ticket__in=[t.pk for t in rows]).values_list(
            "ticket_id", "read_at"
        )
    )
    unread = {
        t.pk
        for t in rows
        if t.last_inbound_at and (t.pk not in reads or reads[t.pk] < t.last_inbound_at)
    }
    for ticket in rows:
        # Read by the rows template as ticket.sla_state, like an annotation.
        setattr(ticket, "sla_state", ticket_sla_state(ticket, now=now))  # noqa: B010
    return TicketPage(rows=rows, next_cursor=next_cursor, unread=unread)


COUNTED_VIEWS = (
    "unsolved",
    "mine",
    "unassigned",
    "open",
    "pending",
    "sla_at_risk",
    "sla_breached",
    "delayed_orders",
    "bot",
)


def view_counts(*, user: User, now: datetime | None = None) -> dict[str, int]:
    """How many tickets each built-in view holds for this user (every view but "all",
    whose count would be the whole history): one COUNT each, on unsolved tickets."""
    now = now or timezone.now()
    return {
        view: tickets_for_list(user=user, query=ListQuery(view=view), now=now).count()
        for view in COUNTED_VIEWS
        if view in BUILTIN_VIEWS
    }


def saved_views_for(user: User) -> QuerySet[SavedView]:
    return SavedView.objects.filter(Q(owner=user) | Q(shared=True)).order_by("name")


# --- The ticket timeline -------------------------------------------------------------------


@dataclass
class TimelineItem:
    at: datetime
    kind: str  # "message" or "order"
    message: Message | None = None
    label: str = ""
    detail: str = ""
    sort_key: tuple = ()


def ticket_timeline_items(*, ticket: Ticket) -> list[TimelineItem]:
    """Messages, notes and events of the ticket, and the linked order's story (placed,
    shipped, each tracking scan, delivered), in time order."""
    messages = (
        ticket.messages.select_related("author", "identity", "inbox")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    items = [
        TimelineItem(at=m.created_at, kind="message", message=m, sort_key=(m.created_at, 1, m.pk))
        for m in messages
    ]
    if ticket.order is not None:
        items += _order_story(ticket.order)
    items.sort(key=lambda item: item.sort_key)
    return items


def _order_story(order) -> list[TimelineItem]:
    """The order placed, each parcel's journey, and the delay notices about them."""
    items = [
        TimelineItem(
            at=order.placed_at,
            kind="order",
            label=str(_("Order %(number)s placed") % {"number": order.number}),
            detail=order.get_status_display(),
            sort_key=(order.placed_at, 0, 0),
        )
    ]
    shipments = order.shipments.prefetch_related(Prefetch("events", to_attr="scans")).order_by(
        "created_at", "id"
    )
    for shipment in shipments:
        items += _shipment_story(shipment)
    notices = DelayNotice.objects.filter(shipment__order=order).select_related("shipment")
    for notice in notices:
        detail = ""
        if notice.new_estimate:
            estimate = date_format(notice.new_estimate)
            detail = str(_("New estimate: %(date)s") % {"date": estimate})
        items.append(
            TimelineItem(
                at=notice.detected_at,
                kind="order",
                label=str(
                    _("Delay notice (%(kind)s): %(shipment)s")
                    % {"kind": notice.get_kind_display(), "shipment": notice.shipment}
                ),
                detail=detail,
                sort_key=(notice.detected_at, 0, notice.pk),
            )
        )
    return items


def _shipment_story(shipment) -> list[TimelineItem]:
    """Shipped, each tracking scan, delivered (when no scan said so)."""
    name = f"{shipment.carrier} {shipment.tracking_number}"
    items = []
    if shipment.shipped_at:
        items.append(
            TimelineItem(
                at=shipment.shipped_at,
                kind="order",
                label=str(_("Shipped: %(shipment)s") % {"shipment": name}),
                sort_key=(shipment.shipped_at, 0, shipment.pk),
            )
        )
    for scan in shipment.scans:
        items.append(
            TimelineItem(
                at=scan.occurred_at,
                kind="order",
                label=f"{name}: {scan.get_status_display()}",
                detail=" · ".join(x for x in (scan.location, scan.description) if x),
                sort_key=(scan.occurred_at, 0, scan.pk),
            )
        )
    if shipment.delivered_at and not any(s.status == "delivered" for s in shipment.scans):
        items.append(
            TimelineItem(
                at=shipment.delivered_at,
                kind="order",
                label=str(_("Delivered: %(shipment)s") % {"shipment": name}),
                sort_key=(shipment.delivered_at, 0, shipment.pk),
            )
        )
    return items


def reply_identity_default(*, ticket: Ticket, identities: list) -> Any:
    """The address a reply goes to unless the agent picks another ("Send via").

    The customer's last inbound channel: their latest message on this ticket, else their
    latest message anywhere; else the channel the ticket's last outbound message (a delay
    notice, say) went out on; else an address of the ticket's own channel. Addresses the
    customer opted out of or that bounced are passed over.
    """
    usable = {i.pk: i for i in identities if i.reachable}
    if not usable:
        return None
    inbound = Message.objects.filter(
        direction="in", identity_id__in=list(usable), kind="message"
    ).order_by("-created_at", "-id")
    outbound = ticket.messages.filter(
        direction="out", identity_id__in=list(usable), kind="message"
    ).order_by("-created_at", "-id")
    for candidates in (inbound.filter(ticket=ticket), inbound, outbound):
        found = candidates.values_list("identity_id", flat=True).first()
        if found is not None:
            return usable[found]
    kind = ticket.inbox.identity_kind if ticket.inbox_id else None
    same_channel = [i for i in usable.values() if i.kind == kind]
    anytime = reply_fallback_identity_kinds()
    fallback = [i for i in usable.values() if i.kind in anytime]
    return (same_channel or fallback or list(usable.values()))[0]


def reply_fallback_identity_kinds() -> set[str]:
    """Identity kinds whose channel reaches a customer at any time (email): adapters say so
    with ``reply_fallback``; the core names no channel."""
    kinds = set()
    for kind in channel_kinds():
        if getattr(get_adapter(kind), "reply_fallback", False):
            identity_kind = IDENTITY_KIND_FOR_INBOX.get(kind)  # type: ignore[call-overload]
            if identity_kind is not None:
                kinds.add(str(identity_kind))
    return kinds


def canned_in_language_order(canned, *, language: str):
    """Canned responses in the ticket's language first, then those without one, then the rest."""
    return canned.annotate(
        language_rank=Case(
            When(language=language or "-", then=Value(0)),
            When(language="", then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    ).order_by("language_rank", "name")
