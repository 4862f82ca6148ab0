"""The search backend in use, chosen by settings.

``HELPDESK_SEARCH_BACKEND`` names a class (dotted path); by default the Elasticsearch backend
when ``ELASTICSEARCH_URL`` is set, else the database backend (PostgreSQL full-text search or
SQLite FTS5, following the database)."""

from __future__ import annotations

import functools

from django.conf import settings
from django.utils.module_loading import import_string

from knowledge_base.search.backends.base import SearchBackend

DATABASE = "knowledge_base.search.backends.database.DatabaseBackend"
ELASTICSEARCH = "knowledge_base.search.backends.elastic.ElasticsearchBackend"


def backend_path() -> str:
    path = getattr(settings, "HELPDESK_SEARCH_BACKEND", "")
    if path:
        return path
    return ELASTICSEARCH if getattr(settings, "ELASTICSEARCH_URL", "") else DATABASE


@functools.cache
def _backend(path: str) -> SearchBackend:
    return import_string(path)()


def get_backend() -> SearchBackend:
    return _backend(backend_path())
