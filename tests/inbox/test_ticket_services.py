from datetime import timedelta

import pytest

from channels_in.base import InboundMessage, Sender
from helpdesk.contacts.models import Contact
from helpdesk.inbox.models import Mention
from helpdesk.inbox.services import canned_render, mentions_record
from helpdesk.tickets.models import Message, Ticket
from helpdesk.tickets.services import (
    contact_merge,
    message_receive,
    note_add,
    ticket_assign,
    ticket_link_order,
    ticket_merge,
    ticket_split,
    ticket_tags_change,
)
from tests.factories import (
    AgentFactory,
    ContactFactory,
    IdentityFactory,
    OrderFactory,
    ShipmentFactory,
    TeamFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db


def receive(inbox, address, text, ext, subject="Hi"):
    return message_receive(
        inbound=InboundMessage(
            inbox_id=inbox.pk,
            sender=Sender(kind="email", address=address),
            subject=subject,
            text=text,
            external_id=ext,
        )
    )


def test_merge_keeps_every_message(email_inbox):
    email_inbox.reopen_window = timedelta(0)
    email_inbox.save()
    a = receive(email_inbox, "x@example.test", "first", "<a1@x>", subject="A").ticket
    receive(email_inbox, "x@example.test", "second", "<a2@x>", subject=f"Re: A [#{a.pk}]")
    b = receive(email_inbox, "x@example.test", "other", "<b1@x>", subject="B").ticket
    Ticket.objects.filter(pk=b.pk).update(status="open")
    all_ids = set(Message.objects.filter(ticket__in=[a, b]).values_list("pk", flat=True))
    agent = AgentFactory()
    ticket_merge(source=b, target=a, actor=agent)
    a.refresh_from_db()
    b.refresh_from_db()
    assert set(Message.objects.filter(ticket=a).values_list("pk", flat=True)) >= all_ids
    assert b.merged_into == a and b.status == "closed"
    assert not b.messages.exclude(kind="event").exists()
    assert a.messages.filter(kind="event", metadata__event="merged_from").exists()
    with pytest.raises(ValueError):
        ticket_merge(source=a, target=a)
    with pytest.raises(ValueError):
        ticket_merge(source=TicketFactory(), target=b)


def test_split_moves_one_message_to_a_new_ticket(email_inbox):
    first = receive(email_inbox, "y@example.test", "my parcel", "<s1@x>")
    ticket = first.ticket
    second = receive(
        email_inbox,
        "y@example.test",
        "also: a refund question",
        "<s2@x>",
        subject=f"Re: Hi [#{ticket.pk}]",
    )
    assert second.ticket == ticket
    new = ticket_split(message=second.message)
    assert new.pk != ticket.pk and new.contact_id == ticket.contact_id
    assert list(new.messages.exclude(kind="event")) == [second.message]
    assert first.message in ticket.messages.all()
    assert Message.objects.filter(pk__in=[first.message.pk, second.message.pk]).count() == 2
    with pytest.raises(ValueError):
        ticket_split(message=second.message)  # now the new ticket's only message


def test_assign_and_tags_record_events():
    agent = AgentFactory()
    ticket = TicketFactory()
    ticket_assign(ticket=ticket, assignee=agent, actor=agent)
    ticket_tags_change(ticket=ticket, add=["vip", " "], actor=agent)
    ticket_tags_change(ticket=ticket, remove=["vip"], add=["refund"], actor=agent)
    events = list(ticket.messages.filter(kind="event").values_list("metadata__event", flat=True))
    assert events == ["assign", "tags", "tags"]
    assert list(ticket.tags.values_list("name", flat=True)) == ["refund"]
    agent.agent_profile.refresh_from_db()
    assert agent.agent_profile.last_assigned_at is not None


def test_link_order_only_of_the_same_customer():
    ticket = TicketFactory()
    mine = OrderFactory(contact=ticket.contact)
    theirs = OrderFactory()
    ticket_link_order(ticket=ticket, order=mine)
    assert ticket.order == mine
    with pytest.raises(ValueError):
        ticket_link_order(ticket=ticket, order=theirs)
    ticket_link_order(ticket=ticket, order=None)
    ticket.refresh_from_db()
    assert ticket.order is None


def test_contact_merge_moves_identities_tickets_orders():
    a, b = ContactFactory(name=""), ContactFactory(name="Bea")
    IdentityFactory(contact=a, address="a@x.test")
    IdentityFactory(contact=b, kind="telegram", address="123")
    t = TicketFactory(contact=a)
    o = OrderFactory(contact=a)
    contact_merge(source=a, target=b)
    b.refresh_from_db()
    assert set(b.identities.values_list("address", flat=True)) == {"a@x.test", "123"}
    t.refresh_from_db()
    o.refresh_from_db()
    assert t.contact == b and o.contact == b
    assert Contact.objects.get(pk=a.pk).merged_into == b


def test_canned_variables():
    contact = ContactFactory(name="Jean Dupont")
    order = OrderFactory(contact=contact, number="#1042")
    ShipmentFactory(
        order=order, tracking_url="https://track.test/6A1", estimated_delivery="2026-11-30"
    )
    ticket = TicketFactory(contact=contact, order=order)
    text = canned_render(
        text="Bonjour {{ contact.first_name }}, {{order.number}}: {{ shipment.tracking_url }} "
        "({{ shipment.estimated_delivery }}) {{ contact.__class__ }} {{ secret.key }}",
        ticket=ticket,
        agent=None,
    )
    assert text.startswith("Bonjour Jean, #1042: https://track.test/6A1 (")
    # The month in words, in the customer's language: never 11/30 or 30/11.
    assert "30 novembre 2026" in text or "30 November 2026" in text
    assert text.endswith("{{ contact.__class__ }} {{ secret.key }}")


def test_mentions_notify_only_agents_who_see_the_ticket():
    team, other = TeamFactory(), TeamFactory()
    author = AgentFactory(username="author")
    colleague = AgentFactory(username="colleague")
    colleague.agent_profile.teams.add(team)
    outsider = AgentFactory(username="outsider")
    outsider.agent_profile.teams.add(other)
    ticket = TicketFactory(team=team)
    note = note_add(ticket=ticket, author=author, text="@colleague and @outsider and @nobody, look")
    assert mentions_record(message=note, author=author) == [colleague.pk]
    assert list(Mention.objects.values_list("user__username", flat=True)) == ["colleague"]
