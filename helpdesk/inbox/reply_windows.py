"""Channel rules that decide what a reply may be, read from the channel's adapter: today
WhatsApp's 24-hour window (free text only within 24 hours of the customer's last WhatsApp
message; approved templates otherwise). The reply box shows the state and offers the
templates with their variables filled in; the reply view refuses free text outside it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from helpdesk.channels import get_adapter
from helpdesk.inbox.services import canned_variables
from helpdesk.tickets.models import Inbox, Ticket

_PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")


@dataclass
class ReplyTemplate:
    name: str
    label: str
    variables: dict[str, str]
    preview: str
    raw: dict[str, Any] = field(repr=False, default_factory=dict)


@dataclass
class ReplyWindow:
    open: bool
    closes_at: datetime | None
    templates: list[ReplyTemplate]
    inbox: Inbox


def _inbox_for(ticket: Ticket, identity_kind: str, inboxes: list[Inbox]) -> Inbox | None:
    if ticket.inbox_id and ticket.inbox.identity_kind == identity_kind and ticket.inbox.enabled:
        return ticket.inbox
    return next((i for i in inboxes if i.identity_kind == identity_kind), None)


def _fill(body: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), body)


def reply_windows(*, ticket: Ticket, identities: list, agent: Any) -> dict[int, ReplyWindow]:
    """{identity id: its window} for the addresses whose channel restricts replies."""
    found: dict[int, ReplyWindow] = {}
    values: dict[str, str] | None = None
    inboxes = list(Inbox.objects.filter(enabled=True).order_by("pk")) if identities else []
    for identity in identities:
        inbox = _inbox_for(ticket, identity.kind, inboxes)
        if inbox is None:
            continue
        try:
            adapter = get_adapter(inbox.kind)
        except LookupError:
            continue
        window_of = getattr(adapter, "reply_window", None)
        if window_of is None:
            continue
        window = window_of(identity=identity, config=inbox.config)
        if values is None:
            values = canned_variables(ticket=ticket, agent=agent)
        templates = []
        for raw in window.templates:
            names = list(raw.get("variables", []))
            filled = {str(i + 1): values.get(key, "") for i, key in enumerate(names)}
            body = raw.get("body") or raw.get("label") or raw["name"]
            preview = _fill(body, filled)
            templates.append(
                ReplyTemplate(
                    name=raw["name"],
                    label=raw.get("label") or raw["name"],
                    variables=filled,
                    preview=preview,
                    raw=raw,
                )
            )
        found[identity.pk] = ReplyWindow(
            open=window.open, closes_at=window.closes_at, templates=templates, inbox=inbox
        )
    return found


def template_metadata(*, window: ReplyWindow, name: str) -> tuple[str, dict] | None:
    """(the text shown in the timeline, the message metadata) of a template reply."""
    template = next((t for t in window.templates if t.name == name), None)
    if template is None:
        return None
    adapter = get_adapter(window.inbox.kind)
    metadata = adapter.template_metadata(template=template.raw, variables=template.variables)  # type: ignore[attr-defined]
    return template.preview, metadata
