"""Inbox kind -> channel adapter, loaded from ``settings.HELPDESK_CHANNELS``.

As Wagtail loads its search backends: the core names no channel module; settings map each
inbox kind to an adapter class (``"module.path:ClassName"``), imported on first use. Adding a
channel is one adapter module and one line of settings.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module

from django.conf import settings

from helpdesk.contracts import ChannelAdapter


def channel_kinds() -> list[str]:
    return list(settings.HELPDESK_CHANNELS)


@cache
def get_adapter(kind: str) -> ChannelAdapter:
    try:
        target = settings.HELPDESK_CHANNELS[kind]
    except KeyError:
        raise LookupError(f"No channel adapter for inbox kind {kind!r}") from None
    module_name, _, class_name = target.partition(":")
    adapter = getattr(import_module(module_name), class_name)()
    if not isinstance(adapter, ChannelAdapter):
        raise TypeError(f"{target} does not implement ChannelAdapter")
    return adapter


def _settings_changed(*, setting: str, **kwargs: object) -> None:
    if setting == "HELPDESK_CHANNELS":
        get_adapter.cache_clear()
