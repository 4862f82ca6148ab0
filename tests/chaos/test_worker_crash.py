"""kill -9 of the Celery worker mid-drain and mid-send: every message once, and on time."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from celery import Celery
from django.db.models import Count

from helpdesk.tickets.models import DeliveryState, Message, RawInbound, RawStatus
from tests import servers
from tests.channels_in.twilio.conftest import sms_fields
from tests.chaos.conftest import stack_env, worker
from tests.chaos.instances import private_redis
from tests.smtp_server import SMTPServer

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

PAYLOADS = 1200
# The README's bound: a worker that starts receives what a crash left pending at once.
START_BOUND_SECONDS = 10


def pending() -> int:
    return RawInbound.objects.filter(status=RawStatus.PENDING).count()


def test_a_worker_killed_mid_drain_loses_and_doubles_nothing_and_the_next_one_starts_at_once(
    sms_inbox,
):
    RawInbound.objects.bulk_create(
        RawInbound(
            inbox=sms_inbox,
            source="twilio:sms",
            content_type="application/x-www-form-urlencoded",
            payload=urlencode(fields).encode(),
            external_id=fields["MessageSid"],
            status=RawStatus.PENDING,
        )
        for fields in (
            sms_fields(From=f"+3361{n:07d}", Body=f"Message {n}") for n in range(PAYLOADS)
        )
    )
    with private_redis() as redis:
        env = stack_env(redis.url)
        # Its start-up sweep takes the backlog; killed once a few batches are stored.
        with worker(env, name="first") as first:
            servers.wait_for(lambda: Message.objects.count() >= 400, timeout=120, interval=0.02)
            first.kill()
            first.wait(timeout=10)
        left = pending()
        assert 0 < left < PAYLOADS, "the worker was to die mid-drain"

        started = time.monotonic()
        with worker(env, name="second"):
            ready = time.monotonic()
            servers.wait_for(lambda: pending() < left, timeout=START_BOUND_SECONDS, interval=0.05)
            taken = time.monotonic() - ready
            servers.wait_for(lambda: pending() == 0, timeout=180, interval=0.2)

    assert taken < START_BOUND_SECONDS, (started, taken)
    assert RawInbound.objects.filter(status=RawStatus.ACCEPTED).count() == PAYLOADS
    assert Message.objects.count() == PAYLOADS
    doubles = Message.objects.values("external_id").annotate(n=Count("id")).filter(n__gt=1)
    assert not doubles.exists()
    # Every message knows the raw payload it came from.
    assert not Message.objects.filter(raw__isnull=True).exists()


class SlowHandler:
    """Accepts mail, but holds the answer to one recipient's DATA for a long time."""

    def __init__(self, slow: str) -> None:
        self.slow = slow
        self.received: list[str] = []
        self.holding = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.slow in envelope.rcpt_tos:
            self.holding = True
            await asyncio.sleep(60)
        self.received.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


def test_a_worker_killed_mid_send_sends_nothing_twice_and_the_rest_once(db, monkeypatch):
    from helpdesk.tickets.services import message_reply, outbound, outbound_requeue_stale
    from tests.factories import AgentFactory, InboxFactory
    from tests.tickets.test_live_stack import question

    smtp = SMTPServer()
    smtp.handler = SlowHandler("slow@example.test")
    smtp.controller.handler = smtp.handler
    with smtp, private_redis() as redis:
        inbox = InboxFactory(
            kind="email",
            name="Support email",
            config={
                "address": "support@shop.test",
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp.port,
            },
        )
        agent = AgentFactory()
        # The test process would run the sends in-process: here a real worker does.
        monkeypatch.setattr(outbound, "_enqueue_delivery", lambda message_id: None)
        addresses = ["slow@example.test"] + [f"c{n}@example.test" for n in range(5)]
        replies = [
            message_reply(
                ticket=question(inbox, address, f"<q{n}@x>").ticket, author=agent, text="Hello"
            )
            for n, address in enumerate(addresses)
        ]
        # Handed to the private broker as the reply's commit would.
        broker = Celery(broker=redis.url, set_as_current=False)
        for reply in replies:
            assert reply.delivery_state == DeliveryState.QUEUED
            broker.send_task("helpdesk.tickets.tasks.message_deliver_task", args=[reply.pk])

        env = stack_env(redis.url)
        with worker(env, name="sender") as sender:
            servers.wait_for(lambda: smtp.handler.holding, timeout=60)
            sender.kill()
            sender.wait(timeout=10)
        with worker(env, name="next"):
            servers.wait_for(lambda: len(smtp.handler.received) >= 5, timeout=60)
            time.sleep(1)  # time for any wrongful second send

    interrupted = Message.objects.get(pk=replies[0].pk)
    assert interrupted.delivery_state == DeliveryState.SENDING
    sweep = outbound_requeue_stale(now=interrupted.last_attempt_at + timedelta(minutes=16))
    assert sweep["abandoned"] == 1
    interrupted.refresh_from_db()
    assert interrupted.delivery_state == DeliveryState.FAILED
    assert "may not have reached" in interrupted.delivery_error
    assert sorted(smtp.handler.received) == sorted(addresses[1:])
    for reply in replies[1:]:
        assert Message.objects.get(pk=reply.pk).delivery_state == DeliveryState.SENT
