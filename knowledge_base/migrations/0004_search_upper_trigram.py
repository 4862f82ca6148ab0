"""Case-insensitive substring lookups (Django's icontains/iexact compare UPPER(column::text))
use pg_trgm indexes on those expressions: contact names and identity addresses."""

from django.db import migrations

FORWARD = [
    "CREATE INDEX kb_contact_name_upper_trgm ON contacts_contact "
    "USING gin (upper(name::text) gin_trgm_ops)",
    "CREATE INDEX kb_identity_address_upper_trgm ON contacts_contactidentity "
    "USING gin (upper(address::text) gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS kb_identity_address_upper_trgm",
    "DROP INDEX IF EXISTS kb_contact_name_upper_trgm",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("knowledge_base", "0003_search_postgres")]

    operations = [migrations.RunPython(forward, backward)]
