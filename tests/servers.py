"""Start real server processes (daphne, a Celery worker) against the test database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_database_url() -> str:
    """A DATABASE_URL for the database the running tests use."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    user = db.get("USER") or "postgres"
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


def server_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = test_database_url()
    env["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings"
    env["PYTHONUNBUFFERED"] = "1"
    # A server process answers with the bot exactly when the test running it does.
    env["CHATBOT_DEFAULT_ENABLED"] = "1" if settings.CHATBOT_DEFAULT_ENABLED else "0"
    env.update(extra)
    return env


@contextmanager
def process(
    args: list[str], *, env: dict[str, str], ready: str, timeout: float = 30
) -> Iterator[subprocess.Popen]:
    """Run ``args`` until the block ends; wait for ``ready`` in its output first."""
    proc = subprocess.Popen(
        args,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    deadline = time.monotonic() + timeout
    try:
        assert proc.stdout is not None
        while True:
            line = proc.stdout.readline()
            if line:
                output.append(line)
                if ready in line:
                    break
            elif proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{args[:4]} did not start:\n{''.join(output)}")
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def daphne(**env: str) -> Iterator[int]:
    port = free_port()
    with process(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "helpdesk.asgi:application",
        ],
        env=server_env(**env),
        ready="Listening on TCP address",
    ):
        yield port


@contextmanager
def celery_worker(queue: str, **env: str) -> Iterator[None]:
    with process(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "helpdesk",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "-l",
            "info",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env=server_env(CELERY_TASK_ALWAYS_EAGER="0", **env),
        ready="ready.",
    ):
        yield


def wait_for(predicate, *, timeout: float = 30, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
