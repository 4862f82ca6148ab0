"""Inbox kind -> adapter: kept for existing imports; the registry is ``helpdesk.channels``,
filled from ``settings.HELPDESK_CHANNELS``."""

from helpdesk.channels import channel_kinds, get_adapter

__all__ = ["channel_kinds", "get_adapter"]
