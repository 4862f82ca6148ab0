"""A timeline event in words of the reader's language: "Priority: Normal → High", never
"priority 3 → 4". Events keep plain values (ids, codes) in their metadata; the words are
chosen when they are shown, so each agent reads them in their own language."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from helpdesk.tickets.models import Priority, TicketStatus


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value) if value not in (None, "") else "—"


def _ticket_link(pk: Any) -> SafeString:
    try:
        url = reverse("inbox:ticket_detail", args=[int(pk)])
    except (TypeError, ValueError):
        return format_html("#{}", pk)
    return format_html('<a href="{}">#{}</a>', url, pk)


def event_words(metadata: dict[str, Any]) -> SafeString:
    e = metadata or {}
    kind = e.get("event", "")
    if kind == "status":
        return format_html(
            "{}: {} → {}",
            _("Status"),
            _label(TicketStatus, e.get("from")),
            _label(TicketStatus, e.get("to")),
        )
    if kind == "priority":

        def as_priority(value: Any) -> str:
            try:
                return _label(Priority, int(value))
            except (TypeError, ValueError):
                return _label(Priority, value)

        return format_html(
            "{}: {} → {}", _("Priority"), as_priority(e.get("from")), as_priority(e.get("to"))
        )
    if kind == "assign":
        if e.get("to"):
            return format_html("{}: {}", _("Assigned to"), e["to"])
        return format_html("{}", _("Unassigned"))
    if kind == "team":
        return format_html("{}: {}", _("Team"), e.get("to") or _("none"))
    if kind == "tags":
        parts = [f"+{t}" for t in e.get("added", [])] + [f"\u2212{t}" for t in e.get("removed", [])]
        return format_html("{}: {}", _("Tags"), " ".join(parts))
    if kind == "merged_into":
        return format_html("{} {}", _("Merged into"), _ticket_link(e.get("ticket")))
    if kind == "merged_from":
        count = int(e.get("messages") or 0)
        words = ngettext("%(n)d message merged in from", "%(n)d messages merged in from", count) % {
            "n": count
        }
        return format_html("{} {}", words, _ticket_link(e.get("ticket")))
    if kind == "split_to":
        return format_html("{} {}", _("A message was split into"), _ticket_link(e.get("ticket")))
    if kind == "split_from":
        return format_html("{} {}", _("Split from"), _ticket_link(e.get("ticket")))
    if kind == "order_link":
        return format_html("{}: {}", _("Order linked"), e.get("order", ""))
    if kind == "order_unlink":
        return format_html("{}", _("Order unlinked"))
    if kind == "contact_merged":
        return format_html("{}", _("Two contacts of this customer were merged"))
    if kind == "identity_claimed":
        return format_html(
            "{}",
            _("Claims to be %(address)s, unverified: a code was sent there.")
            % {"address": e.get("address", "")},
        )
    if kind == "identity_claim_proven":
        return format_html(
            "{}",
            _("Proved to be %(address)s with the emailed code: contacts merged.")
            % {"address": e.get("address", "")},
        )
    if kind == "identity_claim_confirmed":
        return format_html(
            "{}",
            _("Confirmed by an agent to be %(address)s: contacts merged.")
            % {"address": e.get("address", "")},
        )
    if kind == "note":
        return format_html(
            "{} “{}”: {}", _("Automation rule"), e.get("rule", ""), e.get("text", "")
        )
    if kind == "csat":
        return format_html("{}: {}", _("Satisfaction rating"), e.get("rating", ""))
    if kind == "csat_low":
        return format_html(
            "{}: {} {}", _("Low satisfaction rating"), e.get("rating", ""), e.get("comment", "")
        )
    if kind == "bounce":
        return format_html("{}", _("A message bounced"))
    if kind == "acknowledgement":
        return format_html("{}", _("Automatic acknowledgement sent"))
    if kind in {"handed_over", "hand_over", "handover"}:
        return format_html("{}: {}", _("Handed over to the agents"), e.get("reason", ""))
    # An event this version does not know yet: its name in words, never a code.
    return format_html("{}", str(kind).replace("_", " ").capitalize() or _("Event"))
