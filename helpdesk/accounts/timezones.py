"""Time zones an agent can choose: the IANA names this machine knows."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


@cache
def zone_names() -> tuple[str, ...]:
    """Sorted IANA names (``Europe/Paris``), without the legacy aliases (``US/Eastern``)."""
    legacy = ("Etc/", "SystemV/", "US/", "posix", "right")
    names = (n for n in available_timezones() if "/" in n and not n.startswith(legacy))
    return ("UTC", *sorted(names))


def zone_or_none(name: str) -> ZoneInfo | None:
    if not name or name not in zone_names():
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
