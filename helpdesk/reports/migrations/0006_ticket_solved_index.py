"""The reports' solve-range figures (resolution times, the business times to count) read
tickets by when they were solved: an index for it on the tickets table, created here so the
owning app stays unaware of the reports."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0005_ticket_timing"),
        ("tickets", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS reports_ticket_solved ON tickets_ticket (solved_at)",
            "DROP INDEX IF EXISTS reports_ticket_solved",
        )
    ]
