"""Reading what senders post: bounded JSON, and NUL bytes that PostgreSQL cannot store.

A sender with valid credentials can still post a body that would otherwise end in a 500:
JSON nested ten thousand deep (Python's decoder gives up with RecursionError), or a
``\\u0000`` that PostgreSQL refuses in any text column. Identifiers carrying a NUL are refused;
free text loses its NUL bytes and is kept.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64


class MalformedPayload(ValueError):
    """The body cannot be accepted; the message says why, for the sender."""


def without_nul(text: str) -> str:
    return text.replace("\x00", "") if "\x00" in text else text


def _walk(value: Any, *, strip: bool, max_depth: int) -> Any:
    """Check depth (iteratively) and deal with NUL in every string, keys included."""
    root: list[Any] = [value]
    stack: list[tuple[Any, Any, int]] = [(root, 0, 0)]
    while stack:
        parent, key, depth = stack.pop()
        item = parent[key]
        if isinstance(item, str):
            if "\x00" in item:
                if not strip:
                    raise MalformedPayload("the body contains a NUL character (\\u0000)")
                parent[key] = item.replace("\x00", "")
            continue
        if not isinstance(item, (dict, list)):
            continue
        if depth >= max_depth:
            raise MalformedPayload(f"the body is nested deeper than {max_depth} levels")
        if isinstance(item, dict):
            if strip and any("\x00" in k for k in item):
                item = {k.replace("\x00", ""): v for k, v in item.items()}
                parent[key] = item
            elif not strip and any("\x00" in k for k in item):
                raise MalformedPayload("the body contains a NUL character (\\u0000)")
            stack.extend((item, k, depth + 1) for k in item)
        else:
            stack.extend((item, i, depth + 1) for i in range(len(item)))
    return root[0]


def json_loads(body: bytes | str, *, strip_nul: bool, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON; MalformedPayload if it is not JSON, too deep, or (unless ``strip_nul``,
    which removes them) carries NUL characters."""
    try:
        data = json.loads(body)
    except RecursionError:
        raise MalformedPayload(f"the body is nested deeper than {max_depth} levels") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedPayload(f"the body is not valid JSON: {exc}") from None
    return _walk(data, strip=strip_nul, max_depth=max_depth)
