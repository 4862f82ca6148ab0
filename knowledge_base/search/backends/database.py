"""The database backend (the default): PostgreSQL full-text search, or SQLite FTS5.

PostgreSQL: stored generated ``search_vector`` columns (kept current by the database on every
write, whoever writes) on articles, tickets and messages, with GIN indexes, built with the
``helpdesk_fr``/``helpdesk_en`` text search configurations (the Snowball stemmer, on the
accented words) whose lexemes ``helpdesk_fold`` then unaccents; articles in their own
language, tickets and messages (whose language is not known message by message) in both.
Ranked with ``ts_rank_cd``.

SQLite: FTS5 tables kept current by triggers that call a Python function (registered on every
connection) stemming, then folding the text with the same Snowball stemmers. Ranked with BM25.

Both run each search under a statement timeout (``HELPDESK_SEARCH_TIMEOUT_MS``)."""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import QuerySet

from helpdesk.tickets.models import Message, Ticket
from knowledge_base.search import sqlite_index
from knowledge_base.search.backends.base import KINDS, Progress
from knowledge_base.search.text import ParsedQuery, query_stems, spellings, words
from knowledge_base.search.types import SearchTimeout, TextMatch

PG_CONFIG = {"fr": "helpdesk_fr", "en": "helpdesk_en"}
MIN_PREFIX = 3


def timeout_ms() -> int:
    return int(getattr(settings, "HELPDESK_SEARCH_TIMEOUT_MS", 2000))


_inside: contextvars.ContextVar[bool] = contextvars.ContextVar("search_timeout", default=False)


@contextmanager
def statement_timeout() -> Iterator[None]:
    """Run the enclosed queries under the search timeout; raise SearchTimeout past it.
    Nested blocks share the outer one (one transaction, one setting, fewer round trips)."""
    if _inside.get():
        # No savepoint (two round trips each): past the timeout the outer block's transaction
        # is rolled back and the search answers with what it had found until then.
        try:
            yield
        except OperationalError as error:
            if _timed_out(error):
                transaction.set_rollback(True)
                raise SearchTimeout from error
            raise
        return
    token = _inside.set(True)
    try:
        with _statement_timeout():
            yield
    finally:
        _inside.reset(token)


@contextmanager
def _statement_timeout() -> Iterator[None]:
    ms = timeout_ms()
    if connection.vendor == "postgresql":
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    # Neither parallel workers nor JIT compilation: starting workers or
                    # compiling a plan whose estimated cost is high (the slices of a
                    # search) costs more than the few rows a search reads: hundreds of
                    # milliseconds measured at 500,000 tickets.
                    cursor.execute(
                        "SELECT set_config('statement_timeout', %s, true), "
                        "set_config('max_parallel_workers_per_gather', '0', true), "
                        "set_config('jit', 'off', true)",
                        [str(ms)],
                    )
                yield
        except OperationalError as error:
            if _timed_out(error):
                raise SearchTimeout from error
            raise
        return
    connection.ensure_connection()
    raw = connection.connection
    deadline = time.monotonic() + ms / 1000
    raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 5000)
    try:
        yield
    except OperationalError as error:
        if _timed_out(error):
            raise SearchTimeout from error
        raise
    finally:
        raw.set_progress_handler(None, 0)


def _timed_out(error: OperationalError) -> bool:
    """PostgreSQL's query_canceled (statement timeout) or SQLite's interrupt."""
    return getattr(error.__cause__, "sqlstate", "") == "57014" or "interrupted" in str(error)


def _sql(queryset: QuerySet) -> tuple[str, tuple]:
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


class DatabaseBackend:
    name = "database"

    # --- index, remove, reindex: the database keeps its own index current -------------------

    def index(self, *, kind: str, ids: Iterable[int]) -> None:
        return None

    def remove(self, *, kind: str, ids: Iterable[int]) -> None:
        return None

    def reindex(self, *, kinds: Iterable[str] = KINDS, progress: Progress | None = None) -> int:
        if connection.vendor == "sqlite":
            return sqlite_index.rebuild(kinds=kinds, progress=progress)
        total = 0
        for kind in kinds:
            # Generated columns are always current: nothing to rebuild but the statistics.
            table = sqlite_index.TABLES[kind]
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
                cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
                count = cursor.fetchone()[0]
            total += count
            if progress:
                progress(kind, count, count)
        return total

    # --- articles ------------------------------------------------------------------------

    def search_articles(
        self,
        *,
        query: ParsedQuery,
        language: str,
        limit: int,
        audience: str,
        prefix: bool = False,
    ) -> list[tuple[int, float]]:
        if query.empty or limit <= 0:
            return []
        found: list[tuple[int, float]] = []
        # Every word first; if that leaves room, articles matching some of the words after.
        modes = [False] if query.phrase or len(query.terms) == 1 else [False, True]
        with statement_timeout():
            for any_term in modes:
                rows = (
                    self._pg_articles(query, language, limit, audience, prefix, any_term)
                    if connection.vendor == "postgresql"
                    else self._sqlite_articles(query, language, limit, audience, prefix, any_term)
                )
                seen = {pk for pk, _ in found}
                found.extend((pk, score) for pk, score in rows if pk not in seen)
                if len(found) >= limit:
                    break
        return found[:limit]

    def _pg_articles(self, query, language, limit, audience, prefix, any_term):
        config = PG_CONFIG.get(language, "helpdesk_en")
        tsquery = _pg_tsquery(query, language, prefix=prefix, any_term=any_term)
        internal = "" if audience == "agents" else "AND NOT a.internal"
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT a.id, ts_rank_cd(a.search_vector, q, 1) AS score
                FROM knowledge_base_article a, helpdesk_fold(to_tsquery(%s::regconfig, %s)) q
                WHERE a.language = %s AND a.published {internal} AND a.search_vector @@ q
                ORDER BY score DESC, a.position, a.id
                LIMIT %s
                """,  # noqa: S608 (no user input in the f-string)
                [config, tsquery, language, limit],
            )
            return [(pk, float(score)) for pk, score in cursor.fetchall()]

    def _sqlite_articles(self, query, language, limit, audience, prefix, any_term):
        match = _fts_match(query, language, prefix=prefix, any_term=any_term)
        internal = "" if audience == "agents" else "AND NOT a.internal"
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT a.id, bm25(kb_article_fts, 10.0, 4.0, 1.0) AS rank
                FROM kb_article_fts JOIN knowledge_base_article a ON a.id = kb_article_fts.rowid
                WHERE kb_article_fts MATCH %s AND a.language = %s AND a.published {internal}
                ORDER BY rank, a.position, a.id
                LIMIT %s
                """,  # noqa: S608 (no user input in the f-string)
                [match, language, limit],
            )
            # BM25 is lower for better matches: negate, so that higher is better.
            return [(pk, -float(rank)) for pk, rank in cursor.fetchall()]

    # --- tickets and messages -------------------------------------------------------------

    def search_tickets(self, *, query: ParsedQuery, visible: QuerySet, limit: int):
        return self._text_search("ticket", query, visible, limit)

    def search_messages(self, *, query: ParsedQuery, visible: QuerySet, limit: int):
        return self._text_search("message", query, visible, limit)

    def search_ticket_text(
        self, *, query: ParsedQuery, visible: QuerySet | None, limit: int
    ) -> tuple[list[TextMatch], list[TextMatch]]:
        """Subjects and messages matching, newest first, in one query on PostgreSQL
        (``visible=None``: every ticket, for those who see everything)."""
        if query.empty or limit <= 0:
            return [], []
        if connection.vendor != "postgresql":
            return (
                self._text_search("ticket", query, visible, limit),
                self._text_search("message", query, visible, limit),
            )
        rule, rule_params = _visible_rule(visible)
        subjects: list[TextMatch] = []
        messages: list[TextMatch] = []
        with statement_timeout(), connection.cursor() as cursor:
            subject_sql, subject_params = _pg_newest("ticket", query, rule, rule_params, limit)
            message_sql, message_params = _pg_newest("message", query, rule, rule_params, limit)
            sql = (
                f"(SELECT 's', * FROM ({subject_sql}) s) "  # noqa: S608 (no user input)
                f"UNION ALL (SELECT 'm', * FROM ({message_sql}) m)"
            )
            cursor.execute(sql, [*subject_params, *message_params])
            for source, pk, ticket_id in cursor.fetchall():
                match = TextMatch(pk=pk, ticket_id=ticket_id, score=0.0)
                (subjects if source == "s" else messages).append(match)
        return subjects, messages

    def _text_search(self, kind: str, query: ParsedQuery, visible: QuerySet | None, limit: int):
        if query.empty or limit <= 0:
            return []
        ticket_col = "t.id" if kind == "ticket" else "t.ticket_id"
        rule, rule_params = _visible_rule(visible)
        table = sqlite_index.TABLES[kind]
        with statement_timeout(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                sql, params = _pg_newest(kind, query, rule, rule_params, limit)
                cursor.execute(sql, params)
                return [TextMatch(pk=pk, ticket_id=tid, score=0.0) for pk, tid in cursor]
            rule = rule.format(ticket=ticket_col)
            fts = sqlite_index.FTS[kind]
            cursor.execute(
                f"""
                SELECT t.id, {ticket_col}
                FROM {fts} f JOIN {table} t ON t.id = f.rowid
                WHERE {fts} MATCH %s {rule}
                ORDER BY t.id DESC
                LIMIT %s
                """,  # noqa: S608 (no user input in the f-string)
                [_fts_match(query, None), *rule_params, limit * (4 if query.phrase else 1)],
            )
            rows = cursor.fetchall()
        if query.phrase:
            # Both languages' stems are stored side by side: the phrase is checked on the text.
            rows = _phrase_rows(kind, rows, query)[:limit]
        return [TextMatch(pk=pk, ticket_id=tid, score=0.0) for pk, tid in rows]


# Newest first without trusting the planner's guess of how many rows match: the newest rows
# are searched first, then older and older slices, each its own branch of a UNION ALL under
# one LIMIT, so PostgreSQL stops at the first slices that give enough rows. The newest slice
# is small enough to read row by row; the older ones are read through the GIN index and
# sorted ("+ 0" keeps the planner off a backwards walk of the primary key, which reads the
# whole table when a word is rarer than it guesses). A slice is searched only when the newer
# ones gave fewer than ``limit`` rows, so the word is rare there, and each read stays small.
# Searches run without JIT compilation and parallel workers (see statement_timeout).
SLICES = (20_000, 400_000)


_tops: dict[str, tuple[float, int]] = {}


def _top_id(table: str) -> int:
    """The table's highest id, read at most once a minute: the slices are approximate, and
    a plain number lets the planner see how many rows each slice holds."""
    now = time.monotonic()
    cached = _tops.get(table)
    if cached and now - cached[0] < 60:
        return cached[1]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608 (no user input)
        top = int(cursor.fetchone()[0])
    _tops[table] = (now, top)
    return top


def _pg_newest(kind: str, query: ParsedQuery, rule: str, rule_params: tuple, limit: int):
    """SQL and parameters: (id, ticket id) of the ``limit`` newest rows of ``kind`` matching
    ``query`` (in either language) and ``rule``, newest first."""
    table = sqlite_index.TABLES[kind]
    ticket = "x.id" if kind == "ticket" else "x.ticket_id"
    top = _top_id(table)
    newest, recent = top - SLICES[0], top - SLICES[1]
    ranges = [(f"x.id > {newest}", "x.id DESC")]
    # Older slices: "x.id + 0" so that only the GIN index can find their rows (a range on
    # the primary key tempts the planner into reading the whole slice row by row).
    if newest > 0:
        ranges.append((f"x.id + 0 > {recent} AND x.id + 0 <= {newest}", "x.id + 0 DESC"))
    if recent > 0:
        ranges.append((f"x.id + 0 <= {recent}", "x.id + 0 DESC"))
    match = (
        "x.search_vector @@ helpdesk_fold("
        "to_tsquery('helpdesk_fr', %s) || to_tsquery('helpdesk_en', %s))"
    )
    tsqueries = (_pg_tsquery(query, "fr"), _pg_tsquery(query, "en"))
    condition = rule.format(ticket=ticket)
    parts = [
        f"(SELECT x.id, {ticket} FROM {table} x WHERE {match} AND {where} {condition} "  # noqa: S608
        f"ORDER BY {order} LIMIT %s)"
        for where, order in ranges
    ]
    sql = f"SELECT * FROM ({' UNION ALL '.join(parts)}) found LIMIT %s"  # noqa: S608
    params = [*[v for _ in parts for v in (*tsqueries, *rule_params, limit)], limit]
    return sql, params


_TICKET = "__kb_ticket_column__"


def _visible_rule(visible: QuerySet | None) -> tuple[str, tuple]:
    """``AND EXISTS (that visible ticket)`` with ``{ticket}`` (the row's ticket id column)
    left to fill, or nothing when every ticket is visible (``None``). Correlated on the row's
    ticket, so the database checks the rule on the few tickets found, never reads the set of
    visible tickets whole."""
    if visible is None:
        return "", ()
    from django.db.models.expressions import RawSQL

    sql, params = _sql(visible.filter(pk=RawSQL(_TICKET, ())).values("pk"))  # noqa: S611
    sql = sql.replace("{", "{{").replace("}", "}}").replace(_TICKET, "{ticket}")
    return "AND EXISTS (" + sql + ")", params


def _phrase_rows(kind: str, rows: list, query: ParsedQuery) -> list:

    wanted = " ".join(query.terms)
    model, field = (Ticket, "subject") if kind == "ticket" else (Message, "text")
    texts = dict(model.objects.filter(pk__in=[r[0] for r in rows]).values_list("pk", field))
    return [r for r in rows if wanted in " ".join(words(texts.get(r[0]) or ""))]


# Characters that PostgreSQL's unaccent turns into a quote or a backslash: kept out of a
# query, whose lexemes helpdesk_fold() unaccents in its text form.
_UNACCENT_QUOTES = dict.fromkeys(
    map(ord, "\u0149\u02b9\u02bb\u02bc\u02bd\u02c8\u2018\u2019\u201b\u2032\u2216\ufe68\uff07\uff3c")
)


def _pg_tsquery(
    query: ParsedQuery, language: str, *, prefix: bool = False, any_term: bool = False
) -> str:
    """A to_tsquery() string from words only (no operator from the user survives): each
    word as any of its spellings, which PostgreSQL stems, then helpdesk_fold() unaccents."""
    parts = []
    for position, term in enumerate(query.terms):
        found = [
            s.translate(_UNACCENT_QUOTES) for s in spellings(query.original(position), language)
        ]
        found = list(dict.fromkeys(s for s in found if s)) or [term]
        if prefix and position == len(query.terms) - 1 and len(term) >= MIN_PREFIX:
            found = [f"{s}:*" for s in found]
        parts.append(found[0] if len(found) == 1 else "(" + " | ".join(found) + ")")
    joiner = " <-> " if query.phrase else (" | " if any_term else " & ")
    return joiner.join(parts)


def _fts_match(
    query: ParsedQuery, language: str | None, *, prefix: bool = False, any_term: bool = False
) -> str:
    """An FTS5 MATCH string of quoted stems: each word matches any of its stems."""
    groups = []
    for position, term in enumerate(query.terms):
        alternatives = {f'"{s}"' for s in query_stems(query.original(position), language)}
        if prefix and position == len(query.terms) - 1 and len(term) >= MIN_PREFIX:
            alternatives.add(f'"{term}"*')
        groups.append("(" + " OR ".join(sorted(alternatives)) + ")")
    return (" OR " if any_term else " AND ").join(groups)
