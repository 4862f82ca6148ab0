from __future__ import annotations

import os

import pytest
from django.conf import settings

from tests.factories import AgentFactory, InboxFactory

REDIS_URL = os.environ.get("REDIS_URL", "")
POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def pytest_collection_modifyitems(config, items):
    skip_redis = pytest.mark.skip(reason="needs REDIS_URL: runs in the PostgreSQL + Redis lane")
    skip_pg = pytest.mark.skip(reason="needs DATABASE_URL (PostgreSQL): runs in the second lane")
    for item in items:
        if "redis" in item.keywords and not REDIS_URL:
            item.add_marker(skip_redis)
        if "postgres" in item.keywords and not POSTGRES:
            item.add_marker(skip_pg)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _bot_off_unless_asked(settings, request):
    """Inboxes without bot settings answer with the bot in the product; tests of other areas
    see their conversations without it (tests/chatbot turns it back on)."""
    settings.CHATBOT_DEFAULT_ENABLED = "chatbot" in request.node.nodeid.split("/")[:2] or (
        request.node.get_closest_marker("bot") is not None
    )


@pytest.fixture(autouse=True)
def _no_redis_pause_left_over():
    """After Redis fails, a process leaves it alone for a few seconds; a fault test's pause
    ends with that test instead of silencing the next one's tasks and live updates."""
    from helpdesk import celery
    from helpdesk.tickets import events, inbound_queue

    celery._broker_paused_until = 0.0
    events._layer_paused_until = 0.0
    inbound_queue._wakes_paused_until = 0.0


@pytest.fixture(autouse=True)
def _default_language_and_time_zone():
    """A request by an agent with their own language or time zone activates it for the rest of
    its thread, as a server does until its next request: each test starts from the defaults."""
    from django.utils import timezone, translation

    yield
    translation.activate(settings.LANGUAGE_CODE)
    timezone.deactivate()


@pytest.fixture(autouse=True)
def _eager_tasks():
    """Tasks run in-process in every lane, except in tests that start a real worker."""
    from helpdesk.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def _loose_address_limits(settings):
    """Every test connects from 127.0.0.1 and counters live in a shared cache: per-address
    limits are out of the way unless a test sets them."""
    settings.WEBCHAT_RATE_IP_MESSAGES = 1_000_000
    settings.WEBCHAT_RATE_IP_CONVERSATIONS = 1_000_000


@pytest.fixture
def email_inbox(db):
    return InboxFactory(kind="email", name="Support email", config={"address": "support@shop.test"})


@pytest.fixture
def agent(db):
    return AgentFactory(username="alice")


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def smtp_server():
    from tests.smtp_server import SMTPServer

    with SMTPServer() as server:
        yield server


@pytest.fixture
def smtp_inbox(db, smtp_server):
    """An email inbox whose replies go through the local SMTP server."""
    return InboxFactory(
        kind="email",
        name="Support email",
        config={
            "address": "support@shop.test",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_server.port,
        },
    )


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """End the run with a plain summary of what was skipped and why, by folder."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    groups: dict[tuple[str, str], int] = {}
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        folder = report.nodeid.split("::")[0].rsplit("/", 1)[0]
        groups[(folder, reason)] = groups.get((folder, reason), 0) + 1
    terminalreporter.section("skipped, and why")
    for (folder, reason), count in sorted(groups.items()):
        terminalreporter.write_line(f"{folder}: {count} test(s) skipped: {reason}")
