"""Concurrent chat-widget sockets on one daphne process (PostgreSQL + Redis, loopback), and
the latency from an agent's reply to the visitor's widget receiving it.
Goal: 10,000 widget sockets on one daphne process, reply-to-widget p95 <= 200 ms. Also prints
the daphne process's memory per socket and the connect rate.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench \
    REDIS_URL=redis://127.0.0.1:6379/7 .venv/bin/python bench/ws_fanout.py \
    [--sockets 10000] [--replies 300] [--seconds 600]

10,000 sockets need as many file descriptors in this process and in daphne: the soft limit is
raised to the hard one (``ulimit -Hn``) at start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import time
import uuid

import _result
import _stack

# make bench: a few hundred sockets; FULL=1: the goal's 10,000.
BENCH_RUN = {
    "small": ["--sockets", "300", "--replies", "100"],
    "full": ["--sockets", "10000", "--replies", "300"],
    "needs": ["postgres", "redis"],
}
GOAL_SOCKETS = 10_000
GOAL_P95_MS = 200


def raise_file_limit(needed: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, needed)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


ORIGIN = "http://shop.bench.test"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=GOAL_SOCKETS)
    parser.add_argument("--replies", type=int, default=300, help="agent replies to time")
    parser.add_argument("--connecting", type=int, default=20, help="handshakes at once")
    parser.add_argument("--seconds", type=float, default=600.0, help="upper bound on the run")
    args = parser.parse_args()
    limit = raise_file_limit(args.sockets + 200)
    if limit < args.sockets + 100:
        print(f"warning: {limit} file descriptors allowed for {args.sockets} sockets")
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
    # Every visitor here comes from one loopback address: the per-address limits, meant for
    # the public, are lifted so that they do not refuse the benchmark's own sockets.
    lifted = str(10 * args.sockets + 1000)
    env = {
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "DATABASE_POOL_MAX_SIZE": "10",
        "WEBCHAT_RATE_IP_MESSAGES": lifted,
        "WEBCHAT_RATE_IP_CONVERSATIONS": lifted,
    }
    with _stack.daphne(port, env) as server:
        result = asyncio.run(run(port, inbox.webhook_key, visitors, args, server.pid))
    connected = result["connected"]
    per_socket = (result["rss_connected"] - result["rss_idle"]) / max(connected, 1)
    rate = connected / max(result["connect_s"], 1e-9)
    print(
        f"sockets requested: {args.sockets}, connected: {connected}, "
        f"failed: {result['failed']}, connect time: {result['connect_s']:.1f} s "
        f"({rate:.0f} sockets/s)"
    )
    print(
        f"daphne memory: {result['rss_idle'] / 2**20:.1f} MiB idle, "
        f"{result['rss_connected'] / 2**20:.1f} MiB with {connected} sockets: "
        f"{per_socket / 1024:.1f} KiB per socket"
    )
    for reason, count in sorted(result["reasons"].items(), key=lambda item: -item[1])[:5]:
        print(f"  {count} failed: {reason}")
    lost = result["sent"] - len(result["latencies"])
    print(f"replies sent: {result['sent']}, received: {len(result['latencies'])}, lost: {lost}")
    print(_stack.summary("agent reply -> widget", result["latencies"]))
    size = f"{connected:,} sockets on one daphne"
    p95 = _stack.percentile(result["latencies"], 95)
    _result.record(
        goal=f"{GOAL_SOCKETS:,} widget sockets connected on one daphne process",
        figure=connected,
        unit="sockets",
        met=connected >= GOAL_SOCKETS and not result["failed"],
        size=f"{args.sockets:,} requested",
    )
    _result.record(
        goal=f"reply-to-widget p95 <= {GOAL_P95_MS} ms, no reply lost",
        figure=p95,
        unit="ms",
        met=p95 <= GOAL_P95_MS and lost == 0,
        size=size,
    )
    _result.record(
        goal="daphne memory per widget socket (reported)",
        figure=per_socket / 1024,
        unit="KiB",
        met=True,
        size=size,
    )
    _result.record(
        goal="connect rate (reported)", figure=rate, unit="sockets/s", met=True, size=size
    )


async def run(port: int, key: str, visitors, args, server_pid: int) -> dict:
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

    rss_idle = rss_bytes(server_pid)
    began = time.monotonic()
    # daphne drops a handshake its application has not accepted within 5 s: connecting more
    # at once than the server accepts in that time only turns connects into failures.
    semaphore = asyncio.Semaphore(args.connecting)

    async def guarded(token):
        async with semaphore:
            return await open_one(token)

    results = await asyncio.gather(*(guarded(t) for t, _ in visitors), return_exceptions=True)
    reasons: dict[str, int] = {}
    for item in results:
        if isinstance(item, BaseException):
            failed += 1
            reason = f"{type(item).__name__}: {item}"[:160]
            reasons[reason] = reasons.get(reason, 0) + 1
        else:
            sockets.append(item)
    connect_s = time.monotonic() - began
    await asyncio.sleep(1)  # let the server settle before reading its memory
    rss_connected = rss_bytes(server_pid)
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
        "reasons": reasons,
        "rss_idle": rss_idle,
        "rss_connected": rss_connected,
        "sent": sent,
        "latencies": latencies,
    }


if __name__ == "__main__":
    main()
