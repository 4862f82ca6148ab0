"""Concurrent chat-widget sockets on one daphne process (PostgreSQL + Redis, loopback), and
the latency from an agent's reply to the visitor's widget receiving it.
Goal: 2,000 sockets, p95 <= 200 ms.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench \
    REDIS_URL=redis://127.0.0.1:6379/7 .venv/bin/python bench/ws_fanout.py \
    [--sockets 2000] [--replies 300] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time
import uuid

import _stack

ORIGIN = "http://shop.bench.test"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=2000)
    parser.add_argument("--replies", type=int, default=300, help="agent replies to time")
    parser.add_argument("--seconds", type=float, default=60.0, help="upper bound on the run")
    args = parser.parse_args()
    _stack.require_real_stack()
    # Replies are delivered in this process (as a Celery worker would) straight after commit.
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
    _stack.django_setup()

    from channels_in.base import InboundMessage, Sender
    from channels_in.webchat.visitors import visitor_token
    from helpdesk.tickets.models import Inbox
    from helpdesk.tickets.services import message_receive

    inbox = Inbox.objects.create(
        kind="webchat",
        name=f"bench-chat-{uuid.uuid4().hex[:8]}",
        config={"allowed_origins": [ORIGIN]},
    )
    print(f"creating {args.sockets} visitors with a conversation each...")
    visitors = []
    for n in range(args.sockets):
        address = f"v:bench{uuid.uuid4().hex}"
        result = message_receive(
            inbound=InboundMessage(
                inbox_id=inbox.pk,
                sender=Sender(kind="webchat", address=address),
                text=f"Hello {n}",
                external_id=f"webchat:{address}:1",
                source="webchat",
            )
        )
        visitors.append((visitor_token(inbox_id=inbox.pk, address=address), result.ticket))
    port = _stack.free_port()
    env = {"CELERY_TASK_ALWAYS_EAGER": "1", "DATABASE_POOL_MAX_SIZE": "10"}
    with _stack.daphne(port, env):
        result = asyncio.run(run(port, inbox.webhook_key, visitors, args))
    print(
        f"sockets requested: {args.sockets}, connected: {result['connected']}, "
        f"failed: {result['failed']}, connect time: {result['connect_s']:.1f} s"
    )
    print(
        f"replies sent: {result['sent']}, received: {len(result['latencies'])}, "
        f"lost: {result['sent'] - len(result['latencies'])}"
    )
    print(_stack.summary("agent reply -> widget", result["latencies"]))


async def run(port: int, key: str, visitors, args) -> dict:
    import websockets
    from asgiref.sync import sync_to_async

    from helpdesk.tickets.services import message_reply

    deadline = time.monotonic() + args.seconds
    url = f"ws://127.0.0.1:{port}/ws/widget/{key}/"
    waiting: dict[str, float] = {}
    latencies: list[float] = []
    sockets = []
    failed = 0

    async def open_one(token: str):
        sock = await websockets.connect(url, origin=ORIGIN, open_timeout=30, max_size=2**22)
        await sock.send(json.dumps({"type": "hello", "visitor": token, "after": 10**12}))
        welcome = json.loads(await sock.recv())
        assert welcome["type"] == "welcome"
        return sock

    async def listen(sock) -> None:
        try:
            async for frame in sock:
                data = json.loads(frame)
                if data.get("type") == "message":
                    text = data["message"]["text"]
                    if text in waiting:
                        latencies.append((time.perf_counter() - waiting.pop(text)) * 1000)
        except websockets.ConnectionClosed:
            return

    began = time.monotonic()
    semaphore = asyncio.Semaphore(100)

    async def guarded(token):
        async with semaphore:
            return await open_one(token)

    results = await asyncio.gather(*(guarded(t) for t, _ in visitors), return_exceptions=True)
    for item in results:
        if isinstance(item, BaseException):
            failed += 1
        else:
            sockets.append(item)
    connect_s = time.monotonic() - began
    listeners = [asyncio.create_task(listen(s)) for s in sockets]

    def reply(ticket, text: str) -> None:
        from django.db import connection

        waiting[text] = time.perf_counter()
        message_reply(ticket=ticket, text=text)
        connection.close()

    sent = 0
    for i in range(args.replies):
        if time.monotonic() > deadline:
            break
        _, ticket = random.choice(visitors)
        await sync_to_async(reply, thread_sensitive=False)(ticket, f"reply-{i}-{uuid.uuid4().hex}")
        sent += 1
        await asyncio.sleep(0.02)
    end = min(deadline, time.monotonic() + 5)
    while waiting and time.monotonic() < end:
        await asyncio.sleep(0.05)
    for sock in sockets:
        await sock.close()
    for task in listeners:
        task.cancel()
    return {
        "connected": len(sockets),
        "failed": failed,
        "connect_s": connect_s,
        "sent": sent,
        "latencies": latencies,
    }


if __name__ == "__main__":
    main()
