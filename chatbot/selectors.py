"""Reads about the bot that the core's events need without loading the bot's language model
(a mail import asks whether the bot answers an inbox, once per batch)."""

from __future__ import annotations

from django.conf import settings

from chatbot.models import BotSettings
from helpdesk.tickets.models import Inbox


def bot_settings_for(inbox: Inbox) -> BotSettings:
    """The inbox's bot settings; without a saved row the defaults: on except for email."""
    if inbox.pk:
        # Read once per inbox object (``select_related("inbox__bot_settings")`` reads it with
        # the message): a turn asks several times.
        try:
            return inbox.bot_settings
        except BotSettings.DoesNotExist:
            pass
    default = bool(getattr(settings, "CHATBOT_DEFAULT_ENABLED", True))
    return BotSettings(inbox=inbox, enabled=default and inbox.kind != "email")


def bot_answers(inbox: Inbox) -> bool:
    """The inbox's switch (``config["bot_enabled"]``, set by the inbox page and the bot's
    settings page alike) when set, else its bot settings."""
    if not inbox.enabled:
        return False
    switch = (inbox.config or {}).get("bot_enabled")
    if switch is not None:
        return bool(switch)
    return bot_settings_for(inbox).enabled
