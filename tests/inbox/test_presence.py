"""Collision: agents watching a ticket see who else views it or types on it."""

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from helpdesk.inbox.services import mentions_record
from helpdesk.routing import websocket_urlpatterns
from helpdesk.tickets.services import note_add
from tests.factories import TicketFactory
from tests.inbox.factories import team_agent

pytestmark = pytest.mark.django_db(transaction=True)


async def connect(user):
    comm = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/agent/")
    comm.scope["user"] = user
    connected, _ = await comm.connect()
    assert connected
    assert (await comm.receive_json_from())["type"] == "ready"
    return comm


async def test_viewing_and_typing_reach_the_other_agent():
    def setup():
        team, alice = team_agent("alice")
        _t, bob = team_agent("bob")
        bob.agent_profile.teams.add(team)
        return alice, bob, TicketFactory(team=team)

    alice, bob, ticket = await sync_to_async(setup)()
    a, b = await connect(alice), await connect(bob)
    for comm in (a, b):
        await comm.send_json_to({"watch_ticket": ticket.pk})
        assert await comm.receive_json_from() == {"type": "watching", "ticket": ticket.pk}
    await a.send_json_to({"type": "typing", "ticket": ticket.pk})
    event = await b.receive_json_from()
    assert event == {
        "type": "presence",
        "ticket": ticket.pk,
        "user": alice.pk,
        "name": "alice",
        "state": "typing",
    }
    await a.receive_json_from()  # alice gets her own event too (the page ignores it)
    await a.disconnect()
    assert (await b.receive_json_from())["state"] == "left"
    await b.disconnect()


async def test_presence_on_an_unwatched_or_foreign_ticket_is_refused():
    def setup():
        _team, alice = team_agent("alice")
        other, _bob = team_agent("bob")
        return alice, TicketFactory(team=other)

    alice, foreign = await sync_to_async(setup)()
    a = await connect(alice)
    await a.send_json_to({"type": "viewing", "ticket": foreign.pk})
    assert await a.receive_json_from() == {
        "type": "error",
        "error": "not found",
        "ticket": foreign.pk,
    }
    await a.send_json_to({"watch_ticket": foreign.pk})
    assert (await a.receive_json_from())["error"] == "not found"
    await a.send_json_to({"type": "viewing", "ticket": foreign.pk})
    assert (await a.receive_json_from())["error"] == "not found"
    await a.disconnect()


async def test_a_mention_reaches_only_the_mentioned_agent():
    def setup():
        team, alice = team_agent("alice")
        _t, carol = team_agent("carol")
        carol.agent_profile.teams.add(team)
        return alice, carol, TicketFactory(team=team)

    alice, carol, ticket = await sync_to_async(setup)()
    a, c = await connect(alice), await connect(carol)

    def mention():
        note = note_add(ticket=ticket, author=alice, text="@carol look")
        mentions_record(message=note, author=alice)
        return note

    note = await sync_to_async(mention)()
    event = await c.receive_json_from(timeout=2)
    # inbox events may come first when the ticket's inbox is visible; find the mention
    while event["type"] != "mention":
        event = await c.receive_json_from(timeout=2)
    assert event == {"type": "mention", "ticket": ticket.pk, "message": note.pk, "by": "alice"}
    while not await a.receive_nothing(timeout=0.3):
        assert (await a.receive_json_from())["type"] != "mention"
    await a.disconnect()
    await c.disconnect()
