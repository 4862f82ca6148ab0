"""Running automation rules. Rules run in position order, each at most once per trigger; what
their actions change never triggers rules again, so rules cannot loop."""

from __future__ import annotations

import contextvars
import logging
import traceback
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Coalesce
from django.utils import timezone

from helpdesk.accounts.models import Team
from helpdesk.automations.engine import Facts, as_int, condition_holds
from helpdesk.automations.models import Match, Rule, RuleFailure, RuleRun, Trigger
from helpdesk.inbox.models import CannedResponse
from helpdesk.inbox.services import canned_render
from helpdesk.tickets import services as ts
from helpdesk.tickets.models import Ticket, TicketStatus

logger = logging.getLogger(__name__)

_running: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "automations_running", default=False
)


def rule_matches(*, rule: Rule, facts: Facts) -> bool:
    if not rule.conditions:
        return True
    results = (condition_holds(c, facts) for c in rule.conditions)
    return all(results) if rule.match == Match.ALL else any(results)


def rule_apply(*, rule: Rule, ticket: Ticket) -> None:
    """Carry out the rule's actions on the ticket, without re-triggering rules."""
    for action in rule.actions:
        kind, value = action["type"], action.get("value")
        if kind == "assign_team":
            team = Team.objects.filter(pk=int(value)).first()
            if team is not None:
                ts.ticket_set_team(ticket=ticket, team=team, automate=False)
        elif kind == "assign_agent":
            user = get_user_model().objects.filter(pk=int(value), is_active=True).first()
            if user is not None and hasattr(user, "agent_profile"):
                ts.ticket_assign(ticket=ticket, assignee=user, automate=False)
        elif kind == "assign_round_robin":
            team = Team.objects.filter(pk=int(value)).first()
            if team is not None:
                ts.ticket_assign_round_robin(ticket=ticket, team=team, automate=False)
        elif kind == "set_priority":
            ts.ticket_set_priority(ticket=ticket, priority=int(value), automate=False)
        elif kind == "set_status":
            ts.ticket_set_status(ticket=ticket, status=str(value), automate=False)
        elif kind == "add_tag":
            ts.ticket_tags_change(ticket=ticket, add=[str(value)], automate=False)
        elif kind == "canned_reply":
            canned = CannedResponse.objects.filter(pk=int(value)).first()
            if canned is not None:
                ts.message_reply(
                    ticket=ticket,
                    text=canned_render(text=canned.text, ticket=ticket, agent=None),
                    author_type="system",
                    metadata={"automation_rule": rule.pk},
                )
        elif kind == "add_note":
            ts.ticket_event_record(
                ticket, actor=None, event="note", rule=rule.name, text=str(value)
            )


def rules_active(trigger: str) -> list[Rule]:
    return list(Rule.objects.filter(active=True, trigger=trigger).order_by("position", "id"))


def automations_run(
    *,
    ticket: Ticket,
    trigger: str,
    now: datetime | None = None,
    rules: list[Rule] | None = None,
) -> list[int]:
    """Run the active rules of ``trigger`` on the ticket; returns the ids of rules that acted.
    ``rules``: the result of ``rules_active`` when the caller reads them once for many tickets.

    Called from services inside their transaction. A call made while rules are already
    running (an action changing the ticket) does nothing: that is what keeps rules from
    looping.
    """
    if _running.get():
        return []
    now = now or timezone.now()
    if rules is None:
        rules = rules_active(trigger)
    acted = []
    for rule in rules:
        try:
            # A savepoint per rule: a rule that fails (a team deleted since, a bad value
            # stored outside the editor) is recorded and skipped; the message still lands.
            with transaction.atomic():
                if not rule_matches(rule=rule, facts=Facts(ticket=ticket, now=now)):
                    continue
                RuleRun.objects.create(rule=rule, ticket=ticket)
                _apply_guarded(rule, ticket)
        except Exception as exc:
            rule_failure_record(rule=rule, ticket=ticket, trigger=trigger, error=exc)
            continue
        acted.append(rule.pk)
    return acted


def rule_failure_record(*, rule: Rule, ticket: Ticket, trigger: str, error: BaseException) -> None:
    """Log and store a rule's failure (admin: Automations > Automation failures; /healthz
    counts them for staff), in the transaction of the write that ran the rule."""
    logger.error("Automation rule %s failed on ticket %s", rule.pk, ticket.pk, exc_info=error)
    try:
        with transaction.atomic():
            RuleFailure.objects.create(
                rule=rule,
                rule_name=rule.name[:100],
                ticket_id=ticket.pk,
                trigger=trigger,
                error=f"{type(error).__name__}: {error}"[:1000],
                traceback="".join(traceback.format_exception(error))[-8000:],
            )
    except Exception:
        logger.exception("Could not record the failure of automation rule %s", rule.pk)


def _apply_guarded(rule: Rule, ticket: Ticket) -> None:
    token = _running.set(True)
    try:
        rule_apply(rule=rule, ticket=ticket)
    finally:
        _running.reset(token)


def automations_run_time(*, now: datetime | None = None, batch: int = 500) -> int:
    """Run time rules (in position order) over tickets they have not acted on during the
    ticket's current status spell. Returns how many (rule, ticket) pairs acted."""
    now = now or timezone.now()
    acted = 0
    for rule in Rule.objects.filter(active=True, trigger=Trigger.TIME).order_by("position", "id"):
        candidates = Ticket.objects.filter(merged_into__isnull=True).annotate(
            since=Coalesce("status_changed_at", "created_at")
        )
        if rule.match == Match.ALL:
            candidates = _narrow(candidates, rule.conditions, now)
        if not any(c["field"] == "status" for c in rule.conditions):
            candidates = candidates.exclude(status=TicketStatus.CLOSED)
        candidates = candidates.exclude(
            Exists(
                RuleRun.objects.filter(
                    rule=rule,
                    ticket=OuterRef("pk"),
                    status=OuterRef("status"),
                    status_since=OuterRef("since"),
                )
            )
        )
        for ticket_id in candidates.order_by("pk").values_list("pk", flat=True)[:batch]:
            with transaction.atomic():
                ticket = (
                    Ticket.objects.select_for_update(of=("self",))
                    .select_related("inbox", "contact", "order")
                    .get(pk=ticket_id)
                )
                if _time_rule_apply(rule, ticket, now):
                    acted += 1
    return acted


def _time_rule_apply(rule: Rule, ticket: Ticket, now: datetime) -> bool:
    """Apply a time rule once per status spell; a rule that fails is recorded, and the
    sweep goes on with the other tickets."""
    if not rule_matches(rule=rule, facts=Facts(ticket=ticket, now=now)):
        return False
    try:
        with transaction.atomic():
            RuleRun.objects.create(
                rule=rule,
                ticket=ticket,
                status=ticket.status,
                status_since=ticket.status_changed_at or ticket.created_at,
            )
    except IntegrityError:
        return False
    try:
        with transaction.atomic():
            _apply_guarded(rule, ticket)
    except Exception as exc:
        rule_failure_record(rule=rule, ticket=ticket, trigger=Trigger.TIME, error=exc)
        return False
    return True


def _narrow(tickets, conditions: list[dict], now: datetime):
    """Turn the time and status conditions into SQL, so only plausible tickets are read."""
    for condition in conditions:
        field, op, value = condition["field"], condition["op"], condition.get("value")
        if field == "hours_in_status":
            tickets = tickets.filter(since__lte=now - timedelta(hours=as_int(value)))
        elif field == "hours_since_last_message":
            tickets = tickets.filter(last_message_at__lte=now - timedelta(hours=as_int(value)))
        elif field == "status" and op == "is":
            tickets = tickets.filter(status__in=[v.strip() for v in str(value).split(",")])
    return tickets


def tickets_auto_close(*, now: datetime | None = None, days: int | None = None) -> int:
    """Close tickets solved more than ``days`` ago (HELPDESK_AUTO_CLOSE_DAYS; 0 disables)."""
    days = settings.HELPDESK_AUTO_CLOSE_DAYS if days is None else days
    if days <= 0:
        return 0
    now = now or timezone.now()
    closed = 0
    due = Ticket.objects.filter(
        status=TicketStatus.SOLVED, solved_at__lte=now - timedelta(days=days)
    ).order_by("pk")
    for ticket in due[:1000]:
        with transaction.atomic():
            locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
            if locked.status == TicketStatus.SOLVED:
                ts.ticket_set_status(ticket=locked, status=TicketStatus.CLOSED, automate=False)
                closed += 1
    return closed
