"""Data for workspace tests: a team with an agent, another team, tickets with messages and
orders."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from helpdesk.tickets.models import Message, Ticket
from orders_link.models import OrderLine, TrackingEvent
from tests.factories import (
    AgentFactory,
    ContactFactory,
    IdentityFactory,
    InboxFactory,
    OrderFactory,
    ShipmentFactory,
    TeamFactory,
    TicketFactory,
)


def team_agent(username: str = "alice", **profile):
    team = TeamFactory()
    agent = AgentFactory(username=username, **{f"profile__{k}": v for k, v in profile.items()})
    agent.agent_profile.teams.add(team)
    return team, agent


def rich_ticket(*, team=None, inbox=None, messages: int = 3, **fields) -> Ticket:
    """A ticket with an email identity, messages, and a linked order with a shipment and
    tracking scans."""
    inbox = inbox or InboxFactory(team=team)
    contact = ContactFactory()
    identity = IdentityFactory(contact=contact)
    order = OrderFactory(contact=contact)
    OrderLine.objects.create(order=order, title="Blue mug", quantity=2)
    shipment = ShipmentFactory(
        order=order, tracking_url="https://track.test/x", shipped_at=timezone.now()
    )
    for i in range(2):
        TrackingEvent.objects.create(
            shipment=shipment,
            status="in_transit",
            occurred_at=timezone.now() - timedelta(hours=i),
            location=f"Hub {i}",
        )
    ticket = TicketFactory(contact=contact, inbox=inbox, team=team, order=order, **fields)
    for i in range(messages):
        Message.objects.create(
            ticket=ticket,
            inbox=inbox,
            direction="in",
            kind="message",
            author_type="contact",
            identity=identity,
            text=f"message {i}",
            external_id=f"m-{ticket.pk}-{i}",
        )
    return ticket
