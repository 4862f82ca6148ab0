"""Shared pieces of the chaos tests: a signed Twilio webhook client, a worker to kill."""

from __future__ import annotations

import http.client
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

import pytest

from tests import servers
from tests.channels_in.twilio.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, sign, sms_fields
from tests.factories import InboxFactory

__all__ = ["ACCOUNT_SID", "sms_fields"]


def stack_env(redis_url: str, **extra: str) -> dict[str, str]:
    """What daphne and the worker need to take Twilio webhooks against ``redis_url``."""
    return {
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_URL": PUBLIC_URL,
        "ALLOWED_HOSTS": "127.0.0.1,help.shop.test",
        "DEBUG": "0",
        **extra,
    }


@pytest.fixture
def sms_inbox(db):
    return InboxFactory(kind="sms", name="Shop SMS", config={"from": "+33700000001"})


def twilio_post(port: int, inbox, fields: dict[str, str], timeout: float = 30) -> tuple[int, float]:
    """POST one signed SMS webhook to daphne; (status, seconds it took)."""
    path = f"/hooks/twilio/{inbox.webhook_key}/"
    body = urlencode(fields)
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={
                "Host": "help.shop.test",
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": sign(path, fields),
            },
        )
        response = connection.getresponse()
        response.read()
        return response.status, time.monotonic() - started
    finally:
        connection.close()


def http_get(port: int, path: str, timeout: float = 30) -> tuple[int, bytes, float]:
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": "127.0.0.1"})
        response = connection.getresponse()
        return response.status, response.read(), time.monotonic() - started
    finally:
        connection.close()


@contextmanager
def worker(env: dict[str, str], *, beat_dir=None, name: str = "") -> Iterator:
    """A Celery worker (solo pool) on the test database; with ``beat_dir``, beat runs in it."""
    args = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "helpdesk",
        "worker",
        "--pool=solo",
        "-l",
        "info",
        "-n",
        f"chaos-{name or uuid.uuid4().hex[:6]}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    if beat_dir is not None:
        args += ["-B", "-s", str(beat_dir / "beat-schedule")]
    with servers.process(args, env=servers.server_env(**env), ready="ready.", timeout=60) as proc:
        # Keep reading its output so that a chatty worker never blocks on a full pipe.
        import threading

        threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
        yield proc


@contextmanager
def daphne(env: dict[str, str]) -> Iterator[int]:
    """daphne on the test database, its output drained (a fault makes it log a lot)."""
    with daphne_process(env) as (port, _):
        yield port


@contextmanager
def daphne_process(env: dict[str, str], *options: str) -> Iterator[tuple[int, subprocess.Popen]]:
    """daphne with command-line ``options``: its port and its process."""
    import threading

    port = servers.free_port()
    args = [
        sys.executable,
        "-m",
        "daphne",
        "-b",
        "127.0.0.1",
        "-p",
        str(port),
        *options,
        "helpdesk.asgi:application",
    ]
    with servers.process(
        args, env=servers.server_env(**env), ready="Listening on TCP address", timeout=60
    ) as proc:
        threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
        yield port, proc
