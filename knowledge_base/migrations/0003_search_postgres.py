"""PostgreSQL full-text search: text search configurations (unaccent + Snowball), stored
generated tsvector columns with GIN indexes, and pg_trgm indexes for names, addresses and
phone numbers. Nothing on SQLite (its FTS5 index is made after migrate: search/sqlite_index)."""

from django.db import migrations

CONFIGS = """
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'helpdesk_fr') THEN
        CREATE TEXT SEARCH CONFIGURATION helpdesk_fr (COPY = pg_catalog.french);
        ALTER TEXT SEARCH CONFIGURATION helpdesk_fr
            ALTER MAPPING FOR hword, hword_part, word, asciiword, asciihword, hword_asciipart
            WITH unaccent, french_stem;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'helpdesk_en') THEN
        CREATE TEXT SEARCH CONFIGURATION helpdesk_en (COPY = pg_catalog.english);
        ALTER TEXT SEARCH CONFIGURATION helpdesk_en
            ALTER MAPPING FOR hword, hword_part, word, asciiword, asciihword, hword_asciipart
            WITH unaccent, english_stem;
    END IF;
END
$$;
"""

# Texts are cut at 100,000 characters: a huge message is stored whole but never fails the
# write for its index.
BOTH = (
    "to_tsvector('helpdesk_fr'::regconfig, left(coalesce({col}, ''), 100000)) || "
    "to_tsvector('helpdesk_en'::regconfig, left(coalesce({col}, ''), 100000))"
)
ARTICLE_CONFIG = (
    "CASE WHEN language = 'fr' THEN 'helpdesk_fr'::regconfig ELSE 'helpdesk_en'::regconfig END"
)
ARTICLE = " || ".join(
    f"setweight(to_tsvector({ARTICLE_CONFIG}, left(coalesce({col}, ''), 100000)), '{w}')"
    for col, w in (("title", "A"), ("summary", "B"), ("body", "C"))
)

FORWARD = [
    CONFIGS,
    f"ALTER TABLE knowledge_base_article ADD COLUMN search_vector tsvector "
    f"GENERATED ALWAYS AS ({ARTICLE}) STORED",
    "CREATE INDEX kb_article_search ON knowledge_base_article USING gin (search_vector)",
    f"ALTER TABLE tickets_ticket ADD COLUMN search_vector tsvector "
    f"GENERATED ALWAYS AS ({BOTH.format(col='subject')}) STORED",
    "CREATE INDEX kb_ticket_search ON tickets_ticket USING gin (search_vector)",
    f"ALTER TABLE tickets_message ADD COLUMN search_vector tsvector "
    f"GENERATED ALWAYS AS ({BOTH.format(col='text')}) STORED",
    "CREATE INDEX kb_message_search ON tickets_message USING gin (search_vector)",
    # Names, email addresses and phone numbers: substring and typo-tolerant lookups.
    "CREATE INDEX kb_contact_name_trgm ON contacts_contact USING gin (name gin_trgm_ops)",
    "CREATE INDEX kb_identity_address_trgm ON contacts_contactidentity "
    "USING gin (address gin_trgm_ops)",
    "CREATE INDEX kb_order_email_trgm ON orders_link_order USING gin (email gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS kb_order_email_trgm",
    "DROP INDEX IF EXISTS kb_identity_address_trgm",
    "DROP INDEX IF EXISTS kb_contact_name_trgm",
    "ALTER TABLE tickets_message DROP COLUMN IF EXISTS search_vector",
    "ALTER TABLE tickets_ticket DROP COLUMN IF EXISTS search_vector",
    "ALTER TABLE knowledge_base_article DROP COLUMN IF EXISTS search_vector",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in FORWARD:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in BACKWARD:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge_base", "0002_articles_editing"),
        ("tickets", "0004_raw_inbound_queue"),
        ("contacts", "0001_initial"),
        ("orders_link", "0002_delays_events_webhooks"),
    ]

    operations = [migrations.RunPython(forward, backward)]
