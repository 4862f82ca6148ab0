"""The spine on real components: a Celery worker on Redis, daphne with channels-redis."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import pytest
import websockets
from django.test import Client

from channels_in.base import InboundMessage, Sender
from helpdesk.tickets.models import DeliveryState, Message
from helpdesk.tickets.services import message_receive, message_reply
from tests import servers
from tests.factories import AgentFactory

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def question(inbox, address: str, external_id: str):
    return message_receive(
        inbound=InboundMessage(
            inbox_id=inbox.pk,
            sender=Sender(kind="email", address=address, name="Jane"),
            subject="Parcel",
            text="Where is it?",
            external_id=external_id,
        )
    )


@pytest.fixture
def worker_queue():
    """Route tasks to a queue of this test's own and turn eager mode off."""
    from helpdesk.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    previous = app.conf.task_default_queue
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    yield queue
    app.conf.task_default_queue = previous


def test_reply_is_sent_once_by_a_real_worker_and_permanent_failure_is_not_retried(
    smtp_inbox, smtp_server, worker_queue
):
    smtp_server.handler.refuse["gone@example.test"] = "550 5.1.1 No such user"
    smtp_server.handler.refuse["busy@example.test"] = "451 4.3.0 Greylisted, try later"
    agent = AgentFactory()
    ok = message_reply(
        ticket=question(smtp_inbox, "jane@example.test", "<q1@x>").ticket,
        author=agent,
        text="On its way",
    )
    gone = message_reply(
        ticket=question(smtp_inbox, "gone@example.test", "<q2@x>").ticket,
        author=agent,
        text="Hello?",
    )
    busy = message_reply(
        ticket=question(smtp_inbox, "busy@example.test", "<q3@x>").ticket,
        author=agent,
        text="Later",
    )

    with servers.celery_worker(worker_queue, DELIVERY_BACKOFF_SECONDS="1"):
        servers.wait_for(lambda: Message.objects.get(pk=ok.pk).delivery_state == DeliveryState.SENT)
        servers.wait_for(
            lambda: Message.objects.get(pk=gone.pk).delivery_state == DeliveryState.FAILED
        )
        servers.wait_for(
            lambda: (
                Message.objects.get(pk=busy.pk).delivery_attempts == 1
                and Message.objects.get(pk=busy.pk).delivery_state == DeliveryState.QUEUED
            )
        )
        del smtp_server.handler.refuse["busy@example.test"]
        servers.wait_for(
            lambda: Message.objects.get(pk=busy.pk).delivery_state == DeliveryState.SENT
        )
        time.sleep(1.5)  # time for any wrongful retry of the permanent failure to run

    gone.refresh_from_db()
    busy.refresh_from_db()
    assert gone.delivery_attempts == 1
    assert "No such user" in gone.delivery_error
    assert busy.delivery_attempts == 2
    recipients = sorted(mail["To"].addresses[0].addr_spec for mail in smtp_server.received)
    assert recipients == ["busy@example.test", "jane@example.test"]


def test_a_websocket_client_receives_a_new_message_live_through_redis(email_inbox):
    agent = AgentFactory()
    client = Client()
    client.force_login(agent)
    session = client.cookies["sessionid"].value

    async def scenario(port: int) -> dict:
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/ws/agent/",
            origin=f"http://127.0.0.1:{port}",
            additional_headers={"Cookie": f"sessionid={session}"},
        ) as socket:
            ready = json.loads(await asyncio.wait_for(socket.recv(), 10))
            assert ready == {"type": "ready", "inboxes": [email_inbox.pk]}
            result = await asyncio.to_thread(question, email_inbox, "jane@example.test", "<live@x>")
            event = json.loads(await asyncio.wait_for(socket.recv(), 10))
            return {"event": event, "ticket": result.ticket.pk, "message": result.message.pk}

    with servers.daphne() as port:
        got = asyncio.run(scenario(port))

    assert got["event"]["type"] == "message.created"
    assert got["event"]["ticket"] == got["ticket"]
    assert got["event"]["message"] == got["message"]


def test_an_anonymous_websocket_is_refused(email_inbox):
    async def scenario(port: int) -> int:
        try:
            async with websockets.connect(
                f"ws://127.0.0.1:{port}/ws/agent/", origin=f"http://127.0.0.1:{port}"
            ) as socket:
                await asyncio.wait_for(socket.recv(), 10)
        except websockets.ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd else -1
        except websockets.InvalidStatus as exc:
            return exc.response.status_code
        return 0

    with servers.daphne() as port:
        assert asyncio.run(scenario(port)) in {403, 4403}
