"""A WebSocket client that stops reading: daphne's memory stays bounded, the client is closed by
the server's pings, and the other clients keep receiving every event in time."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import statistics
import threading
import time

import pytest
import websockets
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.test import Client

from helpdesk.tickets.events import inbox_group
from tests.chaos.conftest import daphne_process, stack_env
from tests.factories import AgentFactory, InboxFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

# The flood: EVENTS of PAD bytes each over FLOOD_SECONDS (about 1.3 MB/s, 40 MB in all).
EVENTS = 1200
PAD = 32 * 1024
FLOOD_SECONDS = 30.0
# daphne pings a silent client after PING_INTERVAL s and drops it PING_TIMEOUT s later.
PING_INTERVAL = 2
PING_TIMEOUT = 2
# What the stuck client may cost daphne at most: what arrives while the pings run out (about
# 5 s of the flood, 7 MB) and room for the allocator; without the pings, the whole 40 MB.
MEMORY_BOUND = 20 * 2**20
LATENCY_P95_BOUND = 1.0


def rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def stuck_client(port: int, cookie: str) -> socket.socket:
    """Open the agents' socket by hand, with a tiny receive window, and never read again."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws/agent/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: http://127.0.0.1:{port}\r\nCookie: {cookie}\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def closed_by_server(sock: socket.socket, timeout: float) -> bool:
    """Read what was left for the client; whether the server ends the connection."""
    sock.settimeout(timeout)
    try:
        while sock.recv(1 << 16):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return True


def test_a_client_that_stops_reading_costs_bounded_memory_and_slows_nobody():
    inbox = InboxFactory(kind="email")
    agent = AgentFactory()
    client = Client()
    client.force_login(agent)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    layer = get_channel_layer()
    group = inbox_group(inbox.pk)

    def flood() -> None:
        started = time.monotonic()
        for seq in range(EVENTS):
            due = started + seq * FLOOD_SECONDS / EVENTS
            time.sleep(max(0.0, due - time.monotonic()))
            event = {"type": "load", "seq": seq, "sent": time.time(), "pad": "x" * PAD}
            async_to_sync(layer.group_send)(group, {"type": "helpdesk.event", "event": event})

    async def healthy(port: int, ready: threading.Event) -> list[float]:
        latencies: list[float] = []
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/ws/agent/",
            origin=f"http://127.0.0.1:{port}",
            additional_headers={"Cookie": cookie},
            max_size=None,
        ) as ws:
            assert json.loads(await ws.recv())["type"] == "ready"
            ready.set()
            while len(latencies) < EVENTS:
                event = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if event.get("type") == "load":
                    latencies.append(time.time() - event["sent"])
                    if len(latencies) % 50 == 0:  # a live client, as the workspace is
                        await ws.send(json.dumps({"type": "ping"}))
        return latencies

    env = stack_env(os.environ["REDIS_URL"])
    options = ("--ping-interval", str(PING_INTERVAL), "--ping-timeout", str(PING_TIMEOUT))
    with daphne_process(env, *options) as (port, proc):
        stuck = stuck_client(port, cookie)
        ready = threading.Event()
        result: dict[str, list[float]] = {}
        reader = threading.Thread(
            target=lambda: result.update(latencies=asyncio.run(healthy(port, ready)))
        )
        reader.start()
        assert ready.wait(30)
        time.sleep(0.5)  # both sockets have joined the inbox's group
        baseline = peak = rss(proc.pid)
        sender = threading.Thread(target=flood)
        sender.start()
        while sender.is_alive():
            peak = max(peak, rss(proc.pid))
            time.sleep(0.1)
        reader.join(60)
        grown = peak - baseline
        assert grown <= MEMORY_BOUND, f"daphne grew {grown / 2**20:.1f} MiB"
        assert closed_by_server(stuck, timeout=15)
        stuck.close()

    latencies = sorted(result["latencies"])
    assert len(latencies) == EVENTS  # nothing lost for the healthy client
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    assert p95 <= LATENCY_P95_BOUND, f"p95 {p95:.3f}s, median {statistics.median(latencies):.3f}s"
