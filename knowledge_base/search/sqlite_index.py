"""The embedded (SQLite) full-text index: FTS5 tables of stems kept current by triggers.

SQLite has no French or English stemmer, so every connection gets a Python function,
``kb_index_text(text, language)``, which the triggers call to store the folded Snowball stems
of what was written. ``ensure()`` (run after every ``migrate``) creates what is missing and
rebuilds an index whose triggers had to be created again (a migration that rebuilt a table
drops its triggers)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import connection

from knowledge_base.search.text import index_text

logger = logging.getLogger(__name__)

TABLES = {
    "article": "knowledge_base_article",
    "ticket": "tickets_ticket",
    "message": "tickets_message",
}
FTS = {"article": "kb_article_fts", "ticket": "kb_ticket_fts", "message": "kb_message_fts"}
# kind -> (FTS columns, source expressions over the row `r`)
COLUMNS = {
    "article": (
        ("title", "summary", "body"),
        (
            "kb_index_text(r.title, r.language)",
            "kb_index_text(r.summary, r.language)",
            "kb_index_text(r.body, r.language)",
        ),
        ("title", "summary", "body", "language"),
    ),
    "ticket": (("subject",), ("kb_index_text(r.subject, NULL)",), ("subject",)),
    "message": (("body",), ("kb_index_text(r.text, NULL)",), ("text",)),
}


def _safe_index_text(text: str | None, language: str | None) -> str:
    # Never let indexing fail a write.
    try:
        return index_text(text, language)
    except Exception:  # pragma: no cover - defensive
        logger.exception("search: could not index a text")
        return ""


def register_functions(sender, connection, **kwargs) -> None:
    """connection_created receiver: gives SQLite connections the indexing function."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "kb_index_text", 2, _safe_index_text, deterministic=True
        )


def _triggers(kind: str) -> list[tuple[str, str]]:
    table, fts = TABLES[kind], FTS[kind]
    columns, sources, watched = COLUMNS[kind]
    names = ", ".join(columns)
    new = ", ".join(s.replace("r.", "new.") for s in sources)
    insert = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new});"  # noqa: S608
    delete = f"DELETE FROM {fts} WHERE rowid = old.id;"  # noqa: S608
    return [
        (f"{fts}_ai", f"AFTER INSERT ON {table} BEGIN {insert} END"),
        (f"{fts}_ad", f"AFTER DELETE ON {table} BEGIN {delete} END"),
        (
            f"{fts}_au",
            f"AFTER UPDATE OF {', '.join(watched)} ON {table} BEGIN {delete} {insert} END",
        ),
    ]


def ensure(**kwargs) -> None:
    """post_migrate receiver: create missing FTS tables and triggers, rebuilding as needed."""
    if connection.vendor != "sqlite":
        return
    stale = []
    with connection.cursor() as cursor:
        existing = {
            name
            for (name,) in cursor.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')"
            ).fetchall()
        }
        for kind, table in TABLES.items():
            if table not in existing:
                continue
            fts = FTS[kind]
            if fts not in existing:
                columns = ", ".join(COLUMNS[kind][0])
                cursor.execute(
                    f"CREATE VIRTUAL TABLE {fts} USING fts5({columns}, tokenize='unicode61')"
                )
            for name, body in _triggers(kind):
                if name not in existing:
                    cursor.execute(f"CREATE TRIGGER {name} {body}")
                    if kind not in stale:
                        stale.append(kind)
    if stale:
        rebuild(kinds=stale)


def rebuild(*, kinds: Iterable[str], progress=None, batch: int = 2000) -> int:
    total = 0
    for kind in kinds:
        table, fts = TABLES[kind], FTS[kind]
        columns, sources, _watched = COLUMNS[kind]
        with connection.cursor() as cursor:
            count = cursor.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            cursor.execute(f"DELETE FROM {fts}")  # noqa: S608
            done, last = 0, 0
            while True:
                cursor.execute(
                    f"INSERT INTO {fts}(rowid, {', '.join(columns)}) "  # noqa: S608
                    f"SELECT r.id, {', '.join(sources)} FROM {table} r "
                    "WHERE r.id > %s ORDER BY r.id LIMIT %s",
                    [last, batch],
                )
                if cursor.rowcount <= 0:
                    break
                done += cursor.rowcount
                last = cursor.execute(f"SELECT max(rowid) FROM {fts}").fetchone()[0]  # noqa: S608
                if progress:
                    progress(kind, done, count)
            if progress and not done:
                progress(kind, 0, 0)
        total += done
    return total
