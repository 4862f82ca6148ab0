"""Changes that no domain event announces still reach Elasticsearch: saves and deletes
through the ORM (the Django admin) by signals, and rows written in bulk by the periodic
catch-up. Checked against what the official client sends to a local stand-in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from helpdesk.tickets.models import Direction, Message
from knowledge_base.search.catch_up import KEY, search_catch_up
from tests.factories import TicketFactory
from tests.knowledge_base.test_elasticsearch import fake_es  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def _bulk(server):
    """Every action line of every bulk request so far: (op, index, id, source or None)."""
    out = []
    for call in server.calls(None, "/_bulk"):
        lines = call["body"]
        i = 0
        while i < len(lines):
            ((op, meta),) = lines[i].items()
            source = lines[i + 1] if op == "index" else None
            out.append((op, meta["_index"], int(meta["_id"]), source))
            i += 2 if op == "index" else 1
    return out


def test_a_subject_saved_without_a_domain_event_is_reindexed(fake_es):  # noqa: F811
    ticket = TicketFactory(subject="Old subject")
    fake_es.requests.clear()
    ticket.subject = "Colis jamais arrivé"
    ticket.save()  # as the Django admin's change form does
    ((op, index, pk, source),) = _bulk(fake_es)
    assert (op, index, pk) == ("index", "t-tickets", ticket.pk)
    assert source["subject"] == "Colis jamais arrivé"


def test_only_indexed_fields_trigger_a_reindex(fake_es):  # noqa: F811
    ticket = TicketFactory(subject="Subject")
    fake_es.requests.clear()
    ticket.status = "pending"
    ticket.save(update_fields=["status"])
    assert _bulk(fake_es) == []


def test_deletes_are_removed_and_one_transaction_sends_one_request(fake_es):  # noqa: F811
    ticket = TicketFactory(subject="Subject")
    messages = [
        Message.objects.create(
            ticket=ticket, direction=Direction.INBOUND, author_type="contact", text=f"Text {i}"
        )
        for i in range(3)
    ]
    fake_es.requests.clear()
    with transaction.atomic():
        for message in messages:
            message.text += " (edited)"
            message.save()
        assert _bulk(fake_es) == []  # nothing before commit
    (_request,) = fake_es.calls(None, "/_bulk")  # the three rows in one bulk request
    assert [(op, pk) for op, _index, pk, _source in _bulk(fake_es)] == [
        ("index", m.pk) for m in messages
    ]
    fake_es.requests.clear()
    gone = messages[0].pk
    messages[0].delete()
    assert [(op, index, pk) for op, index, pk, _ in _bulk(fake_es)] == [
        ("delete", "t-messages", gone)
    ]


def test_rolled_back_writes_send_nothing(fake_es):  # noqa: F811
    ticket = TicketFactory(subject="Subject")
    fake_es.requests.clear()
    with pytest.raises(RuntimeError), transaction.atomic():
        ticket.subject = "Never committed"
        ticket.save()
        raise RuntimeError
    assert _bulk(fake_es) == []


def test_bulk_created_rows_are_caught_up(fake_es):  # noqa: F811
    ticket = TicketFactory(subject="Subject")
    cache.delete(KEY)
    search_catch_up()  # first run: the last minutes
    fake_es.requests.clear()
    (imported,) = Message.objects.bulk_create(
        [Message(ticket=ticket, direction=Direction.INBOUND, author_type="contact", text="Bulk")]
    )
    assert _bulk(fake_es) == []  # no signal for bulk_create
    sent = search_catch_up()
    assert sent["message"] == 1
    actions = {(op, index, pk): source for op, index, pk, source in _bulk(fake_es)}
    assert actions[("index", "t-messages", imported.pk)]["text"] == "Bulk"

    # A row older than the last run (and its minute of overlap) is not sent again.
    Message.objects.filter(pk=imported.pk).update(created_at=timezone.now() - timedelta(hours=1))
    fake_es.requests.clear()
    assert "message" not in search_catch_up()


def test_catch_up_does_nothing_on_the_database_backend(settings):
    settings.ELASTICSEARCH_URL = ""
    settings.HELPDESK_SEARCH_BACKEND = ""
    assert search_catch_up() == {}
