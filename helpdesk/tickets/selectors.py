"""Reads on tickets, always through what the user is allowed to see."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from helpdesk.accounts.models import AgentProfile
from helpdesk.contacts.models import Contact
from helpdesk.tickets.models import Handler, Inbox, InboxAddress, Ticket, inbox_address_key
from orders_link.late import shipments_late
from orders_link.models import Order


def _profile(user: User | AnonymousUser) -> AgentProfile | None:
    if not user.is_authenticated:
        return None
    return getattr(user, "agent_profile", None)


def is_staff_member(user: User | AnonymousUser) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or _profile(user) is not None))


def sees_everything(user: User | AnonymousUser) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    profile = _profile(user)
    return bool(profile and profile.is_manager)


def tickets_for_agents(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The tickets people answer: not those a conversation handler such as the bot owns."""
    return tickets.filter(handler=Handler.AGENTS)


def tickets_with_bot(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The tickets another conversation handler (the bot) owns, until it hands them over."""
    return tickets.exclude(handler=Handler.AGENTS)


def tickets_visible_to(user: User | AnonymousUser) -> QuerySet[Ticket]:
    """Managers and admins see every ticket; an agent sees their teams' tickets, tickets
    assigned to them, and tickets with no team unless HELPDESK_AGENTS_SEE_UNTEAMED is off.
    Anyone else sees nothing."""
    tickets = Ticket.objects.all()
    if sees_everything(user):
        return tickets
    profile = _profile(user)
    if profile is None:
        return tickets.none()
    rule = Q(team__in=profile.teams.all()) | Q(assignee=user)
    if settings.HELPDESK_AGENTS_SEE_UNTEAMED:
        rule |= Q(team__isnull=True)
    return tickets.filter(rule)


def inboxes_visible_to(user: User | AnonymousUser) -> QuerySet[Inbox]:
    if sees_everything(user):
        return Inbox.objects.all()
    profile = _profile(user)
    if profile is None:
        return Inbox.objects.none()
    rule = Q(team__in=profile.teams.all())
    if settings.HELPDESK_AGENTS_SEE_UNTEAMED:
        rule |= Q(team__isnull=True)
    return Inbox.objects.filter(rule)


def delayed_order_exists(*, today: date | None = None, ref: str = "order_id") -> Exists:
    """True for rows whose order (``ref``) has a late shipment, as the delay scan defines it
    (``orders_link.late``)."""
    today = today or timezone.localdate()
    return Exists(shipments_late(today=today).filter(order=OuterRef(ref)))


def orders_visible_to(user: User | AnonymousUser):
    """Orders of contacts the user has a visible ticket with (every order for managers)."""
    if sees_everything(user):
        return Order.objects.all()
    return Order.objects.filter(contact__in=tickets_visible_to(user).values("contact_id"))


def contacts_visible_to(user: User | AnonymousUser):
    if sees_everything(user):
        return Contact.objects.all()
    return Contact.objects.filter(pk__in=tickets_visible_to(user).values("contact_id"))


def inbox_for_address(*, address: str, kinds: Iterable[str]) -> Inbox | None:
    """The enabled inbox of one of ``kinds`` that ``address`` (an email recipient, a Twilio
    ``To``) lands in: one of its addresses; None when no inbox has that address."""
    kinds = list(kinds)
    keys = {inbox_address_key(kind=kind, address=address) for kind in kinds}
    row = (
        InboxAddress.objects.filter(address__in=keys, inbox__kind__in=kinds, inbox__enabled=True)
        .select_related("inbox")
        .first()
    )
    if row is not None:
        return row.inbox
    # An inbox never saved on the settings page (made by a command or the admin) is reached
    # at the address of its configuration.
    for inbox in Inbox.objects.filter(kind__in=kinds, enabled=True, addresses=None):
        config = inbox.config or {}
        names = [config.get("address"), config.get("from"), *(config.get("aliases") or [])]
        if keys & {inbox_address_key(kind=inbox.kind, address=n) for n in names if n}:
            return inbox
    return None
