"""Strict helpers to read settings from the environment.

Every setting has a safe embedded default; a value that is present but malformed is an error
at start-up, never silently replaced by the default.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def _bad(name: str, what: str, raw: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{name} must be {what}, got {raw!r}")


def env_bounded_int(
    name: str, default: int, *, minimum: int = 0, maximum: int | None = None
) -> int:
    """An integer in [minimum, maximum]: a negative size or a zero port is as wrong as 'abc'."""
    value = env_int(name, default)
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f"at least {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise _bad(name, f"an integer {bounds}", os.environ.get(name, ""))
    return value


def env_choice(name: str, default: str, choices: Iterable[str], *, fold_case: bool = False) -> str:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().upper() if fold_case else raw.strip()
    allowed = list(choices)
    if value not in allowed:
        raise _bad(name, "one of " + ", ".join(allowed), raw)
    return value


def env_url(name: str, default: str = "", *, schemes: Iterable[str] = ("http", "https")) -> str:
    """An absolute URL with one of ``schemes`` and a host (or a path, for unix sockets)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip()
    allowed = tuple(schemes)
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError on a malformed port)
    except ValueError:
        raise _bad(name, "a URL", raw) from None
    if parts.scheme not in allowed or not (parts.hostname or parts.path) or " " in value:
        raise _bad(name, "a URL starting with " + " or ".join(f"{s}://" for s in allowed), raw)
    if parts.scheme in {"http", "https"} and not parts.hostname:
        raise _bad(name, "a URL with a host name", raw)
    return value


_HOST = re.compile(r"^(?:\*|\.?[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?|\[[0-9a-fA-F:.]+\])$")


def env_hosts(name: str, default: list[str]) -> list[str]:
    """Comma-separated host names (a leading dot matches subdomains, `*` any host)."""
    items = env_list(name, default)
    for item in items:
        if not _HOST.match(item):
            raise _bad(name, "comma-separated host names (no scheme, path or port)", item)
    return items


def env_host(name: str, default: str = "") -> str:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    if not _HOST.match(raw.strip()) or raw.strip() == "*":
        raise _bad(name, "a host name", raw)
    return raw.strip()


def env_origins(name: str) -> list[str]:
    """Comma-separated origins: scheme://host[:port], nothing after."""
    items = env_list(name)
    for item in items:
        parts = urlsplit(item)
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path not in {"", "/"}:
            raise _bad(name, "comma-separated origins such as https://help.example.com", item)
    return items


def env_choices(name: str, default: list[str], choices: Iterable[str]) -> list[str]:
    allowed = list(choices)
    items = env_list(name, default)
    for item in items:
        if item not in allowed:
            raise _bad(name, "a comma-separated list of " + ", ".join(allowed), item)
    return items


def env_time_window(name: str, default: str) -> str:
    """'HH:MM-HH:MM' (may cross midnight) or empty for none."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip()
    if not value:
        return ""
    start, dash, end = value.partition("-")
    try:
        if not dash:
            raise ValueError
        first, last = dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())
    except ValueError:
        raise _bad(name, "two times as HH:MM-HH:MM (or empty for none)", raw) from None
    if first == last:
        raise _bad(name, "two different times as HH:MM-HH:MM", raw)
    return value


def env_time_zone(name: str, default: str) -> str:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        ZoneInfo(raw.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise _bad(name, "an IANA time zone such as Europe/Paris", raw) from None
    return raw.strip()


def env_email(name: str, default: str) -> str:
    from email.utils import parseaddr

    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    address = parseaddr(raw.strip())[1]
    if not re.match(r"^[^@\s]+@[^@\s]+$", address):
        raise _bad(name, "an email address (optionally 'Name <address>')", raw)
    return raw.strip()


def env_pattern(name: str, default: str, pattern: str, what: str) -> str:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(pattern, raw):
        raise _bad(name, what, raw if len(raw) < 12 else raw[:4] + "…")
    return raw


def env_path(name: str, default: str) -> str:
    """A directory (created if missing): not a file, and not an empty or NUL-bearing string."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    if not raw.strip() or "\x00" in raw:
        raise _bad(name, "a directory path", raw)
    path = Path(raw).expanduser()
    if path.exists() and not path.is_dir():
        raise _bad(name, "a directory, not a file", raw)
    return str(path)


def env_secret(name: str) -> str:
    """A secret or token as pasted: surrounding blanks or control characters (a stray newline
    from a file) would make every signature check fail in silence, so they are refused."""
    raw = os.environ.get(name, "")
    if raw != raw.strip() or any(ord(c) < 32 or ord(c) == 127 for c in raw):
        raise ImproperlyConfigured(
            f"{name} must not contain spaces or control characters around or inside it "
            "(check for a trailing newline)"
        )
    return raw


def env_float(name: str, default: float) -> float:
    """A positive number of seconds (or any positive quantity)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None
    if not value > 0 or value == float("inf"):
        raise ImproperlyConfigured(f"{name} must be a positive number, got {raw!r}")
    return value
