"""IMAP polling against a real Dovecot on loopback."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from channels_in.email.imap import imap_poll
from channels_in.tasks import email_poll_all_task
from helpdesk.tickets.models import Direction, Message, RawInbound, RawStatus
from tests.channels_in.email import dovecot
from tests.channels_in.email.mails import CORPUS, build_mail
from tests.factories import InboxFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not dovecot.available(), reason="dovecot is not installed (Debian package dovecot-imapd)"
    ),
]


@pytest.fixture
def imap_server():
    with dovecot.Dovecot() as server:
        yield server


def imap_inbox(port: int, **extra):
    return InboxFactory(
        kind="email",
        name="IMAP support",
        config={
            "address": "support@shop.test",
            "imap_host": "127.0.0.1",
            "imap_port": port,
            "imap_ssl": False,
            "imap_user": dovecot.USER,
            "imap_password_env": "TEST_IMAP_PASSWORD",
            **extra,
        },
    )


@pytest.fixture(autouse=True)
def _password(monkeypatch):
    monkeypatch.setenv("TEST_IMAP_PASSWORD", dovecot.PASSWORD)
    cache.clear()


def deliver(server, *messages: bytes, flags=()):
    client = server.client()
    for raw in messages:
        client.append("INBOX", raw, flags=flags)
    client.logout()


def unseen(server) -> int:
    client = server.client()
    client.select_folder("INBOX")
    count = len(client.search(["UNSEEN"]))
    client.logout()
    return count


def test_poll_stores_new_mail_once_and_marks_it_seen(imap_server):
    inbox = imap_inbox(imap_server.port)
    corpus = [p.read_bytes() for p in sorted(CORPUS.glob("replies/*.eml"))]
    deliver(imap_server, *corpus, build_mail())
    deliver(imap_server, build_mail(subject="already read"), flags=[b"\\Seen"])

    result = imap_poll(inbox=inbox)
    assert sum(result.outcomes.values()) == len(corpus) + 1 and not result.errors
    assert Message.objects.filter(direction=Direction.INBOUND).count() == len(corpus) + 1
    assert unseen(imap_server) == 0

    # The same mail fetched again (flags reset by another client, a copy re-delivered) is
    # recognised by its Message-ID before the body is downloaded.
    client = imap_server.client()
    client.select_folder("INBOX")
    client.remove_flags(client.search(["ALL"]), [b"\\Seen"])
    client.logout()
    again = imap_poll(inbox=inbox)
    # Only the message that was already read before the first poll is new.
    assert again.outcomes == {"duplicate": len(corpus) + 1, "threaded": 1}
    assert Message.objects.filter(direction=Direction.INBOUND).count() == len(corpus) + 2
    third = imap_poll(inbox=inbox)
    assert third.seen == 0


def test_oversized_message_does_not_stall_the_rest(imap_server, settings):
    inbox = imap_inbox(imap_server.port)
    small = [build_mail(subject=f"small {n}") for n in range(3)]
    big = build_mail(
        subject="huge", attachments=[("big.bin", "application/octet-stream", b"x" * 200_000)]
    )
    deliver(imap_server, small[0], big, small[1], small[2])
    settings.HELPDESK_EMAIL_MAX_MESSAGE_BYTES = 100_000

    result = imap_poll(inbox=inbox)
    assert result.outcomes == {"created": 1, "threaded": 2, "rejected": 1}
    assert result.too_large == 1
    rejected = RawInbound.objects.get(status=RawStatus.REJECTED)
    assert b"Subject: huge" in bytes(rejected.payload) and "over the limit" in rejected.error
    assert unseen(imap_server) == 0


def test_connection_dropped_mid_fetch_loses_and_duplicates_nothing(imap_server):
    messages = [build_mail(subject=f"question {n}", sender=f"c{n}@example.test") for n in range(5)]
    deliver(imap_server, *messages)
    with dovecot.DroppingProxy(imap_server.port) as proxy:
        inbox = imap_inbox(proxy.port)
        result = imap_poll(inbox=inbox)
        assert proxy.dropped == 1
    assert result.reconnects >= 1
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 5
    assert sorted(Message.objects.values_list("subject", flat=True)) == [
        f"question {n}" for n in range(5)
    ]
    assert unseen(imap_server) == 0


def test_beat_task_polls_every_imap_inbox(imap_server):
    imap_inbox(imap_server.port)
    InboxFactory(kind="email", name="No IMAP", config={"address": "other@shop.test"})
    deliver(imap_server, build_mail())
    assert email_poll_all_task() == 1
    assert Message.objects.count() == 1


def test_wrong_password_fails_loudly(imap_server, monkeypatch):
    monkeypatch.setenv("TEST_IMAP_PASSWORD", "wrong")
    from imapclient.exceptions import LoginError

    with pytest.raises(LoginError):
        imap_poll(inbox=imap_inbox(imap_server.port))
