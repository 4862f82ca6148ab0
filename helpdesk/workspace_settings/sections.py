"""Settings sections that optional features add to the workspace's settings pages.

The settings app names no feature: a feature (the bot, say) registers its section from its
``AppConfig.ready()`` with the name of its page's URL, and the settings navigation shows it
after the built-in sections. The feature's views may use ``manager_required`` and the shared
form page of ``helpdesk.workspace_settings.views``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class Section:
    key: str
    label: str | Promise
    url_name: str


_sections: dict[str, Section] = {}


def register_section(key: str, *, label: str | Promise, url_name: str) -> None:
    """Show ``label`` in the settings navigation, linking to the URL named ``url_name``."""
    _sections[key] = Section(key=key, label=label, url_name=url_name)


def unregister_section(key: str) -> None:
    _sections.pop(key, None)


def registered_sections() -> list[Section]:
    return list(_sections.values())
