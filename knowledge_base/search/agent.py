"""The agents' one search: tickets (number, subject), message text, contacts (name, email,
phone in any format), orders (number), shipments (tracking number) and articles.

Every part goes through the same visibility rules as the inbox (``tickets_visible_to`` and
the selectors built on it, as subqueries, never as lists of ids read into Python): an agent
never sees, in results, counts or snippets, a ticket of a team they cannot see, nor a contact
or order known only through such tickets.

A search is a handful of queries in one transaction under the statement timeout: the text
of subjects and messages (one query), contacts, orders and parcels (only for queries shaped
like them: an email, a phone number, a code), then one query reading the page of tickets
found with their count, and the help-centre articles for plain words."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser, User
from django.contrib.postgres.search import TrigramSimilarity
from django.db import DatabaseError, connection
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When, Window
from django.db.models.functions import Reverse

from helpdesk.contacts.models import Contact, ContactIdentity, IdentityKind
from helpdesk.tickets.models import Message, Ticket
from helpdesk.tickets.selectors import (
    contacts_visible_to,
    orders_visible_to,
    sees_everything,
    tickets_visible_to,
)
from knowledge_base.search import ArticleHit, article_search_hits
from knowledge_base.search.backends import get_backend
from knowledge_base.search.backends.database import statement_timeout
from knowledge_base.search.text import highlight, parse_query
from knowledge_base.search.types import SearchTimeout
from orders_link.models import Order, Shipment

logger = logging.getLogger(__name__)

CAP = 100  # matches read per source: counts above it are shown as "100+"
MAX_QUERY = 200
_PHONE = re.compile(r"^\+?[\d\s().\-/]{6,}$")
_EMAIL = re.compile(r"^[^\s@]+@[^\s@]*$|^[^\s@]*@[^\s@]+$")
_FULL_EMAIL = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@.]+$")
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


def _is_phone(text: str) -> bool:
    return bool(_PHONE.match(text)) and sum(ch.isdigit() for ch in text) >= 6


def _is_code(text: str) -> bool:
    """An order number, a parcel's tracking number, a reference: one token with a digit."""
    return bool(text) and " " not in text and "@" not in text and any(c.isdigit() for c in text)


def contacts_matching(*, user: User | AnonymousUser, query: str, limit: int = CAP):
    """Contacts (visible to ``user``) by email, phone in any format, or name."""
    text = query.strip()[:MAX_QUERY]
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1].strip()
    if len(text) < 2:
        return Contact.objects.none()
    visible = contacts_visible_to(user)
    identities = ContactIdentity.objects.all()
    if _is_phone(text):
        digits = phone_digits(text)
        phones = identities.filter(kind__in=[IdentityKind.PHONE, IdentityKind.WHATSAPP])
        if connection.vendor == "postgresql":
            # A btree on the reversed address finds the numbers ending with these digits.
            phones = phones.annotate(reversed_address=Reverse("address")).filter(
                reversed_address__startswith=digits[::-1]
            )
        else:
            phones = phones.filter(address__endswith=digits)
        rule = Q(pk__in=phones.values("contact_id")[:CAP])
    elif _FULL_EMAIL.match(text):
        # A whole address: the unique index, exactly (addresses are stored in lower case).
        rule = Q(
            pk__in=identities.filter(kind=IdentityKind.EMAIL, address=text.lower()).values(
                "contact_id"
            )[:CAP]
        )
    elif _EMAIL.match(text):
        rule = Q(
            pk__in=identities.filter(
                kind=IdentityKind.EMAIL, address__icontains=text.lower()
            ).values("contact_id")[:CAP]
        )
    elif any(ch.isdigit() for ch in text):
        # A number (order, parcel, reference) is no one's name: only exact identities.
        rule = Q(pk__in=identities.filter(address=text).values("contact_id")[:CAP])
    else:
        # One subquery of ids, each part through its own index (an OR of them would read
        # every contact): names by substring, by similarity (typos: "Camile Martn"), and
        # identities spelled exactly so (a Telegram username).
        names = Contact.objects.order_by()
        ids = (
            names.filter(name__icontains=text)
            .values("pk")
            .union(identities.order_by().filter(address__iexact=text).values("contact_id"))
        )
        if connection.vendor == "postgresql" and len(text) >= 3:
            ids = ids.union(names.filter(name__trigram_similar=text).values("pk"))
        rule = Q(pk__in=ids)
    contacts = visible.filter(rule).filter(merged_into__isnull=True)
    if connection.vendor == "postgresql" and len(text) >= 3 and not any(c.isdigit() for c in text):
        # Closest names first.
        contacts = contacts.annotate(similarity=TrigramSimilarity("name", text)).order_by(
            "-similarity", "-id"
        )
        return contacts[:limit]
    # Newest first; "-id" + 0 so that the database finds the few identities by their index
    # rather than walking every contact backwards in the hope of meeting them.
    return contacts.order_by((F("id") + 0).desc())[:limit]


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


@dataclass
class _Found:
    """What one search found, before the page of tickets is read."""

    number: int | None = None
    subjects: set[int] = field(default_factory=set)
    message_of: dict[int, int] = field(default_factory=dict)  # ticket -> newest message
    contact_ids: set[int] = field(default_factory=set)
    order_ids: set[int] = field(default_factory=set)
    order_contacts: set[int] = field(default_factory=set)
    capped: bool = False

    def rule(self) -> Q | None:
        """Which tickets were found, as one filter (applied to the visible tickets)."""
        rule = Q()
        ids = set(self.subjects) | set(self.message_of)
        if self.number is not None:
            ids.add(self.number)
        if ids:
            rule |= Q(pk__in=ids)
        if self.contact_ids or self.order_contacts:
            rule |= Q(contact__in=self.contact_ids | self.order_contacts)
        if self.order_ids:
            rule |= Q(order__in=self.order_ids)
        return rule if rule else None

    def why(self, pk: int, contact_id: int | None, order_id: int | None) -> str:
        if pk == self.number:
            return "number"
        if pk in self.subjects:
            return "subject"
        if pk in self.message_of:
            return "message"
        if contact_id in self.contact_ids:
            return "contact"
        return "order"


def _find(
    results: AgentResults, user: User | AnonymousUser, query: str, *, limit: int
) -> tuple[_Found, QuerySet[Ticket]]:
    """Fills the contacts, orders and parcels of ``results``; returns what was found and the
    tickets the user may see (a lazy queryset: a subquery of the next read)."""
    visible = tickets_visible_to(user)
    parsed = parse_query(query)
    found = _Found()
    number = _TICKET_NUMBER.match(query)
    if number:
        found.number = int(number.group(1))

    backend = get_backend()
    if not parsed.empty:
        only_some = None if sees_everything(user) else visible
        try:
            if hasattr(backend, "search_ticket_text"):
                subjects, messages = backend.search_ticket_text(
                    query=parsed, visible=only_some, limit=CAP
                )
            else:
                subjects = backend.search_tickets(query=parsed, visible=visible, limit=CAP)
                messages = backend.search_messages(query=parsed, visible=visible, limit=CAP)
        except SearchTimeout:
            raise
        except DatabaseError as error:
            # The transaction cannot go on: answer with what was found (nothing yet).
            logger.exception("search: ticket search failed")
            raise SearchTimeout from error
        except Exception:
            # An external backend failed: the records found in the database still answer.
            logger.exception("search: ticket search failed")
            subjects, messages = [], []
        found.capped = len(subjects) >= CAP or len(messages) >= CAP
        found.subjects = {hit.ticket_id for hit in subjects}
        for hit in messages:  # newest first: the first one of each ticket is its newest
            found.message_of.setdefault(hit.ticket_id, hit.pk)

    text = query.strip()
    if _is_phone(text) or _EMAIL.match(text) or len(text) >= 2:
        results.contacts = list(
            contacts_matching(user=user, query=query, limit=limit).prefetch_related("identities")
        )
    if _is_code(text.lstrip("#")):
        results.orders = list(
            orders_matching(user=user, query=query, limit=limit).select_related("contact")
        )
        results.shipments = list(shipments_matching(user=user, query=query, limit=limit))
    found.contact_ids = {c.pk for c in results.contacts}
    # An order or a parcel brings the tickets linked to it and its customer's tickets.
    found.order_ids = {o.pk for o in results.orders} | {s.order_id for s in results.shipments}
    found.order_contacts = {o.contact_id for o in results.orders if o.contact_id} | {
        s.order.contact_id for s in results.shipments if s.order.contact_id
    }
    return found, visible


def ticket_ids_matching(*, user: User | AnonymousUser, query: str) -> list[int]:
    """Ids of the visible tickets the search finds (at most CAP per source): for the
    ticket list's search box, which keeps its own filters, order and pages."""
    query = (query or "")[:MAX_QUERY].strip()
    if not query:
        return []
    try:
        with statement_timeout():
            found, visible = _find(AgentResults(query=query), user, query, limit=CAP)
            rule = found.rule()
            if rule is None:
                return []
            return list(visible.filter(rule).values_list("pk", flat=True)[: 3 * CAP])
    except SearchTimeout:
        return []


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
    parsed = parse_query(query)
    found, visible = _find(results, user, query, limit=limit)
    rule = found.rule()
    if rule is not None:
        # One read: the page of tickets found (a ticket found by its number first, then the
        # newest), and how many were found in all, both among the visible tickets only.
        page = list(
            visible.filter(rule)
            .select_related("contact", "inbox", "assignee", "team")
            .annotate(
                found_total=Window(Count("pk")),
                by_number=Case(
                    When(pk=found.number if found.number is not None else -1, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                ),
            )
            .order_by("by_number", F("last_message_at").desc(nulls_last=True), "-pk")[:ticket_limit]
        )
        results.ticket_count = page[0].found_total if page else 0
        results.ticket_count_capped = found.capped
        wanted = [found.message_of[t.pk] for t in page if t.pk in found.message_of]
        texts = (
            dict(Message.objects.filter(pk__in=wanted).values_list("pk", "text")) if wanted else {}
        )
        for ticket in page:
            why = found.why(ticket.pk, ticket.contact_id, ticket.order_id)
            snippet = ""
            if why == "message":
                snippet = highlight(texts.get(found.message_of[ticket.pk], ""), parsed, None)
            elif why == "subject":
                snippet = highlight(ticket.subject, parsed, None)
            results.tickets.append(TicketResult(ticket=ticket, why=why, snippet_html=snippet))

    if not parsed.empty and not any(ch.isdigit() or ch == "@" for ch in query):
        # Articles answer words; a number, an email or a phone number is a record's.
        results.articles = article_search_hits(
            query=query, language=language, limit=5, audience="agents"
        ) or article_search_hits(
            query=query, language="fr" if language == "en" else "en", limit=5, audience="agents"
        )
    return results
