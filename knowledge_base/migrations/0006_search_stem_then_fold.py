"""Stem first, then fold: the French stemmer reads the accents ("remboursée" and "rembourse"
share the stem "rembours"; "remboursee" does not), so the text search configurations stem
the accented words and ``helpdesk_fold`` unaccents the lexemes afterwards, keeping their
positions and weights. The stored vectors are generated again (every existing row is
recomputed when its column is added back) with their GIN indexes. On SQLite the FTS5 index
is rebuilt with the same order in Python."""

import importlib

from django.db import migrations

before = importlib.import_module("knowledge_base.migrations.0003_search_postgres")

TOKENS = "hword, hword_part, word, asciiword, asciihword, hword_asciipart"

# The lexemes one by one (a whole vector's text form could gain an unescaped quote: unaccent
# turns some letters, such as the modifier letter apostrophe, into one).
FUNCTIONS = """
CREATE OR REPLACE FUNCTION helpdesk_fold(v tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $f$
    SELECT coalesce(string_agg(
        '''' || replace(replace({schema}.unaccent('{schema}.unaccent'::regdictionary, lexeme),
                                '\\', '\\\\'), '''', '''''') || ''''
        || CASE WHEN positions IS NULL THEN '' ELSE ':' || array_to_string(ARRAY(
            SELECT p::text || w FROM unnest(positions, weights) AS x(p, w)), ',') END,
        ' '), '')::tsvector
    FROM unnest(v)
$f$;
CREATE OR REPLACE FUNCTION helpdesk_fold(q tsquery) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $f$
    SELECT {schema}.unaccent('{schema}.unaccent'::regdictionary, q::text)::tsquery
$f$;
"""

COLUMNS = (
    ("knowledge_base_article", "kb_article_search", before.ARTICLE),
    ("tickets_ticket", "kb_ticket_search", before.BOTH.format(col="subject")),
    ("tickets_message", "kb_message_search", before.BOTH.format(col="text")),
)


def _vectors(schema_editor, fold: bool) -> None:
    for table, index, expression in COLUMNS:
        if fold:
            expression = f"helpdesk_fold({expression})"
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector")
        schema_editor.execute(
            f"ALTER TABLE {table} ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS ({expression}) STORED"
        )
        schema_editor.execute(f"CREATE INDEX {index} ON {table} USING gin (search_vector)")


def _mappings(schema_editor, unaccent: bool) -> None:
    for config, stemmer in (("helpdesk_fr", "french_stem"), ("helpdesk_en", "english_stem")):
        chain = f"unaccent, {stemmer}" if unaccent else stemmer
        schema_editor.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {config} ALTER MAPPING FOR {TOKENS} WITH {chain}"
        )


def forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        from knowledge_base.search import sqlite_index

        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            existing = {name for (name,) in cursor.fetchall()}
        kinds = [kind for kind, fts in sqlite_index.FTS.items() if fts in existing]
        if kinds:
            sqlite_index.rebuild(kinds=kinds)
        return
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT quote_ident(n.nspname) FROM pg_extension e "
            "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'unaccent'"
        )
        schema = cursor.fetchone()[0]
    schema_editor.execute(FUNCTIONS.replace("{schema}", schema))
    _mappings(schema_editor, unaccent=False)
    _vectors(schema_editor, fold=True)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    _mappings(schema_editor, unaccent=True)
    _vectors(schema_editor, fold=False)
    schema_editor.execute("DROP FUNCTION IF EXISTS helpdesk_fold(tsvector)")
    schema_editor.execute("DROP FUNCTION IF EXISTS helpdesk_fold(tsquery)")


class Migration(migrations.Migration):
    dependencies = [("knowledge_base", "0005_search_phone_suffix")]

    operations = [migrations.RunPython(forward, backward)]
