"""The rule vocabulary: which conditions and actions exist, how they are checked and run.

A condition is {"field": ..., "op": ..., "value": ...}; an action {"type": ..., "value": ...}.
``rule_validate`` refuses anything outside this vocabulary, so a stored rule always runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, SupportsIndex, SupportsInt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from helpdesk.tickets.models import Direction, MessageKind, Priority, Ticket, TicketStatus
from helpdesk.tickets.selectors import delayed_order_exists

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# field -> (label, allowed ops, value kind)
FIELDS: dict[str, tuple[StrOrPromise, tuple[str, ...], str]] = {
    "channel": (_("Channel"), ("is", "is_not"), "list"),
    "inbox": (_("Inbox"), ("is", "is_not"), "list"),
    "text": (_("Subject or last customer message"), ("contains", "not_contains"), "text"),
    "tag": (_("Tag"), ("has", "has_not"), "text"),
    "priority": (_("Priority"), ("is", "at_least", "at_most"), "int"),
    "status": (_("Status"), ("is", "is_not"), "list"),
    "contact": (_("Contact name or address"), ("contains", "not_contains"), "text"),
    "assigned": (_("Has an assignee"), ("is",), "bool"),
    "order_status": (_("Linked order status"), ("is", "is_not"), "list"),
    "order_delayed": (_("Linked order delayed"), ("is",), "bool"),
    "hours_in_status": (_("Hours in the current status"), ("at_least",), "int"),
    "hours_since_last_message": (_("Hours since the last message"), ("at_least",), "int"),
}

# Conditions that optional features add (from their AppConfig.ready): field -> reader of the
# ticket's value (None when it has none). The engine never imports those features.
EXTRA_FACTS: dict[str, Callable[[Ticket], int | None]] = {}


def condition_register(
    *,
    field: str,
    label: StrOrPromise,
    reader: Callable[[Ticket], int | None],
) -> None:
    """Add a whole-number condition (is / at least / at most) read by ``reader``."""
    FIELDS[field] = (label, ("is", "at_least", "at_most"), "int")
    EXTRA_FACTS[field] = reader


OPS = {
    "is": _("is"),
    "is_not": _("is not"),
    "contains": _("contains"),
    "not_contains": _("does not contain"),
    "has": _("has"),
    "has_not": _("has not"),
    "at_least": _("at least"),
    "at_most": _("at most"),
}

ACTIONS: dict[str, tuple[StrOrPromise, str]] = {
    "assign_team": (_("Assign to team"), "int"),
    "assign_agent": (_("Assign to agent"), "int"),
    "assign_round_robin": (_("Round-robin among a team's agents"), "int"),
    "set_priority": (_("Set priority"), "int"),
    "set_status": (_("Set status"), "status"),
    "add_tag": (_("Add tag"), "text"),
    "canned_reply": (_("Send canned response"), "int"),
    "add_note": (_("Add internal note"), "text"),
}


def _as_list(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip().lower() for v in value if str(v).strip()]
    return [v.strip().lower() for v in str(value).split(",") if v.strip()]


def as_int(value: object) -> int:
    """``int(value)`` for a stored rule value, which is any JSON value (or None when absent).

    For every JSON value it returns or raises as ``int(value)`` would (TypeError for None,
    lists and dicts; ValueError for text that is not a whole number), but with a type mypy
    can check.
    """
    if isinstance(value, str | bytes | SupportsInt | SupportsIndex):
        return int(value)
    raise TypeError(f"int() cannot convert {type(value).__name__}")


def _as_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def rule_validate(*, conditions: object, actions: object) -> None:
    """Raise ValidationError unless conditions and actions fit the vocabulary."""
    if not isinstance(conditions, list) or not isinstance(actions, list):
        raise ValidationError(_("Conditions and actions must be lists."))
    if not actions:
        raise ValidationError(_("A rule needs at least one action."))
    for item in conditions:
        if not isinstance(item, dict) or item.get("field") not in FIELDS:
            raise ValidationError(_("Unknown condition: %(c)s"), params={"c": item})
        _label, ops, kind = FIELDS[item["field"]]
        if item.get("op") not in ops:
            raise ValidationError(
                _("Condition %(f)s cannot use %(op)s."),
                params={"f": item["field"], "op": item.get("op")},
            )
        if kind == "int":
            try:
                as_int(item.get("value"))
            except (TypeError, ValueError):
                raise ValidationError(
                    _("Condition %(f)s needs a whole number."), params={"f": item["field"]}
                ) from None
    for item in actions:
        if not isinstance(item, dict) or item.get("type") not in ACTIONS:
            raise ValidationError(_("Unknown action: %(a)s"), params={"a": item})
        kind = ACTIONS[item["type"]][1]
        value = item.get("value")
        if kind == "int":
            try:
                as_int(value)
            except (TypeError, ValueError):
                raise ValidationError(
                    _("Action %(a)s needs a whole number."), params={"a": item["type"]}
                ) from None
        if kind == "status" and value not in TicketStatus.values:
            raise ValidationError(_("Unknown status: %(s)s"), params={"s": value})
        if item["type"] == "set_priority" and as_int(value) not in Priority.values:
            raise ValidationError(_("Priority must be 1 to 4."))
        if kind == "text" and not str(value or "").strip():
            raise ValidationError(_("Action %(a)s needs a value."), params={"a": item["type"]})


@dataclass
class Facts:
    """What conditions look at, read lazily so a rule pays only for what it asks."""

    ticket: Ticket
    now: datetime

    @cached_property
    def last_inbound_text(self) -> str:
        message = (
            self.ticket.messages.filter(direction=Direction.INBOUND, kind=MessageKind.MESSAGE)
            .order_by("-created_at", "-id")
            .values_list("text", flat=True)
            .first()
        )
        return message or ""

    @cached_property
    def contact_words(self) -> str:
        contact = self.ticket.contact
        addresses = contact.identities.values_list("address", flat=True)
        return " ".join([contact.name, *addresses]).lower()

    def tags(self) -> set[str]:
        return {n.lower() for n in self.ticket.tags.values_list("name", flat=True)}

    @cached_property
    def order_delayed(self) -> bool:
        if self.ticket.order_id is None:
            return False
        return Ticket.objects.filter(pk=self.ticket.pk).filter(delayed_order_exists()).exists()


def condition_holds(condition: dict, facts: Facts) -> bool:
    ticket = facts.ticket
    field, op, value = condition["field"], condition["op"], condition.get("value")
    negate = op in {"is_not", "not_contains", "has_not"}
    if field in {"channel", "inbox", "status", "order_status"}:
        actual = {
            "channel": lambda: ticket.inbox.kind,
            "inbox": lambda: str(ticket.inbox_id),
            "status": lambda: ticket.status,
            "order_status": lambda: ticket.order.status if ticket.order is not None else "",
        }[field]()
        result = str(actual).lower() in _as_list(value)
    elif field == "text":
        needle = str(value or "").lower()
        haystack = f"{ticket.subject}\n{facts.last_inbound_text}".lower()
        result = bool(needle) and needle in haystack
    elif field == "contact":
        needle = str(value or "").lower()
        result = bool(needle) and needle in facts.contact_words
    elif field == "tag":
        result = str(value or "").strip().lower() in facts.tags()
    elif field == "priority":
        number = as_int(value)
        result = {
            "is": ticket.priority == number,
            "at_least": ticket.priority >= number,
            "at_most": ticket.priority <= number,
        }[op]
    elif field == "assigned":
        result = (ticket.assignee_id is not None) == _as_bool(value)
    elif field == "order_delayed":
        result = facts.order_delayed == _as_bool(value)
    elif field in EXTRA_FACTS:
        actual_number = EXTRA_FACTS[field](ticket)
        number = as_int(value)
        result = (
            actual_number is not None
            and {
                "is": actual_number == number,
                "at_least": actual_number >= number,
                "at_most": actual_number <= number,
            }[op]
        )
    elif field == "hours_in_status":
        since = ticket.status_changed_at or ticket.created_at
        result = (facts.now - since).total_seconds() >= as_int(value) * 3600
    elif field == "hours_since_last_message":
        since = ticket.last_message_at or ticket.created_at
        result = (facts.now - since).total_seconds() >= as_int(value) * 3600
    else:  # pragma: no cover - rule_validate keeps unknown fields out
        return False
    return not result if negate else result
