"""Reads about the bot that the core's events need without loading the bot's language model
(a mail import asks whether the bot answers an inbox, once per batch)."""

from __future__ import annotations

from django.conf import settings

from chatbot.models import BotSettings
from helpdesk.tickets.models import Inbox


def bot_settings_for(inbox: Inbox) -> BotSettings:
    """The inbox's bot settings; without a saved row the defaults: on except for email."""
    found = BotSettings.objects.filter(inbox=inbox).first() if inbox.pk else None
    if found is not None:
        return found
    default = bool(getattr(settings, "CHATBOT_DEFAULT_ENABLED", True))
    return BotSettings(inbox=inbox, enabled=default and inbox.kind != "email")


def bot_answers(inbox: Inbox) -> bool:
    return inbox.enabled and bot_settings_for(inbox).enabled
