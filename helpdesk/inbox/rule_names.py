"""Automation rules by name: the editor shows and takes team, agent, inbox, canned-response
and priority names where a rule stores ids, and the list describes each rule in words."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from helpdesk.accounts.models import Team
from helpdesk.automations.engine import ACTIONS, FIELDS, OPS
from helpdesk.inbox.models import CannedResponse
from helpdesk.tickets.models import Inbox, InboxKind, Priority, TicketStatus

# Which vocabulary names the value of a condition field or an action type.
CONDITION_NAMES = {
    "inbox": "inbox",
    "channel": "channel",
    "status": "status",
    "priority": "priority",
}
ACTION_NAMES = {
    "assign_team": "team",
    "assign_round_robin": "team",
    "assign_agent": "agent",
    "canned_reply": "canned",
    "set_priority": "priority",
    "set_status": "status",
}
LISTS = {"inbox", "channel", "status"}


def vocabulary(kind: str) -> dict[str, str]:
    """Stored value -> the name a manager reads, for one kind of thing."""
    if kind == "team":
        return {str(pk): name for pk, name in Team.objects.values_list("pk", "name")}
    if kind == "inbox":
        return {str(pk): name for pk, name in Inbox.objects.values_list("pk", "name")}
    if kind == "canned":
        return {str(pk): name for pk, name in CannedResponse.objects.values_list("pk", "name")}
    if kind == "agent":
        users = get_user_model().objects.filter(agent_profile__isnull=False)
        return {str(u.pk): u.get_username() for u in users}
    if kind == "priority":
        return {str(value): str(label) for value, label in Priority.choices}
    if kind == "status":
        return {value: str(label) for value, label in TicketStatus.choices}
    if kind == "channel":
        return {value: str(label) for value, label in InboxKind.choices}
    return {}


def vocabularies() -> dict[str, list[str]]:
    """The names offered in the editor, per kind (for its suggestion lists)."""
    kinds = {*CONDITION_NAMES.values(), *ACTION_NAMES.values()}
    return {kind: sorted(vocabulary(kind).values(), key=str.lower) for kind in sorted(kinds)}


def _to_name(kind: str, value: Any, names: dict[str, str]) -> str:
    parts = [p.strip() for p in str(value).split(",")] if kind in LISTS else [str(value)]
    return ", ".join(names.get(p, p) for p in parts if p != "")


def _from_name(kind: str, text: str, names: dict[str, str]) -> str:
    by_name: dict[str, list[str]] = {}
    for stored, name in names.items():
        by_name.setdefault(name.strip().lower(), []).append(stored)
    out = []
    parts = [p.strip() for p in text.split(",")] if kind in LISTS else [text.strip()]
    for part in parts:
        if not part:
            continue
        if part in names or (part.lstrip("#") in names and part.startswith("#")):
            out.append(part.lstrip("#"))
            continue
        if part.lstrip("#").isdigit():
            out.append(part.lstrip("#"))  # a number: the rule's own checks judge it
            continue
        found = by_name.get(part.lower(), [])
        if len(found) == 1:
            out.append(found[0])
        elif found:
            raise ValidationError(
                _("Several are named “%(name)s”: write #%(id)s to choose one."),
                params={"name": part, "id": found[0]},
            )
        else:
            raise ValidationError(_("Nothing is named “%(name)s”."), params={"name": part})
    return ", ".join(out) if kind in LISTS else (out[0] if out else "")


def rule_parts_for_editor(conditions: list, actions: list) -> tuple[list, list]:
    """The stored rule with names in place of ids, as the editor's initial rows."""
    cache: dict[str, dict[str, str]] = {}

    def named(kind: str | None, value: Any) -> Any:
        if kind is None:
            return value
        names = cache.setdefault(kind, vocabulary(kind))
        return _to_name(kind, value, names)

    conds = [
        {**c, "value": named(CONDITION_NAMES.get(c.get("field", "")), c.get("value", ""))}
        for c in conditions
        if isinstance(c, dict)
    ]
    acts = [
        {**a, "value": named(ACTION_NAMES.get(a.get("type", "")), a.get("value", ""))}
        for a in actions
        if isinstance(a, dict)
    ]
    return conds, acts


def rule_parts_from_names(conditions: list, actions: list) -> tuple[list, list]:
    """The editor's rows back to stored values: names become ids; an unknown or ambiguous
    name is a ValidationError that says which."""
    cache: dict[str, dict[str, str]] = {}

    def stored(kind: str | None, value: Any) -> Any:
        if kind is None or not isinstance(value, str):
            return value
        names = cache.setdefault(kind, vocabulary(kind))
        return _from_name(kind, value, names)

    conds = [
        {**c, "value": stored(CONDITION_NAMES.get(c["field"]), c["value"])} for c in conditions
    ]
    acts = [{**a, "value": stored(ACTION_NAMES.get(a["type"]), a["value"])} for a in actions]
    return conds, acts


def rule_in_words(conditions: list, actions: list) -> tuple[SafeString, SafeString]:
    """The rule list's description: "Inbox is Shop mail; Assign to team Support"."""
    conds, acts = rule_parts_for_editor(conditions, actions)
    when = format_html_join(
        "; ",
        "{} {} {}",
        (
            (
                FIELDS.get(c.get("field", ""), (c.get("field", ""),))[0],
                OPS.get(c.get("op", ""), c.get("op", "")),
                c.get("value", ""),
            )
            for c in conds
        ),
    )
    then = format_html_join(
        "; ",
        "{} {}",
        (
            (ACTIONS.get(a.get("type", ""), (a.get("type", ""),))[0], a.get("value", ""))
            for a in acts
        ),
    )
    return when or format_html("—"), then or format_html("—")
