"""Inbox kind -> adapter. Each adapter module is imported on first use."""

from __future__ import annotations

from functools import cache
from importlib import import_module

from channels_in.base import ChannelAdapter

ADAPTERS: dict[str, str] = {
    "email": "channels_in.email.adapter:EmailAdapter",
    "sms": "channels_in.twilio.adapter:TwilioSMSAdapter",
    "whatsapp": "channels_in.twilio.adapter:TwilioWhatsAppAdapter",
    "telegram": "channels_in.telegram.adapter:TelegramAdapter",
    "webchat": "channels_in.webchat.adapter:WebchatAdapter",
}


@cache
def get_adapter(kind: str) -> ChannelAdapter:
    try:
        target = ADAPTERS[kind]
    except KeyError:
        raise LookupError(f"No channel adapter for inbox kind {kind!r}") from None
    module_name, _, class_name = target.partition(":")
    adapter = getattr(import_module(module_name), class_name)()
    if not isinstance(adapter, ChannelAdapter):
        raise TypeError(f"{target} does not implement ChannelAdapter")
    return adapter
