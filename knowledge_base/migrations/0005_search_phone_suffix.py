"""Phone numbers typed in any format are found by their last digits: a btree on the reversed
address turns "ends with these digits" into a prefix lookup (PostgreSQL only)."""

from django.db import migrations

FORWARD = [
    "CREATE INDEX kb_identity_phone_reversed ON contacts_contactidentity "
    "(reverse(address::text) text_pattern_ops) WHERE kind IN ('phone', 'whatsapp')",
]
BACKWARD = ["DROP INDEX IF EXISTS kb_identity_phone_reversed"]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("knowledge_base", "0004_search_upper_trigram")]

    operations = [migrations.RunPython(forward, backward)]
