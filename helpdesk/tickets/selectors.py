"""Reads on tickets, always through what the user is allowed to see."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet

from helpdesk.accounts.models import AgentProfile
from helpdesk.tickets.models import Inbox, Message, Ticket


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


def tickets_visible_to(user: User | AnonymousUser) -> QuerySet[Ticket]:
    """Managers and admins see every ticket; an agent sees their teams' tickets, tickets with
    no team, and tickets assigned to them. Anyone else sees nothing."""
    tickets = Ticket.objects.all()
    if sees_everything(user):
        return tickets
    profile = _profile(user)
    if profile is None:
        return tickets.none()
    return tickets.filter(Q(team__isnull=True) | Q(team__in=profile.teams.all()) | Q(assignee=user))


def inboxes_visible_to(user: User | AnonymousUser) -> QuerySet[Inbox]:
    if sees_everything(user):
        return Inbox.objects.all()
    profile = _profile(user)
    if profile is None:
        return Inbox.objects.none()
    return Inbox.objects.filter(Q(team__isnull=True) | Q(team__in=profile.teams.all()))


def ticket_timeline(ticket: Ticket) -> QuerySet[Message]:
    return (
        ticket.messages.select_related("author", "identity", "inbox")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
