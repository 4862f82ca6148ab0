from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from helpdesk.accounts.models import Role
from helpdesk.accounts.selectors import agents_online
from helpdesk.routing import websocket_urlpatterns
from tests.factories import AgentFactory, InboxFactory, TeamFactory, TicketFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def communicator(user) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/agent/")
    comm.scope["user"] = user
    return comm


async def test_a_user_without_an_agent_profile_is_refused():
    customer = await sync_to_async(UserFactory)()
    comm = communicator(customer)
    connected, code = await comm.connect()
    assert not connected
    assert code == 4403


async def test_an_agent_joins_visible_inboxes_and_is_marked_online():
    def setup():
        team, other = TeamFactory(), TeamFactory()
        mine = InboxFactory(team=team)
        shared = InboxFactory(team=None)
        InboxFactory(team=other)
        agent = AgentFactory()
        agent.agent_profile.teams.add(team)
        return agent, {mine.pk, shared.pk}

    agent, visible = await sync_to_async(setup)()
    comm = communicator(agent)
    connected, _ = await comm.connect()
    assert connected
    ready = await comm.receive_json_from()
    assert set(ready["inboxes"]) == visible
    online = await sync_to_async(lambda: list(agents_online().values_list("user_id", flat=True)))()
    assert online == [agent.pk]
    await comm.disconnect()
    online = await sync_to_async(lambda: agents_online().count())()
    assert online == 0


async def test_watching_another_teams_ticket_is_refused():
    def setup():
        other = TeamFactory()
        ticket = TicketFactory(team=other, inbox=InboxFactory(team=other))
        return AgentFactory(), ticket

    agent, ticket = await sync_to_async(setup)()
    comm = communicator(agent)
    await comm.connect()
    await comm.receive_json_from()
    await comm.send_json_to({"watch_ticket": ticket.pk})
    assert await comm.receive_json_from() == {
        "type": "error",
        "error": "not found",
        "ticket": ticket.pk,
    }
    await comm.disconnect()


async def test_a_manager_may_watch_any_ticket():
    def setup():
        other = TeamFactory()
        ticket = TicketFactory(team=other, inbox=InboxFactory(team=other))
        manager = AgentFactory(profile__role=Role.MANAGER)
        return manager, ticket

    manager, ticket = await sync_to_async(setup)()
    comm = communicator(manager)
    await comm.connect()
    await comm.receive_json_from()
    await comm.send_json_to({"watch_ticket": ticket.pk})
    assert await comm.receive_json_from() == {"type": "watching", "ticket": ticket.pk}
    await comm.disconnect()
