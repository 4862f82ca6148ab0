"""Redis down and Redis hung: webhooks still store and answer in time, /healthz says so in
under 2 s, and what was stored meanwhile is received once Redis is back, without a new
webhook."""

from __future__ import annotations

import json

import pytest
from django.db.models import Count

from helpdesk.tickets.models import Message, RawInbound, RawStatus
from tests import servers
from tests.channels_in.twilio.conftest import sms_fields
from tests.chaos.conftest import daphne, http_get, stack_env, twilio_post, worker
from tests.chaos.instances import private_redis

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

# A Twilio webhook's budget while Redis fails (Twilio itself waits 15 s).
WEBHOOK_BUDGET_SECONDS = 1.5
HEALTHZ_BUDGET_SECONDS = 2.0
# Beat sweeps every 10 s the payloads pending for more than 15 s.
RECOVERY_BOUND_SECONDS = 45
DURING = 12


def assert_each_once(expected: int) -> None:
    assert Message.objects.count() == expected
    assert RawInbound.objects.filter(status=RawStatus.ACCEPTED).count() == expected
    doubles = Message.objects.values("external_id").annotate(n=Count("id")).filter(n__gt=1)
    assert not doubles.exists()


@pytest.mark.parametrize("fault", ["hung", "down"])
def test_webhooks_and_healthz_answer_in_time_while_redis_fails(fault, sms_inbox, tmp_path):
    with private_redis() as redis:
        env = stack_env(redis.url)
        with daphne(env) as port, worker(env, beat_dir=tmp_path, name=fault):
            status, _ = twilio_post(port, sms_inbox, sms_fields(Body="before"))
            assert status == 200
            servers.wait_for(lambda: Message.objects.count() == 1, timeout=30)

            if fault == "hung":
                redis.hang()
            else:
                redis.stop()
            answers = [
                twilio_post(port, sms_inbox, sms_fields(From=f"+3362{n:07d}"))
                for n in range(DURING)
            ]
            status, body, seconds = http_get(port, "/healthz")

            assert [code for code, _ in answers] == [200] * DURING
            slowest = max(took for _, took in answers)
            assert slowest < WEBHOOK_BUDGET_SECONDS, answers
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
                lambda: Message.objects.count() == DURING + 1,
                timeout=RECOVERY_BOUND_SECONDS,
                interval=0.25,
            )
    assert_each_once(DURING + 1)
