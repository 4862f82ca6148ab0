"""Indexes the reports' date ranges need on tables other apps own: tickets by creation, orders
by when they were placed. Created here so the owning apps stay unaware of the reports."""

from django.db import migrations

INDEXES = [
    ("reports_ticket_created", "tickets_ticket", "created_at"),
    ("reports_order_placed", "orders_link_order", "placed_at"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_ticket_reopen_backfill"),
        ("tickets", "0001_initial"),
        ("orders_link", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column})",
            f"DROP INDEX IF EXISTS {name}",
        )
        for name, table, column in INDEXES
    ]
