"""The agents' WebSocket: only visible tickets, only from the helpdesk's own origin, and a bad
frame is answered, not fatal."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from helpdesk.routing import websocket_application, websocket_urlpatterns
from helpdesk.security.sockets import FrameBudget
from helpdesk.tickets import events
from tests.factories import AgentFactory, InboxFactory, TeamFactory, TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)


def communicator(user) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/agent/")
    comm.scope["user"] = user
    return comm


async def test_an_inbox_without_a_team_carries_no_other_teams_tickets():
    def setup():
        mine, other = TeamFactory(), TeamFactory()
        shared = InboxFactory(team=None)
        agent = AgentFactory()
        agent.agent_profile.teams.add(mine)
        theirs = TicketFactory(inbox=shared, team=other)
        untouched = TicketFactory(inbox=shared, team=None)
        ours = TicketFactory(inbox=shared, team=mine)
        return agent, theirs, untouched, ours

    agent, theirs, untouched, ours = await sync_to_async(setup)()
    comm = communicator(agent)
    assert (await comm.connect())[0]
    await comm.receive_json_from()  # ready

    def publish():
        from django.db import transaction

        with transaction.atomic():
            for ticket in (theirs, untouched, ours):
                events.ticket_event(ticket, change="status")
            # An event without team details is checked against the database.
            events.publish(
                [events.inbox_group(theirs.inbox_id)],
                {"type": "message.created", "ticket": theirs.pk, "message": 99},
            )
            events.publish(
                [events.inbox_group(ours.inbox_id)],
                {"type": "message.created", "ticket": ours.pk, "message": 98},
            )

    await sync_to_async(publish)()
    seen = []
    while not await comm.receive_nothing(timeout=0.5):
        seen.append(await comm.receive_json_from())
    assert [(e["type"], e["ticket"]) for e in seen] == [
        ("ticket.updated", untouched.pk),
        ("ticket.updated", ours.pk),
        ("message.created", ours.pk),
    ]
    assert all(e["ticket"] != theirs.pk for e in seen)
    await comm.disconnect()


async def test_a_frame_that_is_not_json_gets_an_error_and_the_socket_lives():
    agent = await sync_to_async(AgentFactory)()
    comm = communicator(agent)
    assert (await comm.connect())[0]
    await comm.receive_json_from()
    await comm.send_to(text_data="this is not json {")
    assert await comm.receive_json_from() == {"type": "error", "error": "bad json"}
    await comm.send_to(bytes_data=b"\x00\x01")
    assert await comm.receive_json_from() == {"type": "error", "error": "text frames only"}
    await comm.send_json_to({"type": "ping"})
    assert await comm.receive_json_from() == {"type": "pong"}
    await comm.disconnect()


def _session_cookie() -> str:
    agent = AgentFactory()
    client = Client()
    client.force_login(agent)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


@pytest.mark.parametrize(
    ("origin", "host", "opens"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000", True),
        ("http://localhost:8000", "localhost:8000", True),
        ("http://127.0.0.1:9999", "127.0.0.1:8000", False),  # another program on this host
        ("http://127.0.0.1", "127.0.0.1:8000", False),
        ("https://evil.test", "127.0.0.1:8000", False),
        ("null", "127.0.0.1:8000", False),
        (None, "127.0.0.1:8000", False),
        ("http://evil.test:8000", "evil.test:8000", False),  # a host that is not allowed
    ],
)
async def test_the_origin_must_be_this_server_port_included(origin, host, opens):
    cookie = await sync_to_async(_session_cookie)()
    headers = [(b"host", host.encode()), (b"cookie", cookie.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    comm = WebsocketCommunicator(websocket_application(), "/ws/agent/", headers=headers)
    connected, _ = await comm.connect()
    assert connected is opens
    if connected:
        assert (await comm.receive_json_from())["type"] == "ready"
        await comm.disconnect()


async def test_the_public_url_and_trusted_origins_may_open(settings):
    settings.PUBLIC_URL = "https://help.shop.test"
    settings.ALLOWED_HOSTS = ["help.shop.test"]
    cookie = await sync_to_async(_session_cookie)()
    headers = [
        (b"host", b"help.shop.test"),
        (b"cookie", cookie.encode()),
        (b"origin", b"https://help.shop.test"),
    ]
    comm = WebsocketCommunicator(websocket_application(), "/ws/agent/", headers=headers)
    assert (await comm.connect())[0]
    await comm.disconnect()


async def test_a_client_past_its_frame_budget_is_closed(settings):
    """A client that writes without reading would have the server buffer every answer."""
    settings.WEBSOCKET_FRAME_BURST = 5
    settings.WEBSOCKET_FRAMES_PER_SECOND = 1
    agent = await sync_to_async(AgentFactory)()
    comm = communicator(agent)
    assert (await comm.connect())[0]
    await comm.receive_json_from()
    for _ in range(5):
        await comm.send_json_to({"type": "ping"})
        assert await comm.receive_json_from() == {"type": "pong"}
    await comm.send_json_to({"type": "ping"})
    assert await comm.receive_output() == {"type": "websocket.close", "code": 1008}


def test_the_frame_budget_refills_at_its_rate():
    now = [0.0]
    budget = FrameBudget(rate=2, burst=3, clock=lambda: now[0])
    assert [budget.spend() for _ in range(4)] == [True, True, True, False]
    now[0] = 0.5  # one frame's worth
    assert [budget.spend(), budget.spend()] == [True, False]
    now[0] = 100.0  # never more than the burst
    assert sum(budget.spend() for _ in range(10)) == 3
