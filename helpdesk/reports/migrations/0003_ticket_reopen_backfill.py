"""Reopenings of existing tickets, from the status events their timelines kept."""

from django.db import migrations

DONE = ["solved", "closed"]
OPEN = ["new", "open", "pending"]
BATCH = 5000


def backfill(apps, schema_editor):
    Message = apps.get_model("tickets", "Message")
    TicketReopen = apps.get_model("reports", "TicketReopen")
    events = (
        Message.objects.filter(
            kind="event",
            metadata__event="status",
            metadata__from__in=DONE,
            metadata__to__in=OPEN,
        )
        .order_by("id")
        .values_list("ticket_id", "created_at", "metadata__from")
    )
    rows = []
    for ticket_id, created_at, previous in events.iterator(chunk_size=BATCH):
        rows.append(
            TicketReopen(ticket_id=ticket_id, reopened_at=created_at, previous_status=previous)
        )
        if len(rows) >= BATCH:
            TicketReopen.objects.bulk_create(rows)
            rows = []
    TicketReopen.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_ticket_reopen"),
        ("tickets", "0001_initial"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
