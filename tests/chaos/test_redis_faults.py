"""Redis down and Redis hung: webhooks still store and answer in time, /healthz says so in
under 2 s, and what was stored meanwhile is received once Redis is back, without a new
webhook."""

from __future__ import annotations

import copy
import http.client
import json
import statistics
import time

import pytest
from django.db.models import Count

from helpdesk.tickets.models import Message, RawInbound, RawStatus
from tests import servers
from tests.channels_in.telegram.test_telegram import SECRET as TELEGRAM_SECRET
from tests.channels_in.telegram.test_telegram import TOKEN as TELEGRAM_TOKEN
from tests.channels_in.telegram.test_telegram import update as telegram_update
from tests.channels_in.twilio.conftest import sms_fields
from tests.chaos.conftest import daphne, http_get, stack_env, twilio_post, worker
from tests.chaos.instances import private_redis
from tests.factories import InboxFactory
from tests.fakes.telegram import FakeTelegram

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

# A webhook's budget while Redis fails (Twilio itself waits 15 s): the first request after
# the fault may wait for Redis's timeouts once; the others are not held by Redis at all.
WEBHOOK_BUDGET_SECONDS = 3.0
WEBHOOK_MEDIAN_SECONDS = 0.5
HEALTHZ_BUDGET_SECONDS = 2.0
# Beat sweeps every 10 s the payloads pending for more than 15 s.
RECOVERY_BOUND_SECONDS = 45
DURING = 12


def telegram_post(port: int, inbox, n: int) -> tuple[int, float]:
    """A Telegram text update (received at once, in the request, with live updates)."""
    data = copy.deepcopy(telegram_update("text_message"))
    data["update_id"] = 50_000 + n
    data["message"]["message_id"] = 9_000 + n
    data["message"]["text"] = f"Telegram {n}"
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            "POST",
            f"/hooks/telegram/{inbox.webhook_key}/",
            body=json.dumps(data),
            headers={
                "Host": "127.0.0.1",
                "Content-Type": "application/json",
                "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET,
            },
        )
        response = connection.getresponse()
        response.read()
        return response.status, time.monotonic() - started
    finally:
        connection.close()


def assert_each_once(expected: int, inbox) -> None:
    assert Message.objects.filter(inbox=inbox).count() == expected
    assert RawInbound.objects.filter(status=RawStatus.ACCEPTED, inbox=inbox).count() == expected
    doubles = Message.objects.values("external_id").annotate(n=Count("id")).filter(n__gt=1)
    assert not doubles.exists()


@pytest.mark.parametrize("fault", ["hung", "down"])
def test_webhooks_and_healthz_answer_in_time_while_redis_fails(fault, sms_inbox, tmp_path):
    telegram = InboxFactory(kind="telegram", name="Shop Telegram", config={"bot_username": "b"})
    with private_redis() as redis, FakeTelegram(TELEGRAM_TOKEN) as fake_telegram:
        env = stack_env(
            redis.url,
            TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN,
            TELEGRAM_WEBHOOK_SECRET=TELEGRAM_SECRET,
            TELEGRAM_API_BASE_URL=fake_telegram.url,
        )
        with daphne(env) as port, worker(env, beat_dir=tmp_path, name=fault):
            status, _ = twilio_post(port, sms_inbox, sms_fields(Body="before"))
            assert status == 200
            servers.wait_for(
                lambda: Message.objects.filter(inbox=sms_inbox).count() == 1, timeout=30
            )

            if fault == "hung":
                redis.hang()
            else:
                redis.stop()
            answers = [
                twilio_post(port, sms_inbox, sms_fields(From=f"+3362{n:07d}"))
                for n in range(DURING)
            ]
            synchronous = [telegram_post(port, telegram, n) for n in range(3)]
            status, body, seconds = http_get(port, "/healthz")

            assert [code for code, _ in answers] == [200] * DURING
            slowest = max(took for _, took in answers)
            assert slowest < WEBHOOK_BUDGET_SECONDS, answers
            assert statistics.median(took for _, took in answers) < WEBHOOK_MEDIAN_SECONDS
            # Telegram receives in the request: stored at once, its live updates skipped.
            assert [code for code, _ in synchronous] == [200] * 3
            assert max(took for _, took in synchronous) < WEBHOOK_BUDGET_SECONDS, synchronous
            assert Message.objects.filter(inbox=telegram).count() == 3
            assert seconds < HEALTHZ_BUDGET_SECONDS
            assert status == 503
            checks = json.loads(body)["checks"]
            assert checks["database"]["ok"] is True
            assert checks["broker"]["ok"] is False
            assert checks["channel_layer"]["ok"] is False
            assert RawInbound.objects.filter(status=RawStatus.PENDING).count() == DURING

            if fault == "hung":
                redis.resume()
            else:
                redis.start()
            servers.wait_for(
                lambda: Message.objects.filter(inbox=sms_inbox).count() == DURING + 1,
                timeout=RECOVERY_BOUND_SECONDS,
                interval=0.25,
            )
    assert_each_once(DURING + 1, sms_inbox)
