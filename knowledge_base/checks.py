"""The knowledge base's settings, validated by Django's system checks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.utils.module_loading import import_string

from knowledge_base.search.backends import backend_path

# What every backend must answer (knowledge_base.search.backends.base.SearchBackend).
BACKEND_METHODS = (
    "index",
    "remove",
    "reindex",
    "search_articles",
    "search_tickets",
    "search_messages",
)


@register(Tags.compatibility)
def check_search_backend(
    app_configs: Iterable[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """HELPDESK_SEARCH_BACKEND (or the default it implies) names an importable class with
    the search interface; ELASTICSEARCH_URL, when set, is an http(s) address."""
    errors: list[CheckMessage] = []
    url = getattr(settings, "ELASTICSEARCH_URL", "") or ""
    if url and (urlsplit(url).scheme not in {"http", "https"} or not urlsplit(url).hostname):
        errors.append(
            Error(f"ELASTICSEARCH_URL must be an http(s) address, not {url!r}.", id="kb.E001")
        )
    path = backend_path()
    try:
        backend_class = import_string(path)
    except ImportError as exc:
        errors.append(
            Error(f"The search backend {path!r} cannot be imported ({exc}).", id="kb.E002")
        )
        return errors
    missing = [name for name in BACKEND_METHODS if not callable(getattr(backend_class, name, None))]
    if missing:
        errors.append(
            Error(
                f"The search backend {path} lacks {', '.join(missing)}: it is not a search "
                "backend.",
                id="kb.E003",
            )
        )
    timeout = getattr(settings, "HELPDESK_SEARCH_TIMEOUT_MS", 1)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 1:
        errors.append(
            Error(
                f"HELPDESK_SEARCH_TIMEOUT_MS must be a positive integer, not {timeout!r}.",
                id="kb.E004",
            )
        )
    return errors
