"""A bot reply and how each channel carries it.

A reply is text plus, optionally, choices. The widget shows the choices as buttons and Telegram
as an inline keyboard (both carried in the message's ``metadata["quick_replies"]``, which the
adapters read); SMS, WhatsApp and email get them as a plain numbered list, answered by number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# One SMS of GSM-7 text is 160 characters, or 70 with characters outside GSM-7 (œ, emoji);
# two concatenated segments carry 306. Replies on SMS are written to fit two segments.
SMS_MAX_CHARS = 306
BUTTON_KINDS = frozenset({"webchat", "telegram"})
NUMBERED_KINDS = frozenset({"sms", "whatsapp", "email"})


@dataclass(frozen=True)
class Choice:
    label: str
    value: str


@dataclass(frozen=True)
class Reply:
    text: str
    choices: tuple[Choice, ...] = ()
    # A shorter wording for SMS, where the full text would not fit.
    short_text: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rendered:
    text: str
    metadata: dict[str, Any]


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def reply_render(reply: Reply, *, channel: str) -> Rendered:
    """The text and message metadata to send ``reply`` on ``channel`` (an inbox kind)."""
    choices = [{"label": choice.label, "value": choice.value} for choice in reply.choices]
    metadata: dict[str, Any] = {"bot": True}
    if channel in BUTTON_KINDS:
        if choices:
            metadata["quick_replies"] = choices
        if channel == "telegram" and choices:
            # One button a row, under the text; pressing one sends its value back.
            metadata["telegram_buttons"] = [
                [{"text": c["label"], "callback_data": c["value"][:64]}] for c in choices
            ]
        return Rendered(text=reply.text, metadata=metadata)
    if choices:
        metadata["numbered_choices"] = choices
    text = (reply.short_text or reply.text) if channel in {"sms", "whatsapp"} else reply.text
    if choices:
        lines = [f"{index}. {choice['label']}" for index, choice in enumerate(choices, start=1)]
        text = text + "\n" + "\n".join(lines)
    if channel == "sms":
        text = _clip(text, SMS_MAX_CHARS)
    return Rendered(text=text, metadata=metadata)


def choice_pick(text: str, *, offered: list[dict[str, str]]) -> str | None:
    """The value of the choice a customer's answer picks: a button's value, its label, or its
    number ("2", "2.", "n°2")."""
    answer = text.strip().lower().rstrip(".)").lstrip("#n°o ").strip()
    for choice in offered:
        if answer in {choice["value"].lower(), choice["label"].lower()}:
            return choice["value"]
    if answer.isdigit():
        index = int(answer)
        if 1 <= index <= len(offered):
            return offered[index - 1]["value"]
    return None
