"""A batch through messages_receive ends exactly as the same messages received one by one."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from channels_in.base import InboundMessage, Sender
from helpdesk.contacts.models import ContactIdentity
from helpdesk.tickets.events import inbox_group
from helpdesk.tickets.models import Message, MessageKind, RawInbound, Ticket, TicketStatus
from helpdesk.tickets.services import message_receive, messages_receive, ticket_set_status
from tests.factories import InboxFactory

pytestmark = pytest.mark.django_db


def scenario(inbox, tag: str) -> list[InboundMessage]:
    """Messages whose outcomes depend on the ones before them in the same batch."""

    def mail(name, ext, text="Where is my order?", **kw):
        return InboundMessage(
            inbox_id=inbox.pk,
            sender=Sender(kind="email", address=f"{name}@{tag}.test", name=kw.pop("who", "")),
            text=text,
            subject=kw.pop("subject", f"From {name}"),
            external_id=f"<{ext}@{tag}>" if ext else "",
            raw=text.encode(),
            raw_content_type="text/plain",
            **kw,
        )

    return [
        mail("jane", "a"),  # a new ticket
        mail("bob", "b", who="Bob"),  # another
        mail("jane", "c", text="Any news?"),  # joins jane's ticket (reopen window)
        mail("jane", "a", text="redelivered"),  # a duplicate of the first
        mail("carl", "d", in_reply_to=(f"<b@{tag}>",)),  # answers bob's mail: not his ticket
        mail("bob", "e", in_reply_to=(f"<a@{tag}>",)),  # answers jane's: joins his own
        mail("jane", "f", language="fr", who="Jane"),  # names and language fill in
        mail("erin", "g", text="Still broken"),  # reopens her solved ticket
        mail("erin", "h", text="Hello?"),  # joins it, without reopening it again
        mail("frank", "", text="no id"),  # without Message-ID: never a duplicate
        mail("frank", "", text="no id"),
        mail("carl", "i", in_reply_to=(f"<d@{tag}>",)),  # answers his own first mail
    ]


def before(inbox, tag: str) -> None:
    """Erin's earlier ticket, solved before the batch arrives."""
    first = message_receive(
        inbound=InboundMessage(
            inbox_id=inbox.pk,
            sender=Sender(kind="email", address=f"erin@{tag}.test"),
            text="It is broken",
            external_id=f"<z@{tag}>",
        )
    )
    ticket_set_status(ticket=first.ticket, status=TicketStatus.SOLVED)


def outcome(inbox, results) -> dict:
    """What happened, with ticket ids replaced by the order the tickets appeared in."""
    order: dict[int, int] = {}
    for result in results:
        order.setdefault(result.ticket.pk, len(order))
    tickets = Ticket.objects.filter(inbox=inbox).order_by("pk")
    identities = ContactIdentity.objects.filter(address__in=_addresses(inbox)).order_by("address")
    return {
        "results": [
            (
                r.outcome,
                order[r.ticket.pk],
                r.message.threading_reason,
                r.message.identity.address.split("@")[0],
            )
            for r in results
        ],
        "tickets": [
            (
                order.get(t.pk),
                t.status,
                t.reopened_count,
                t.language,
                t.messages.filter(kind=MessageKind.MESSAGE).count(),
                t.messages.filter(kind=MessageKind.EVENT).count(),
            )
            for t in tickets
        ],
        "identities": [
            (i.address.split("@")[0], i.display_name, i.contact.name, i.contact.language)
            for i in identities
        ],
        "latest_first": [order.get(t.pk) for t in tickets.order_by("-last_message_at")],
        "raw": RawInbound.objects.filter(inbox=inbox).count(),
    }


def _addresses(inbox) -> list[str]:
    return list(
        Message.objects.filter(inbox=inbox, identity__isnull=False)
        .values_list("identity__address", flat=True)
        .distinct()
    )


def test_a_batch_ends_as_the_same_messages_received_one_by_one():
    one_by_one, batched = InboxFactory(kind="email"), InboxFactory(kind="email")
    before(one_by_one, "one")
    before(batched, "two")

    singles = [message_receive(inbound=i) for i in scenario(one_by_one, "one")]
    together = messages_receive(inbounds=scenario(batched, "two"))

    expected = outcome(one_by_one, singles)
    assert outcome(batched, together) == expected
    # The scenario does exercise what it claims to.
    assert [r[0] for r in expected["results"]] == [
        "created",
        "created",
        "threaded",
        "duplicate",
        "created",
        "threaded",
        "threaded",
        "threaded",
        "threaded",
        "created",
        "threaded",
        "threaded",
    ]
    assert ("jane", "Jane", "Jane", "fr") in expected["identities"]
    erin = Ticket.objects.get(pk=together[7].ticket.pk)
    assert (erin.status, erin.reopened_count) == (TicketStatus.OPEN, 1)
    assert together[9].message.pk != together[10].message.pk


def test_a_failing_batch_stores_nothing(monkeypatch):
    from helpdesk.tickets.services import receive as services

    inbox = InboxFactory(kind="email")
    real, opened = services._subject_for, []

    def subject_failing_on_the_third_ticket(inbound):
        opened.append(inbound)
        if len(opened) == 3:
            raise RuntimeError("disk full")
        return real(inbound)

    monkeypatch.setattr(services, "_subject_for", subject_failing_on_the_third_ticket)
    with pytest.raises(RuntimeError):
        messages_receive(inbounds=scenario(inbox, "fail"))
    assert not Message.objects.filter(inbox=inbox).exists()
    assert not RawInbound.objects.filter(inbox=inbox).exists()
    assert not Ticket.objects.filter(inbox=inbox).exists()


def test_a_batch_announces_every_message_after_commit(django_capture_on_commit_callbacks):
    inbox = InboxFactory(kind="email")
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(inbox_group(inbox.pk), channel)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        results = messages_receive(inbounds=scenario(inbox, "live"))
    # One trip to the layer for the whole batch, one dispatch of its domain events.
    assert len(callbacks) == 2

    async def eleven_events():
        return [(await layer.receive(channel))["event"] for _ in range(11)]

    received = async_to_sync(eleven_events)()
    stored = [r.message.pk for r in results if r.outcome != "duplicate"]
    assert [e["message"] for e in received] == stored
    assert [e["new_ticket"] for e in received] == [
        r.outcome == "created" for r in results if r.outcome != "duplicate"
    ]
