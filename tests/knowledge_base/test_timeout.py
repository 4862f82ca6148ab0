"""Searches run under a statement timeout: a slow search gives no results, never an error,
and leaves the connection usable."""

from __future__ import annotations

import pytest
from django.db import connection

from knowledge_base.search.backends.database import statement_timeout
from knowledge_base.search.types import SearchTimeout

pytestmark = pytest.mark.django_db

SLOW = {
    "postgresql": "SELECT pg_sleep(2)",
    "sqlite": (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000000) "
        "SELECT count(*) FROM n"
    ),
}


def test_a_slow_query_is_stopped(settings):
    settings.HELPDESK_SEARCH_TIMEOUT_MS = 50
    with pytest.raises(SearchTimeout), statement_timeout(), connection.cursor() as cursor:
        cursor.execute(SLOW[connection.vendor])
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_a_timed_out_search_answers_with_nothing(settings, monkeypatch):
    from knowledge_base.search import article_search
    from knowledge_base.search.backends import database

    def slow(*args, **kwargs):
        with statement_timeout(), connection.cursor() as cursor:
            cursor.execute(SLOW[connection.vendor])

    settings.HELPDESK_SEARCH_TIMEOUT_MS = 50
    monkeypatch.setattr(database.DatabaseBackend, "_sqlite_articles", slow)
    monkeypatch.setattr(database.DatabaseBackend, "_pg_articles", slow)
    assert article_search(query="colis", language="fr") == []
