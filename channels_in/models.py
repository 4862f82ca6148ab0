"""The channels' own records (each channel keeps its models in its package)."""

from channels_in.email.models import ImapCursor
from channels_in.telegram.models import TelegramLinkUse

__all__ = ["ImapCursor", "TelegramLinkUse"]
