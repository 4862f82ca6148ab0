from __future__ import annotations

import dataclasses
import json

import pytest
from django.db import transaction

from helpdesk import domain_events
from helpdesk.contracts import InboundMessage, Sender
from helpdesk.domain_events import (
    MessageReceived,
    ReplySent,
    TicketCreated,
    TicketStatusChanged,
)
from helpdesk.tickets.models import SubscriberFailure, Tag, Ticket, TicketStatus
from helpdesk.tickets.services import (
    message_receive,
    message_reply,
    messages_receive,
    ticket_set_status,
)
from tests.factories import AgentFactory, InboxFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seen():
    """Subscribe a recorder to every event type for one test."""
    got: list[domain_events.DomainEvent] = []

    def record(event):
        got.append(event)

    types = list(domain_events._EVENT_TYPES.values())
    for cls in types:
        domain_events.subscribe(cls, record)
    yield got
    for cls in types:
        domain_events.unsubscribe(cls, record)


@pytest.fixture
def temporary():
    added = []

    def add(cls, fn):
        domain_events.subscribe(cls, fn)
        added.append((cls, fn))

    yield add
    for cls, fn in added:
        domain_events.unsubscribe(cls, fn)


def inbound(inbox, text="Where is my parcel?", external_id="e-1"):
    return InboundMessage(
        inbox_id=inbox.pk,
        sender=Sender(kind=inbox.identity_kind, address="jane@example.test", name="Jane"),
        text=text,
        external_id=external_id,
    )


def test_subscribers_run_after_commit_and_never_after_a_rollback(seen):
    event = TicketStatusChanged(ticket_id=1, old="new", new="open", actor_id=None)
    with transaction.atomic():
        domain_events.emit(event)
        assert seen == []
    assert seen == [event]

    seen.clear()
    with pytest.raises(RuntimeError), transaction.atomic():
        domain_events.emit(event)
        raise RuntimeError("rolled back")
    assert seen == []


def test_every_event_type_round_trips_through_plain_values():
    samples = {int: 7, str: "x", bool: True, "int | None": None}
    for name, cls in domain_events._EVENT_TYPES.items():
        values = {}
        for f in dataclasses.fields(cls):
            values[f.name] = samples.get(f.type, samples.get(str(f.type), 3))
        event = cls(**values)
        payload = domain_events.event_to_json(event)
        assert json.loads(payload)["type"] == name
        assert domain_events.event_from_json(payload) == event


def test_an_event_carrying_a_model_instance_is_refused_where_it_is_emitted():
    user = UserFactory()
    with pytest.raises(TypeError):
        domain_events.emit(ReplySent(ticket_id=1, message_id=2, author_id=user, author_type="x"))


def test_a_failing_subscriber_is_recorded_and_undoes_neither_the_write_nor_the_others(
    seen, temporary
):
    def fails_halfway(event):
        Tag.objects.create(name="written-by-the-failing-subscriber")
        raise RuntimeError("search index unreachable")

    temporary(MessageReceived, fails_halfway)
    inbox = InboxFactory(kind="email")
    result = message_receive(inbound=inbound(inbox))

    assert Ticket.objects.filter(pk=result.ticket.pk).exists()
    # The recorder, registered before and after the failing one, still saw everything.
    assert any(isinstance(e, MessageReceived) for e in seen)
    # What the failing subscriber wrote before raising is rolled back with it.
    assert not Tag.objects.filter(name="written-by-the-failing-subscriber").exists()
    failure = SubscriberFailure.objects.get()
    assert failure.event == "MessageReceived"
    assert failure.subscriber.endswith("fails_halfway")
    assert failure.payload["ticket_id"] == result.ticket.pk
    assert "search index unreachable" in failure.error


def test_healthz_counts_subscriber_failures_for_staff_only(client, temporary):
    def fails(event):
        raise RuntimeError("boom")

    temporary(TicketStatusChanged, fails)
    domain_events.emit(TicketStatusChanged(ticket_id=1, old="new", new="open"))
    assert "subscriber_failures" not in client.get("/healthz").json()
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    body = client.get("/healthz").json()
    assert body["subscriber_failures"]["last_24h"] == 1
    assert body["subscriber_failures"]["latest"][0]["event"] == "TicketStatusChanged"


def test_receive_reply_and_status_emit_their_events(seen):
    inbox = InboxFactory(kind="email")
    first = message_receive(inbound=inbound(inbox))
    ticket = first.ticket
    assert [type(e) for e in seen] == [TicketCreated, MessageReceived]
    assert seen[1] == MessageReceived(
        ticket_id=ticket.pk,
        message_id=first.message.pk,
        inbox_id=inbox.pk,
        channel="email",
        created_ticket=True,
    )

    seen.clear()
    message_receive(inbound=inbound(inbox))  # the same delivery again: nothing happened
    assert seen == []

    agent = AgentFactory()
    reply = message_reply(ticket=ticket, text="On its way", author=agent)
    assert (
        ReplySent(
            ticket_id=ticket.pk,
            message_id=reply.pk,
            author_id=agent.pk,
            author_type="agent",
            first_response=True,
        )
        in seen
    )
    assert (
        TicketStatusChanged(ticket_id=ticket.pk, old="new", new="open", actor_id=agent.pk) in seen
    )

    seen.clear()
    message_reply(ticket=ticket, text="Anything else?", author=agent)
    assert [e.first_response for e in seen if isinstance(e, ReplySent)] == [False]

    seen.clear()
    ticket_set_status(ticket=Ticket.objects.get(pk=ticket.pk), status=TicketStatus.SOLVED)
    assert seen == [TicketStatusChanged(ticket_id=ticket.pk, old="open", new="solved")]

    seen.clear()
    message_receive(inbound=inbound(inbox, text="It never came", external_id="e-2"))
    assert TicketStatusChanged(ticket_id=ticket.pk, old="solved", new="open") in seen
    assert [e.created_ticket for e in seen if isinstance(e, MessageReceived)] == [False]


def test_a_batch_subscriber_gets_a_received_batch_in_one_call_in_order():
    calls: list[list[int]] = []

    def batch(events):
        calls.append([e.message_id for e in events])

    domain_events.batch_subscriber(MessageReceived)(batch)
    try:
        inbox = InboxFactory(kind="email")
        results = messages_receive(
            inbounds=[inbound(inbox, text=f"Message {n}", external_id=f"b-{n}") for n in range(3)]
        )
    finally:
        domain_events.batch_unsubscribe(batch)
    assert calls == [[r.message.pk for r in results]]


def test_a_failing_batch_runs_again_event_by_event_and_only_the_bad_event_is_recorded():
    calls: list[list[int]] = []

    def picky(events):
        calls.append([e.message_id for e in events])
        for event in events:
            Tag.objects.create(name=f"seen-{event.message_id}")
            if event.message_id == bad:
                raise RuntimeError("this one is broken")

    inbox = InboxFactory(kind="email")
    first = message_receive(inbound=inbound(inbox, external_id="x-0")).message.pk
    bad = first + 2  # the second message of the batch below
    domain_events.batch_subscriber(MessageReceived)(picky)
    try:
        results = messages_receive(
            inbounds=[inbound(inbox, text=f"Message {n}", external_id=f"x-{n}") for n in (1, 2, 3)]
        )
    finally:
        domain_events.batch_unsubscribe(picky)
    ids = [r.message.pk for r in results]
    assert bad == ids[1]
    # Once with the batch (rolled back whole), then once per event.
    assert calls == [ids, [ids[0]], [ids[1]], [ids[2]]]
    assert set(Tag.objects.values_list("name", flat=True)) == {
        f"seen-{ids[0]}",
        f"seen-{ids[2]}",
    }
    failure = SubscriberFailure.objects.get()
    assert failure.payload["message_id"] == ids[1]
    assert failure.subscriber.endswith("picky")


def test_an_in_transaction_subscriber_takes_a_savepoint_only_when_it_writes_or_reads():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def quiet(event, **live):
        return []

    def writes_then_fails(event, **live):
        Tag.objects.create(name="in-transaction-write")
        raise RuntimeError("rolled back to its savepoint")

    inbox = InboxFactory(kind="email")

    def receive(n: int):
        message = InboundMessage(
            inbox_id=inbox.pk,
            sender=Sender(kind="email", address=f"writer{n}@example.test"),
            text="Where is my parcel?",
            external_id=f"sp-{n}",
        )
        with CaptureQueriesContext(connection) as queries:
            result = message_receive(inbound=message)
        return result, [q["sql"] for q in queries]

    def savepoints(sqls):
        return len([sql for sql in sqls if sql.startswith("SAVEPOINT")])

    _result, before = receive(1)
    domain_events.subscribe(MessageReceived, quiet, in_transaction=True)
    try:
        _result, with_quiet = receive(2)
        domain_events.subscribe(MessageReceived, writes_then_fails, in_transaction=True)
        result, failing = receive(3)
    finally:
        domain_events.unsubscribe(MessageReceived, quiet, in_transaction=True)
        domain_events.unsubscribe(MessageReceived, writes_then_fails, in_transaction=True)
    # One that answers without the database costs no round trip.
    assert savepoints(with_quiet) == savepoints(before)
    # One that writes does it after a savepoint of its own: rolled back alone on failure.
    assert savepoints(failing) == savepoints(before) + 1
    assert any(sql.startswith("ROLLBACK TO SAVEPOINT") for sql in failing)
    assert not Tag.objects.filter(name="in-transaction-write").exists()
    assert Ticket.objects.filter(pk=result.ticket.pk).exists()
    assert SubscriberFailure.objects.get().subscriber.endswith("writes_then_fails")


def test_a_batch_is_announced_live_by_one_subscriber_in_one_trip(monkeypatch):
    from helpdesk.automations.models import Rule
    from helpdesk.tickets import events, subscribers
    from helpdesk.tickets.services import messages_receive
    from tests.factories import TeamFactory

    trips: list[list] = []
    monkeypatch.setattr(events, "_send", lambda items: trips.append(list(items)))
    team = TeamFactory()
    Rule.objects.create(
        name="to the team", trigger="created", actions=[{"type": "assign_team", "value": team.pk}]
    )
    inbox = InboxFactory(kind="email")

    results = messages_receive(
        inbounds=[inbound(inbox, external_id="b-1"), inbound(inbox, "And?", external_id="b-2")]
    )

    assert subscribers.messages_announce in [f for _t, f in domain_events._BATCH]
    created = [
        event for trip in trips for _groups, event in trip if event["type"] == "message.created"
    ]
    assert [(e["message"], e["new_ticket"], e["team"]) for e in created] == [
        (results[0].message.pk, True, team.pk),
        (results[1].message.pk, False, team.pk),
    ]
    assert len([t for t in trips if any(e["type"] == "message.created" for _g, e in t)]) == 1
