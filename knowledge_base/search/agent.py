"""The agents' one search: tickets (number, subject), message text, contacts (name, email,
phone in any format), orders (number), shipments (tracking number) and articles.

Every part goes through the same visibility rules as the inbox (``tickets_visible_to`` and
the selectors built on it): an agent never sees, in results, counts or snippets, a ticket of
a team they cannot see, nor a contact or order known only through such tickets."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser, User
from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import F, Q, QuerySet

from helpdesk.contacts.models import Contact, ContactIdentity, IdentityKind
from helpdesk.tickets.models import Message, Ticket
from helpdesk.tickets.selectors import (
    contacts_visible_to,
    orders_visible_to,
    tickets_visible_to,
)
from knowledge_base.search import ArticleHit, article_search_hits
from knowledge_base.search.backends import get_backend
from knowledge_base.search.backends.database import statement_timeout
from knowledge_base.search.text import ParsedQuery, highlight, parse_query
from knowledge_base.search.types import SearchTimeout
from orders_link.models import Order, Shipment

logger = logging.getLogger(__name__)

CAP = 200  # matches read per source: counts above it are shown as "200+"
MAX_QUERY = 200
_PHONE = re.compile(r"^\+?[\d\s().\-/]{6,}$")
_EMAIL = re.compile(r"^[^\s@]+@[^\s@]*$|^[^\s@]*@[^\s@]+$")
_TICKET_NUMBER = re.compile(r"^#?(\d{1,12})$")


@dataclass
class TicketResult:
    ticket: Ticket
    why: str  # "number", "subject", "message", "contact", "order", "shipment"
    snippet_html: str = ""


@dataclass
class AgentResults:
    query: str
    tickets: list[TicketResult] = field(default_factory=list)
    ticket_count: int = 0
    ticket_count_capped: bool = False
    contacts: list[Contact] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    shipments: list[Shipment] = field(default_factory=list)
    articles: list[ArticleHit] = field(default_factory=list)
    timed_out: bool = False

    @property
    def empty(self) -> bool:
        return not (self.tickets or self.contacts or self.orders or self.shipments or self.articles)


def phone_digits(text: str) -> str:
    """The digits that identify a phone number whatever its spelling: without the
    international prefix (00 or +) and without the trunk 0 of a national number, so
    '06 12 34 56 78', '+33 6 12 34 56 78' and '0033612345678' all end with '612345678'."""
    digits = "".join(ch for ch in text if ch.isdigit())
    if text.strip().startswith("+"):
        return digits
    if digits.startswith("00"):
        return digits[2:]
    if digits.startswith("0"):
        return digits[1:]
    return digits


def _visible_tickets(user: User | AnonymousUser) -> QuerySet[Ticket]:
    return tickets_visible_to(user)


def contacts_matching(*, user: User | AnonymousUser, query: str, limit: int = CAP):
    """Contacts (visible to ``user``) by email, phone in any format, or name."""
    text = query.strip()[:MAX_QUERY]
    if len(text) < 2:
        return Contact.objects.none()
    visible = contacts_visible_to(user)
    rule = Q()
    if _PHONE.match(text) and sum(ch.isdigit() for ch in text) >= 6:
        digits = phone_digits(text)
        rule = Q(
            pk__in=ContactIdentity.objects.filter(
                kind__in=[IdentityKind.PHONE, IdentityKind.WHATSAPP], address__endswith=digits
            ).values("contact_id")
        )
    elif _EMAIL.match(text):
        rule = Q(
            pk__in=ContactIdentity.objects.filter(
                kind=IdentityKind.EMAIL, address__icontains=text.lower()
            ).values("contact_id")
        )
    elif any(ch.isdigit() for ch in text):
        # A number (order, parcel, reference) is no one's name: only exact identities.
        rule = Q(pk__in=ContactIdentity.objects.filter(address=text).values("contact_id"))
    else:
        rule = Q(name__icontains=text)
        if connection.vendor == "postgresql" and len(text) >= 3:
            rule |= Q(name__trigram_similar=text)  # typos: "Camile Martn"
        rule |= Q(pk__in=ContactIdentity.objects.filter(address__iexact=text).values("contact_id"))
    contacts = visible.filter(rule).filter(merged_into__isnull=True)
    if connection.vendor == "postgresql" and len(text) >= 3 and not any(c.isdigit() for c in text):
        # Closest names first.
        contacts = contacts.annotate(similarity=TrigramSimilarity("name", text)).order_by(
            "-similarity", "-id"
        )
        return contacts[:limit]
    return contacts.order_by("-id")[:limit]


def orders_matching(*, user: User | AnonymousUser, query: str, limit: int = CAP):
    text = query.strip().lstrip("#")[:64]
    if not text or " " in text:
        return Order.objects.none()
    numbers = {text, text.upper(), f"#{text}", f"#{text.upper()}"}
    return orders_visible_to(user).filter(number__in=numbers).order_by("-id")[:limit]


def shipments_matching(*, user: User | AnonymousUser, query: str, limit: int = CAP):
    text = re.sub(r"\s+", "", query.strip())[:64]
    if len(text) < 4:
        return Shipment.objects.none()
    return (
        Shipment.objects.filter(tracking_number__in={text, text.upper()})
        .filter(order__in=orders_visible_to(user))
        .select_related("order")
        .order_by("-id")[:limit]
    )


def _text_matches(parsed: ParsedQuery, visible: QuerySet[Ticket], limit: int):
    backend = get_backend()
    subject = backend.search_tickets(query=parsed, visible=visible, limit=limit)
    messages = backend.search_messages(query=parsed, visible=visible, limit=limit)
    return subject, messages


def ticket_ids_matching(*, user: User | AnonymousUser, query: str) -> list[int]:
    """Ids of the visible tickets the search finds (at most CAP per source): for the
    ticket list's search box, which keeps its own filters, order and pages."""
    query = (query or "")[:MAX_QUERY].strip()
    if not query:
        return []
    results = AgentResults(query=query)
    found, _message_of = _find_tickets(results, user, query, limit=CAP)
    return list(found)


def agent_search(
    *, user: User | AnonymousUser, query: str, ticket_limit: int = 25, limit: int = 10
) -> AgentResults:
    query = (query or "")[:MAX_QUERY].strip()
    results = AgentResults(query=query)
    if not query:
        return results
    try:
        with statement_timeout():
            return _agent_search(results, user, query, ticket_limit, limit)
    except SearchTimeout:
        results.timed_out = True
        return results


def _agent_search(
    results: AgentResults,
    user: User | AnonymousUser,
    query: str,
    ticket_limit: int,
    limit: int,
) -> AgentResults:
    language = getattr(getattr(user, "agent_profile", None), "language", "") or "en"
    visible = _visible_tickets(user)
    parsed = parse_query(query)
    found, message_of = _find_tickets(results, user, query, limit=limit)
    # The newest tickets found, read and ordered by the database (a ticket found by its
    # number first).
    first = [pk for pk, why in found.items() if why == "number"]
    ordered = list(
        visible.filter(pk__in=first).select_related("contact", "inbox", "assignee", "team")
    )
    ordered += list(
        visible.filter(pk__in=[pk for pk in found if pk not in first])
        .select_related("contact", "inbox", "assignee", "team")
        .order_by(F("last_message_at").desc(nulls_last=True), "-pk")[: ticket_limit - len(ordered)]
    )
    texts = dict(
        Message.objects.filter(
            pk__in=[message_of[t.pk] for t in ordered if t.pk in message_of]
        ).values_list("pk", "text")
    )
    for ticket in ordered:
        why = found[ticket.pk]
        snippet = ""
        if why == "message":
            snippet = highlight(texts.get(message_of[ticket.pk], ""), parsed, None)
        elif why == "subject":
            snippet = highlight(ticket.subject, parsed, None)
        results.tickets.append(TicketResult(ticket=ticket, why=why, snippet_html=snippet))

    results.articles = article_search_hits(
        query=query, language=language, limit=5, audience="agents"
    ) or article_search_hits(
        query=query, language="fr" if language == "en" else "en", limit=5, audience="agents"
    )
    return results


def _find_tickets(
    results: AgentResults, user: User | AnonymousUser, query: str, *, limit: int
) -> tuple[dict[int, str], dict[int, int]]:
    """Fills the contacts, orders and shipments of ``results`` and its ticket count; returns
    the visible tickets found (id -> why) and the matching message of each found by text."""
    visible = _visible_tickets(user)
    parsed = parse_query(query)
    found: dict[int, str] = {}
    capped = False

    number = _TICKET_NUMBER.match(query)
    if number:
        pk = int(number.group(1))
        if visible.filter(pk=pk).exists():
            found[pk] = "number"

    try:
        subject_hits, message_hits = _text_matches(parsed, visible, CAP)
    except SearchTimeout:
        results.timed_out = True
        subject_hits, message_hits = [], []
    except Exception:
        logger.exception("search: ticket search failed")
        subject_hits, message_hits = [], []
    capped |= len(subject_hits) >= CAP or len(message_hits) >= CAP
    for hit in subject_hits:
        found.setdefault(hit.ticket_id, "subject")
    message_of: dict[int, int] = {}
    for hit in message_hits:
        if hit.ticket_id not in found:
            found[hit.ticket_id] = "message"
            message_of[hit.ticket_id] = hit.pk

    results.contacts = list(contacts_matching(user=user, query=query, limit=limit))
    results.orders = list(
        orders_matching(user=user, query=query, limit=limit).select_related("contact")
    )
    results.shipments = list(shipments_matching(user=user, query=query, limit=limit))
    contact_ids = {c.pk for c in results.contacts}
    # An order or a parcel brings the tickets linked to it and its customer's tickets.
    order_ids = {o.pk for o in results.orders}
    order_contacts = {o.contact_id for o in results.orders if o.contact_id}
    shipment_orders = {s.order_id for s in results.shipments}
    shipment_contacts = {s.order.contact_id for s in results.shipments if s.order.contact_id}
    related = Q()
    if contact_ids:
        related |= Q(contact__in=contact_ids)
    if order_ids:
        related |= Q(order__in=order_ids) | Q(contact__in=order_contacts)
    if shipment_orders:
        related |= Q(order__in=shipment_orders) | Q(contact__in=shipment_contacts)
    if related:
        rows = list(visible.filter(related).values_list("pk", "contact_id", "order_id")[:CAP])
        capped |= len(rows) >= CAP
        for pk, contact_id, order_id in rows:
            if pk not in found:
                found[pk] = (
                    "contact"
                    if contact_id in contact_ids
                    else "order"
                    if order_id in order_ids or contact_id in order_contacts
                    else "shipment"
                )
    results.ticket_count = len(found)
    results.ticket_count_capped = capped
    return found, message_of
