"""PostgreSQL stopped and started again under webhooks: a 5xx at once while it is down,
nothing half-stored, and the provider's retry stored once.

The cluster is a private one (initdb on a free port); the shared server is never touched.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time

import psycopg
import pytest

from orders_link.connectors.signing import hmac_sha256_base64
from tests import servers
from tests.channels_in.twilio.conftest import sms_fields
from tests.chaos.conftest import daphne, stack_env, twilio_post, worker
from tests.chaos.instances import private_postgres, private_redis
from tests.orders_link.helpers import shopify_payload

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

SHOPIFY_SECRET = "shpss_chaos_secret"
DOWN_ANSWER_SECONDS = 2.0

SETUP = """
from helpdesk.tickets.models import Inbox
from orders_link.models import Store
inbox = Inbox.objects.create(kind="sms", name="Shop SMS", config={"from": "+33700000001"})
Store.objects.create(name="Shop", slug="shop", connector="shopify", domain="shop.myshopify.com")
print("KEY", inbox.webhook_key)
"""


class Inbox:
    def __init__(self, webhook_key: str) -> None:
        self.webhook_key = webhook_key


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=servers.ROOT,
        env={**servers.server_env(**env), "DATABASE_URL": env["DATABASE_URL"]},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def shopify_post(port: int, payload: dict, webhook_id: str) -> tuple[int, float]:
    body = json.dumps(payload).encode()
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            "POST",
            "/orders/webhooks/shopify/shop/",
            body=body,
            headers={
                "Host": "127.0.0.1",
                "Content-Type": "application/json",
                "X-Shopify-Hmac-Sha256": hmac_sha256_base64(SHOPIFY_SECRET, body),
                "X-Shopify-Topic": "orders/create",
                "X-Shopify-Webhook-Id": webhook_id,
                "X-Shopify-Triggered-At": "2026-03-01T10:00:00Z",
            },
        )
        response = connection.getresponse()
        response.read()
        return response.status, time.monotonic() - started
    finally:
        connection.close()


def counts(url: str) -> dict[str, int]:
    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "raw": one("SELECT count(*) FROM tickets_rawinbound"),
            "pending": one("SELECT count(*) FROM tickets_rawinbound WHERE status = 'pending'"),
            "messages": one("SELECT count(*) FROM tickets_message WHERE direction = 'in'"),
            "distinct": one(
                "SELECT count(DISTINCT external_id) FROM tickets_message WHERE direction = 'in'"
            ),
            "orders": one("SELECT count(*) FROM orders_link_order"),
            "lines": one("SELECT count(*) FROM orders_link_orderline"),
            "placed": one("SELECT count(*) FROM orders_link_orderevent WHERE kind = 'placed'"),
        }


def test_webhooks_fail_fast_while_postgresql_restarts_and_their_retries_are_stored_once(
    tmp_path,
):
    with private_postgres() as pg, private_redis() as redis:
        env = stack_env(redis.url, DATABASE_URL=pg.url, SHOPIFY_WEBHOOK_SECRET=SHOPIFY_SECRET)
        manage(env, "migrate", "--noinput")
        key = manage(env, "shell", "-c", SETUP).split("KEY", 1)[1].strip()
        inbox = Inbox(key)
        before = [sms_fields(From=f"+3363{n:07d}") for n in range(3)]
        during = [sms_fields(From=f"+3364{n:07d}") for n in range(5)]
        order = shopify_payload("order")

        with daphne(env) as port, worker(env, beat_dir=tmp_path, name="pg"):
            assert [twilio_post(port, inbox, f)[0] for f in before] == [200] * 3
            servers.wait_for(lambda: counts(pg.url)["messages"] == 3, timeout=60)

            pg.stop()
            answers = [twilio_post(port, inbox, f) for f in during]
            answers.append(shopify_post(port, order, "order-1"))
            assert all(500 <= status < 600 for status, _ in answers), answers
            assert max(took for _, took in answers) < DOWN_ANSWER_SECONDS, answers
            pg.start()

            # The providers retry: what failed, and one that had already succeeded.
            assert [twilio_post(port, inbox, f)[0] for f in during + before[:1]] == [200] * 6
            assert shopify_post(port, order, "order-1")[0] == 200
            assert shopify_post(port, order, "order-1")[0] == 200
            servers.wait_for(lambda: counts(pg.url)["messages"] == 8, timeout=60)
            time.sleep(1)  # time for a wrongful second receipt
            final = counts(pg.url)

    assert final["raw"] == 8
    assert final["pending"] == 0
    assert final["messages"] == final["distinct"] == 8
    assert final["orders"] == 1
    assert final["placed"] == 1
    assert final["lines"] == len(order["order"]["line_items"])
