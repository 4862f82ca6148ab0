"""Signed Twilio SMS webhooks against daphne on PostgreSQL + Redis, on loopback.

Prints requests per second, p50/p95/p99 latency, errors, and whether every accepted
message was stored exactly once. Goal: >= 200 requests/s with p99 <= 100 ms on 2 cores.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench \
    REDIS_URL=redis://127.0.0.1:6379/7 .venv/bin/python bench/webhook_load.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time
import uuid
from urllib.parse import urlencode

import _stack

ACCOUNT_SID = "AC" + "b" * 32
AUTH_TOKEN = "bench-twilio-auth-token"
PUBLIC_URL = "https://help.bench.test"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    parser.add_argument("--processes", type=int, default=2, help="daphne processes")
    parser.add_argument("--senders", type=int, default=500, help="distinct phone numbers")
    args = parser.parse_args()
    _stack.require_real_stack()
    _stack.django_setup()

    from helpdesk.tickets.models import Inbox, Message

    inbox = Inbox.objects.create(
        kind="sms", name=f"bench-sms-{uuid.uuid4().hex[:8]}", config={"from": "+33700000009"}
    )
    env = {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_URL": PUBLIC_URL,
        "DATABASE_POOL_MAX_SIZE": "8",
        "DATABASE_POOL_MIN_SIZE": "2",
    }
    ports = [_stack.free_port() for _ in range(args.processes)]
    from contextlib import ExitStack

    with ExitStack() as stack:
        for port in ports:
            stack.enter_context(_stack.daphne(port, env))
        result = asyncio.run(load(inbox.webhook_key, ports, args))

    stored = Message.objects.filter(inbox=inbox).count()
    distinct = Message.objects.filter(inbox=inbox).values("external_id").distinct().count()
    elapsed = result["elapsed"]
    print(
        f"daphne processes: {args.processes}, concurrency: {args.concurrency}, "
        f"duration: {elapsed:.1f} s"
    )
    print(
        f"requests: {result['sent']}  ok: {result['ok']}  errors: {result['errors']}  "
        f"({result['statuses']})"
    )
    print(f"throughput: {result['ok'] / elapsed:.1f} requests/s")
    print(_stack.summary("latency", result["latencies"]))
    print(
        f"stored: {stored} (distinct MessageSid {distinct}), accepted: {result['ok']} -> "
        f"{'stored == sent' if stored == distinct == result['ok'] else 'MISMATCH'}"
    )


async def load(webhook_key: str, ports: list[int], args) -> dict:
    import httpx
    from twilio.request_validator import RequestValidator

    path = f"/hooks/twilio/{webhook_key}/"
    validator = RequestValidator(AUTH_TOKEN)
    latencies: list[float] = []
    statuses: dict[int | str, int] = {}
    counters = {"sent": 0, "ok": 0, "errors": 0}
    port_cycle = itertools.cycle(ports)
    numbers = itertools.cycle(f"+3361{n:07d}" for n in range(args.senders))
    deadline = time.monotonic() + args.seconds

    async def worker(client: httpx.AsyncClient) -> None:
        while time.monotonic() < deadline:
            sid = "SM" + uuid.uuid4().hex
            fields = {
                "MessageSid": sid,
                "SmsMessageSid": sid,
                "SmsSid": sid,
                "AccountSid": ACCOUNT_SID,
                "From": next(numbers),
                "To": "+33700000009",
                "Body": "Where is my order?",
                "NumMedia": "0",
                "NumSegments": "1",
                "SmsStatus": "received",
                "ApiVersion": "2010-04-01",
            }
            signature = validator.compute_signature(PUBLIC_URL + path, fields)
            url = f"http://127.0.0.1:{next(port_cycle)}{path}"
            counters["sent"] += 1
            start = time.perf_counter()
            try:
                response = await client.post(
                    url,
                    content=urlencode(fields),
                    headers={
                        "X-Twilio-Signature": signature,
                        "Content-Type": "application/x-www-form-urlencoded",
                    },
                )
                status: int | str = response.status_code
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            latencies.append((time.perf_counter() - start) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200:
                counters["ok"] += 1
            else:
                counters["errors"] += 1

    limits = httpx.Limits(max_connections=args.concurrency * 2)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        began = time.monotonic()
        await asyncio.gather(*(worker(client) for _ in range(args.concurrency)))
        elapsed = time.monotonic() - began
    return {**counters, "latencies": latencies, "statuses": statuses, "elapsed": elapsed}


if __name__ == "__main__":
    main()
