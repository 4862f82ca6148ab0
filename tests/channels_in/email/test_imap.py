"""IMAP polling against a real Dovecot on loopback."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from channels_in.email.imap import imap_poll
from channels_in.email.models import ImapCursor
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

    # Flags reset by another client: nothing is fetched again, the cursor is past them.
    client = imap_server.client()
    client.select_folder("INBOX")
    client.remove_flags(client.search(["ALL"]), [b"\\Seen"])
    client.logout()
    again = imap_poll(inbox=inbox)
    assert again.seen == 0
    assert Message.objects.filter(direction=Direction.INBOUND).count() == len(corpus) + 1


def test_mail_read_in_another_client_is_still_fetched(imap_server):
    inbox = imap_inbox(imap_server.port)
    deliver(imap_server, build_mail(subject="first"))
    assert imap_poll(inbox=inbox).outcomes == {"created": 1}
    # Someone opens the shared mailbox in their mail client before the next poll.
    deliver(imap_server, build_mail(subject="read elsewhere"), flags=[b"\\Seen"])
    deliver(imap_server, build_mail(subject="unread", sender="bob@example.test"))
    result = imap_poll(inbox=inbox)
    assert result.outcomes == {"threaded": 1, "created": 1}
    assert sorted(Message.objects.values_list("subject", flat=True)) == [
        "first",
        "read elsewhere",
        "unread",
    ]
    cursor = ImapCursor.objects.get(inbox=inbox)
    assert cursor.last_uid == 3 and cursor.uidvalidity > 0
    assert imap_poll(inbox=inbox).seen == 0


def test_a_rebuilt_folder_is_read_again_without_duplicates(imap_server):
    inbox = imap_inbox(imap_server.port, imap_folder="Support")
    kept = [build_mail(subject=f"kept {n}") for n in range(3)]
    client = imap_server.client()
    client.create_folder("Support")
    for raw in kept:
        client.append("Support", raw)
    client.logout()
    assert sum(imap_poll(inbox=inbox).outcomes.values()) == 3
    old = ImapCursor.objects.get(inbox=inbox).uidvalidity
    client = imap_server.client()
    client.delete_folder("Support")  # a restored backup, a migrated server
    client.create_folder("Support")
    for raw in [*kept, build_mail(subject="new one", sender="new@example.test")]:
        client.append("Support", raw, flags=[b"\\Seen"])
    client.logout()
    result = imap_poll(inbox=inbox)
    assert result.outcomes == {"duplicate": 3, "created": 1}
    assert ImapCursor.objects.get(inbox=inbox).uidvalidity != old
    assert Message.objects.count() == 4


def test_a_failing_message_is_fetched_again_and_the_others_are_stored(imap_server, monkeypatch):
    from channels_in.email import services

    inbox = imap_inbox(imap_server.port)
    deliver(
        imap_server, *[build_mail(subject=f"q{n}", sender=f"c{n}@example.test") for n in range(3)]
    )
    real = services.email_ingest_parsed

    def failing(*, inbox, mails):
        if any(b"Subject: q1" in mail.raw for mail in mails):
            raise RuntimeError("database went away")
        return real(inbox=inbox, mails=mails)

    monkeypatch.setattr(services, "email_ingest_parsed", failing)
    first = imap_poll(inbox=inbox)
    assert first.outcomes == {"created": 2, "rejected": 1}
    # The failed one is kept raw, with the reason: nothing that arrived is lost.
    rejected = RawInbound.objects.get(status=RawStatus.REJECTED)
    assert b"Subject: q1" in bytes(rejected.payload) and "database went away" in rejected.error


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
