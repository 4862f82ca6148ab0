"""Agent actions on a ticket: status, assignment, team, priority, tags, merge, split, order."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk import domain_events
from helpdesk.accounts.models import AgentProfile
from helpdesk.contracts import DomainError
from helpdesk.tickets import events
from helpdesk.tickets.models import (
    UNSOLVED_STATUSES,
    Direction,
    Message,
    MessageKind,
    Priority,
    Tag,
    Ticket,
    TicketStatus,
)
from helpdesk.tickets.services.common import (
    _automations_run,
    _user_label,
    ticket_event_record,
    ticket_status_event,
)
from orders_link.models import Order

logger = logging.getLogger(__name__)


def ticket_set_status(
    *,
    ticket: Ticket,
    status: str,
    actor: User | None = None,
    automate: bool = True,
) -> Ticket:
    """Move the ticket to ``status``.

    The row is locked and read again first, and only the status fields (and the SLA clocks
    they move) are saved: a message received at the same moment keeps its
    ``last_message_at``, ``last_inbound_at`` and reopening. ``ticket`` is refreshed in place.
    """
    if status not in TicketStatus.values:
        raise DomainError(_("Unknown status."), code="unknown_status")
    with transaction.atomic():
        _ticket_refresh_locked(ticket)
        old = ticket.status
        if status == old:
            return ticket
        now = timezone.now()
        fields = ["status", "status_changed_at", "updated_at"]
        # Before the new status is set: the SLA clocks pause or resume (in-transaction
        # subscriber) from the ticket as it was.
        fields += domain_events.emit(
            domain_events.TicketStatusChanged(
                ticket_id=ticket.pk, old=old, new=status, actor_id=actor.pk if actor else None
            ),
            ticket=ticket,
            now=now,
        )
        ticket.status = status
        ticket.status_changed_at = now
        if status == TicketStatus.SOLVED:
            ticket.solved_at = now
            fields.append("solved_at")
        elif status == TicketStatus.CLOSED:
            ticket.closed_at = now
            ticket.solved_at = ticket.solved_at or now
            fields += ["closed_at", "solved_at"]
        elif old in {TicketStatus.SOLVED, TicketStatus.CLOSED}:
            ticket.reopened_count += 1
            ticket.solved_at = None
            ticket.closed_at = None
            fields += ["reopened_count", "solved_at", "closed_at"]
        ticket.save(update_fields=sorted(set(fields)))
        ticket_status_event(ticket, old=old, new=status, actor=actor)
        if automate:
            _automations_run(ticket, trigger="updated")
        events.ticket_event(ticket, change="status")
    return ticket


def _ticket_refresh_locked(ticket: Ticket) -> None:
    """Lock the ticket's row until the end of the transaction and load its current values
    into ``ticket`` (what a concurrent receive wrote since it was read)."""
    locked = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    for field in Ticket._meta.concrete_fields:
        setattr(ticket, field.attname, getattr(locked, field.attname))


def ticket_assign(
    *,
    ticket: Ticket,
    assignee: User | None,
    actor: User | None = None,
    automate: bool = True,
) -> Ticket:
    """Give the ticket to an agent (or to nobody)."""
    if assignee is not None and getattr(assignee, "agent_profile", None) is None:
        raise DomainError(_("Only support staff can be assigned tickets."))
    if ticket.assignee_id == (assignee.pk if assignee else None):
        return ticket
    with transaction.atomic():
        ticket.assignee = assignee
        ticket.save(update_fields=["assignee", "updated_at"])
        if assignee is not None:
            AgentProfile.objects.filter(user=assignee).update(last_assigned_at=timezone.now())
        ticket_event_record(
            ticket,
            actor=actor,
            event="assign",
            to=_user_label(assignee),
            to_id=assignee.pk if assignee else None,
        )
        if automate:
            _automations_run(ticket, trigger="updated")
        events.ticket_event(ticket, change="assignee")
    return ticket


def ticket_set_team(
    *, ticket: Ticket, team, actor: User | None = None, automate: bool = True
) -> Ticket:
    if ticket.team_id == (team.pk if team else None):
        return ticket
    with transaction.atomic():
        ticket.team = team
        ticket.save(update_fields=["team", "updated_at"])
        ticket_event_record(
            ticket,
            actor=actor,
            event="team",
            to=team.name if team else "",
            to_id=getattr(team, "pk", None),
        )
        if automate:
            _automations_run(ticket, trigger="updated")
        events.ticket_event(ticket, change="team")
    return ticket


def ticket_assign_round_robin(
    *, ticket: Ticket, team, actor: User | None = None, automate: bool = False
) -> User | None:
    """Assign to the team's available agent who waited longest for a ticket, skipping agents
    at their open-ticket cap. Returns the agent, or None when everyone is full or away."""
    with transaction.atomic():
        # Lock the team's rows so two tickets arriving together never pick the same agent
        # past their cap.
        candidates = list(
            AgentProfile.objects.select_for_update(of=("self",))
            .filter(teams=team, available=True, user__is_active=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not candidates:
            return None
        profile = (
            AgentProfile.objects.filter(pk__in=candidates)
            .annotate(
                load=Count(
                    "user__assigned_tickets",
                    filter=Q(user__assigned_tickets__status__in=UNSOLVED_STATUSES),
                )
            )
            .filter(load__lt=F("max_open_tickets"))
            .select_related("user")
            .order_by(F("last_assigned_at").asc(nulls_first=True), "pk")
            .first()
        )
        if profile is None:
            return None
        if ticket.team_id != team.pk:
            ticket_set_team(ticket=ticket, team=team, actor=actor, automate=False)
        ticket_assign(ticket=ticket, assignee=profile.user, actor=actor, automate=automate)
        return profile.user


def ticket_set_priority(
    *, ticket: Ticket, priority: int, actor: User | None = None, automate: bool = True
) -> Ticket:
    """Change the priority; the SLA targets follow the policy of the new priority, counted
    from the ticket's creation."""
    priority = int(priority)
    if priority not in Priority.values:
        raise DomainError(_("Unknown priority."), code="unknown_priority")
    if priority == ticket.priority:
        return ticket
    with transaction.atomic():
        old = ticket.priority
        ticket.priority = priority
        fields = {"priority", "updated_at"}
        fields |= domain_events.emit(  # the SLA targets follow (an in-transaction subscriber)
            domain_events.TicketPriorityChanged(
                ticket_id=ticket.pk, old=old, new=priority, actor_id=actor.pk if actor else None
            ),
            ticket=ticket,
        )
        ticket.save(update_fields=sorted(fields))
        ticket_event_record(ticket, actor=actor, event="priority", **{"from": old, "to": priority})
        if automate:
            _automations_run(ticket, trigger="updated")
        events.ticket_event(ticket, change="priority")
    return ticket


def ticket_tags_change(
    *,
    ticket: Ticket,
    add: list[str] = (),  # type: ignore[assignment]
    remove: list[str] = (),  # type: ignore[assignment]
    actor: User | None = None,
    automate: bool = True,
) -> Ticket:
    add_names = {n.strip()[:50] for n in add if n and n.strip()}
    remove_names = {n.strip() for n in remove if n and n.strip()}
    with transaction.atomic():
        current = set(ticket.tags.values_list("name", flat=True))
        to_add = add_names - current
        to_remove = remove_names & current
        if not to_add and not to_remove:
            return ticket
        for name in sorted(to_add):
            tag, _created = Tag.objects.get_or_create(name=name)
            ticket.tags.add(tag)
        if to_remove:
            ticket.tags.remove(*Tag.objects.filter(name__in=to_remove))
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now())
        ticket_event_record(
            ticket, actor=actor, event="tags", added=sorted(to_add), removed=sorted(to_remove)
        )
        if automate:
            _automations_run(ticket, trigger="updated")
        events.ticket_event(ticket, change="tags")
    return ticket


def ticket_merge(*, source: Ticket, target: Ticket, actor: User | None = None) -> Ticket:
    """Move every message of ``source`` into ``target`` (keeping their times) and close
    ``source``, which points at ``target`` from then on."""
    if source.pk == target.pk:
        raise DomainError(_("A ticket cannot be merged into itself."))
    if target.merged_into_id is not None:
        raise DomainError(_("The target ticket was itself merged away."))
    with transaction.atomic():
        locked = {
            t.pk: t
            for t in Ticket.objects.select_for_update().filter(pk__in=[source.pk, target.pk])
        }
        source, target = locked[source.pk], locked[target.pk]
        if source.merged_into_id is not None:
            raise DomainError(
                _("Ticket #%(id)d was already merged into another.") % {"id": source.pk}
            )
        if target.merged_into_id is not None:
            raise DomainError(_("The target ticket was itself merged away."))
        moved = Message.objects.filter(ticket=source).update(ticket=target)
        _merge_into_target(source, target)
        old_status = source.status
        _merge_close_source(source, target)
        ticket_event_record(source, actor=actor, event="merged_into", ticket=target.pk)
        if old_status != TicketStatus.CLOSED:
            ticket_status_event(source, old=old_status, new=TicketStatus.CLOSED, actor=actor)
            domain_events.emit(
                domain_events.TicketStatusChanged(
                    ticket_id=source.pk,
                    old=old_status,
                    new=TicketStatus.CLOSED,
                    actor_id=actor.pk if actor else None,
                )
            )
        ticket_event_record(
            target, actor=actor, event="merged_from", ticket=source.pk, messages=moved
        )
        events.ticket_event(source, change="merged")
        events.ticket_event(target, change="merged")
    return target


def _merge_into_target(source: Ticket, target: Ticket) -> None:
    """The target takes the source's tags, its order if it had none, and the later of their
    message times."""
    target.tags.add(*source.tags.all())
    fields = ["updated_at"]
    if target.order_id is None and source.order_id is not None:
        target.order_id = source.order_id
        fields.append("order")
    for name in ("last_message_at", "last_inbound_at"):
        a, b = getattr(source, name), getattr(target, name)
        if a and (b is None or a > b):
            setattr(target, name, a)
            fields.append(name)
    target.save(update_fields=fields)


def _merge_close_source(source: Ticket, target: Ticket) -> None:
    """The source closes and points at the target from then on."""
    now = timezone.now()
    source.merged_into = target
    source.status = TicketStatus.CLOSED
    source.closed_at = now
    source.solved_at = source.solved_at or now
    source.status_changed_at = now
    source.sla_paused_at = None
    source.save(
        update_fields=[
            "merged_into",
            "status",
            "closed_at",
            "solved_at",
            "status_changed_at",
            "sla_paused_at",
            "updated_at",
        ]
    )


def ticket_split(*, message: Message, actor: User | None = None) -> Ticket:
    """Move one customer message (and its attachments) into a new ticket of the same
    contact and inbox."""
    if message.kind != MessageKind.MESSAGE:
        raise DomainError(_("Only a message can be split off, not a note or an event."))
    with transaction.atomic():
        message = Message.objects.get(pk=message.pk)
        source = Ticket.objects.select_for_update().get(pk=message.ticket_id)
        others = source.messages.filter(kind=MessageKind.MESSAGE).exclude(pk=message.pk).exists()
        if not others:
            raise DomainError(_("This is the ticket's only message: nothing to split it from."))
        now = timezone.now()
        subject = message.subject or (message.text.strip().splitlines() or [""])[0][:80]
        new = Ticket.objects.create(
            contact=source.contact,
            inbox=message.inbox or source.inbox,
            team=source.team,
            subject=subject[:255] or source.subject,
            priority=source.priority,
            language=source.language,
            last_message_at=message.created_at,
            last_inbound_at=message.created_at if message.direction == Direction.INBOUND else None,
        )
        Message.objects.filter(pk=message.pk).update(ticket=new)
        fields = domain_events.emit(
            domain_events.TicketCreated(
                ticket_id=new.pk,
                inbox_id=new.inbox_id,
                channel=new.inbox.kind,
                contact_id=new.contact_id,
            ),
            ticket=new,
        )
        if fields:
            new.save(update_fields=sorted(fields))
        ticket_event_record(
            source, actor=actor, event="split_to", ticket=new.pk, message=message.pk
        )
        ticket_event_record(
            new, actor=actor, event="split_from", ticket=source.pk, message=message.pk
        )
        Ticket.objects.filter(pk=source.pk).update(updated_at=now)
        events.ticket_event(source, change="split")
        events.ticket_event(new, change="created")
    return new


def ticket_link_order(*, ticket: Ticket, order: Order | None, actor: User | None = None) -> Ticket:
    """Link one of the ticket contact's own orders, or unlink with ``order=None``."""
    if order is not None and order.contact_id != ticket.contact_id:
        raise DomainError(_("This order belongs to another customer."))
    if ticket.order_id == (order.pk if order else None):
        return ticket
    with transaction.atomic():
        ticket.order = order
        ticket.save(update_fields=["order", "updated_at"])
        ticket_event_record(
            ticket,
            actor=actor,
            event="order_link" if order else "order_unlink",
            order=order.number if order else "",
        )
        domain_events.emit(
            domain_events.OrderLinked(
                ticket_id=ticket.pk,
                order_id=order.pk if order else None,
                actor_id=actor.pk if actor else None,
            )
        )
        events.ticket_event(ticket, change="order")
    return ticket


@dataclass(frozen=True)
class BulkResult:
    """What a bulk action did: the tickets changed, and each refused one with its reason."""

    done: list[int]
    failed: list[tuple[int, str]]


def tickets_bulk_apply(*, tickets: list[Ticket], change: Callable[[Ticket], object]) -> BulkResult:
    """Apply ``change`` to each ticket, each in its own savepoint of one transaction.

    A ticket the domain refuses (DomainError) is left as it was and reported with the reason;
    the others are changed. Any other error is a fault: everything rolls back and it rises.
    """
    done, failed = [], []
    with transaction.atomic():
        for ticket in tickets:
            try:
                with transaction.atomic():
                    change(ticket)
            except DomainError as exc:
                failed.append((ticket.pk, str(exc)))
            else:
                done.append(ticket.pk)
    return BulkResult(done=done, failed=failed)


def tickets_merge(*, tickets: list[Ticket], actor: User | None = None) -> Ticket:
    """Merge the others into the first ticket, all or nothing."""
    if len(tickets) < 2:
        raise DomainError(_("Select two tickets or more to merge."))
    target, *sources = tickets
    with transaction.atomic():
        for source in sources:
            target = ticket_merge(source=source, target=target, actor=actor)
    return target
