"""The hook through which a rules engine sees ticket writes, inside their transaction.

Ticket services call ``rules_run`` after each change (and ``rules_active`` once per receive
batch); the engine registered here (``helpdesk.automations`` from its AppConfig.ready) decides
what to do. The ticket services never import the engine: with none registered, nothing runs.
Unlike domain-event subscribers, the engine acts inside the write's transaction, so a rule's
changes commit or roll back with the change that triggered it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from helpdesk.tickets.models import Ticket

_run: Callable[..., object] | None = None
_active: Callable[[str], list[Any]] | None = None


def register_rules_engine(
    *, run: Callable[..., object], active: Callable[[str], list[Any]]
) -> None:
    """``run(ticket=..., trigger=..., rules=...)``; ``active(trigger)`` -> the rules to run."""
    global _run, _active
    _run, _active = run, active


def rules_active(trigger: str) -> list[Any]:
    return _active(trigger) if _active is not None else []


def rules_run(ticket: Ticket, *, trigger: str, rules: list[Any] | None = None) -> None:
    if _run is not None:
        _run(ticket=ticket, trigger=trigger, rules=rules)
