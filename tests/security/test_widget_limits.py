"""The widget's limits hold per visitor and per address, across sockets (and processes)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from helpdesk.contacts.models import ContactIdentity
from helpdesk.routing import websocket_application
from helpdesk.security.ratelimit import rate_hit
from helpdesk.tickets.models import Message, Ticket
from tests.factories import InboxFactory

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = "https://shop.test"
# Counters outlive a test run in Redis: each run uses addresses of its own.
RUN = uuid.uuid4().hex[:4]


def ip(n: int) -> str:
    return f"2001:db8:{RUN}::{n}"


@pytest.fixture
def inbox(db):
    return InboxFactory(kind="webchat", name="Site chat", config={"allowed_origins": [ORIGIN]})


async def connect(inbox, ip: str, visitor: str | None = None):
    comm = WebsocketCommunicator(
        websocket_application(),
        f"/ws/widget/{inbox.webhook_key}/",
        headers=[(b"origin", ORIGIN.encode())],
    )
    comm.scope["client"] = (ip, 40000)
    connected, _ = await comm.connect(timeout=30)
    assert connected
    await comm.send_json_to({"type": "hello", "visitor": visitor, "after": 0})
    welcome = await comm.receive_json_from(timeout=30)
    assert welcome["type"] == "welcome"
    return comm, welcome["visitor"]


async def send(comm, text: str, client_id: str) -> str:
    """Send one message; the outcome: "ack" or the error code."""
    await comm.send_json_to({"type": "message", "client_id": client_id, "text": text})
    while True:
        frame = await comm.receive_json_from(timeout=30)
        if frame["type"] == "ack" and frame["client_id"] == client_id:
            return "ack"
        if frame["type"] == "error" and frame.get("client_id") == client_id:
            return frame["error"]


async def test_sockets_sharing_one_visitor_token_share_one_limit(inbox, settings):
    settings.WEBCHAT_RATE_MESSAGES = 10
    settings.WEBCHAT_RATE_SECONDS = 3600  # long windows: the count does not depend on timing
    first, token = await connect(inbox, ip(1))
    sockets = [first] + [(await connect(inbox, ip(1), token))[0] for _ in range(4)]
    outcomes = []
    for round_ in range(10):
        for n, comm in enumerate(sockets):
            outcomes.append(await send(comm, f"spam {round_}-{n}", f"c-{round_}-{n}"))
    assert outcomes.count("ack") == 10
    assert outcomes.count("rate_limited") == 40
    assert await sync_to_async(Message.objects.filter(direction="in").count)() == 10
    for comm in sockets:
        await comm.disconnect()


async def test_many_visitors_from_one_address_share_the_address_limit(inbox, settings):
    settings.WEBCHAT_RATE_MESSAGES = 10
    settings.WEBCHAT_RATE_SECONDS = 3600
    settings.WEBCHAT_RATE_IP_MESSAGES = 12
    settings.WEBCHAT_RATE_IP_SECONDS = 3600
    settings.WEBCHAT_RATE_IP_CONVERSATIONS = 100
    outcomes = []
    sockets = []
    for n in range(6):
        comm, _ = await connect(inbox, ip(5))
        sockets.append(comm)
        for i in range(4):
            outcomes.append(await send(comm, f"visitor {n} says {i}", f"v{n}-{i}"))
    assert outcomes.count("ack") == 12
    assert await sync_to_async(Message.objects.filter(direction="in").count)() == 12
    # Another address is not affected.
    other, _ = await connect(inbox, ip(77))
    assert await send(other, "hello", "o-1") == "ack"
    for comm in [*sockets, other]:
        await comm.disconnect()


async def test_new_conversations_per_address_are_limited(inbox, settings):
    settings.WEBCHAT_RATE_IP_CONVERSATIONS = 3
    settings.WEBCHAT_RATE_IP_CONVERSATION_SECONDS = 600
    outcomes = []
    for n in range(8):
        comm, _ = await connect(inbox, ip(9))
        outcomes.append(await send(comm, f"new visitor {n}", f"n-{n}"))
        await comm.disconnect()
    assert outcomes == ["ack"] * 3 + ["rate_limited"] * 5
    assert await sync_to_async(Ticket.objects.count)() == 3
    assert await sync_to_async(ContactIdentity.objects.filter(kind="webchat").count)() == 3


async def test_a_returning_visitor_is_not_a_new_conversation(inbox, settings):
    settings.WEBCHAT_RATE_IP_CONVERSATIONS = 1
    comm, token = await connect(inbox, ip(10))
    assert await send(comm, "first", "r-1") == "ack"
    await comm.disconnect()
    again, _ = await connect(inbox, ip(10), token)
    assert await send(again, "second", "r-2") == "ack"  # known visitor: not a new one
    await again.disconnect()
    stranger, _ = await connect(inbox, ip(10))
    assert await send(stranger, "third", "r-3") == "rate_limited"
    await stranger.disconnect()


async def test_concurrent_sockets_never_exceed_the_limit(inbox, settings):
    settings.WEBCHAT_RATE_MESSAGES = 10
    settings.WEBCHAT_RATE_SECONDS = 3600
    first, token = await connect(inbox, ip(2))
    sockets = [first] + [(await connect(inbox, ip(2), token))[0] for _ in range(4)]
    for n, comm in enumerate(sockets):
        for i in range(6):
            await comm.send_json_to(
                {"type": "message", "client_id": f"b-{n}-{i}", "text": f"burst {n}-{i}"}
            )

    async def outcomes(comm) -> list[str]:
        found: list[str] = []
        while len(found) < 6:
            frame = await comm.receive_json_from(timeout=10)
            if frame["type"] in {"ack", "error"}:
                found.append(frame["type"] if frame["type"] == "ack" else frame["error"])
        return found

    results = [o for found in await asyncio.gather(*map(outcomes, sockets)) for o in found]
    assert results.count("ack") == 10
    for comm in sockets:
        await comm.disconnect()


def test_the_window_slides_across_its_boundary(settings):
    import uuid

    k1, k2 = uuid.uuid4().hex, uuid.uuid4().hex
    hits = [
        rate_hit(bucket="t", key=k1, limit=10, seconds=10, now=1000.0 + i * 0.5) for i in range(19)
    ]  # 10 in the last half of one window
    assert hits[:10] == [True] * 10
    # Straight after the boundary the previous window still weighs almost in full.
    assert rate_hit(bucket="t", key=k2, limit=10, seconds=10, now=1005.0)
    for i in range(9):
        rate_hit(bucket="t", key=k2, limit=10, seconds=10, now=1005.0 + i * 0.5)
    assert not rate_hit(bucket="t", key=k2, limit=10, seconds=10, now=1010.5)
    # Once the earlier burst has slid out, sending works again.
    assert rate_hit(bucket="t", key=k2, limit=10, seconds=10, now=1025.0)


@pytest.mark.redis
def test_limits_are_shared_between_processes_through_redis(settings):
    """Two interpreter processes count against one Redis counter."""
    import os
    import subprocess
    import sys
    import uuid

    key = uuid.uuid4().hex
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','helpdesk.settings');"
        "django.setup(); from helpdesk.security.ratelimit import rate_hit;"
        f"print(sum(rate_hit(bucket='proc', key='{key}', limit=10, seconds=3600)"
        " for _ in range(8)))"
    )
    counts = [
        int(
            subprocess.run(
                [sys.executable, "-c", code],
                capture_output=True,
                text=True,
                env=os.environ,
                check=True,
            ).stdout.strip()
        )
        for _ in range(2)
    ]
    assert counts == [8, 2]


async def test_deep_json_gets_an_error_frame_and_nul_bytes_are_removed(inbox):
    comm, _ = await connect(inbox, ip(30))
    await comm.send_to(text_data="[" * 10_000 + "]" * 10_000)
    assert await comm.receive_json_from() == {"type": "error", "error": "bad_json"}
    assert await send(comm, "where\u0000 is\u0000 it?", "nul\u0000-1") == "ack"
    text = await sync_to_async(lambda: Message.objects.get(direction="in").text)()
    assert text == "where is it?"
    await comm.disconnect()


async def test_a_widget_past_its_frame_budget_is_closed(inbox, settings):
    """Pings answered, until the client has sent more frames than its budget."""
    settings.WEBSOCKET_FRAME_BURST = 4
    settings.WEBSOCKET_FRAMES_PER_SECOND = 1
    comm, _ = await connect(inbox, ip(90))  # the hello is the first frame
    for _ in range(3):
        await comm.send_json_to({"type": "ping"})
        assert await comm.receive_json_from() == {"type": "pong"}
    await comm.send_json_to({"type": "ping"})
    assert await comm.receive_output() == {"type": "websocket.close", "code": 1008}
