"""Figures that optional features contribute to the reports (the bot's conversations,
deflection and hand-over reasons), registered from their AppConfig.ready(): the reports
never import a feature.

A provider is ``provider(start=, end=, filters=) -> BotFigures``, reading with SQL
aggregates over what the feature records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class BotFigures:
    conversations: int = 0
    deflected: int = 0
    handed_over: int = 0
    handover_reasons: tuple[tuple[str, int], ...] = field(default_factory=tuple)


BotProvider = Callable[..., BotFigures]

_bot_providers: dict[str, BotProvider] = {}


def register_bot_provider(name: str, provider: BotProvider) -> None:
    _bot_providers[name] = provider


def bot_figures(*, start: datetime, end: datetime, filters: Any) -> BotFigures:
    conversations = deflected = handed_over = 0
    reasons: dict[str, int] = {}
    for provider in _bot_providers.values():
        figures = provider(start=start, end=end, filters=filters)
        conversations += figures.conversations
        deflected += figures.deflected
        handed_over += figures.handed_over
        for reason, count in figures.handover_reasons:
            reasons[reason] = reasons.get(reason, 0) + count
    return BotFigures(
        conversations=conversations,
        deflected=deflected,
        handed_over=handed_over,
        handover_reasons=tuple(sorted(reasons.items(), key=lambda item: (-item[1], item[0]))),
    )
