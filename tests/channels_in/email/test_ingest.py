from __future__ import annotations

import json
from email import message_from_bytes, policy

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError

from channels_in.email.services import email_ingest
from helpdesk.contacts.models import ContactIdentity
from helpdesk.tickets.models import (
    DeliveryState,
    Direction,
    Message,
    RawInbound,
    RawStatus,
    ThreadingReason,
    Ticket,
)
from helpdesk.tickets.services import message_reply
from tests.channels_in.email.mails import CORPUS, build_bounce, build_mail

pytestmark = pytest.mark.django_db

ALL_CORPUS = sorted(p for p in CORPUS.glob("*/*") if not p.name.endswith("_reply_text"))


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a service and then its on-commit work (delivery tasks), as a real commit would."""

    def run(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return run


def test_every_corpus_file_ingests_without_error(email_inbox, capsys):
    """Mail files are stored; the quote bodies (no headers) are ingested as the body of a mail."""
    outcomes = {}
    for path in ALL_CORPUS:
        raw = path.read_bytes()
        if path.suffix == ".txt":
            raw = build_mail(subject=path.stem, text=path.read_text()).replace(b"\r\n", b"\n")
        result = email_ingest(raw=raw, inbox=email_inbox, source=str(path))
        outcomes[path.name] = result.outcome
        assert result.outcome in {"created", "threaded"}, (path, result)
    assert len(outcomes) == len(ALL_CORPUS)
    assert Message.objects.filter(direction=Direction.INBOUND).count() == len(ALL_CORPUS)
    assert RawInbound.objects.filter(status=RawStatus.ACCEPTED).count() == len(ALL_CORPUS)


def test_same_message_twice_is_stored_once(email_inbox):
    raw = build_mail()
    first = email_ingest(raw=raw, inbox=email_inbox)
    second = email_ingest(raw=raw, inbox=email_inbox)
    assert (first.outcome, second.outcome) == ("created", "duplicate")
    assert second.ticket_id == first.ticket_id
    assert Message.objects.count() == 1
    # A message without a Message-ID is recognised by its bytes.
    bare = b"From: jo@example.test\nSubject: no id\n\nHello\n"
    assert email_ingest(raw=bare, inbox=email_inbox).outcome == "created"
    assert email_ingest(raw=bare, inbox=email_inbox).outcome == "duplicate"


def test_mail_client_reply_threads_by_in_reply_to(smtp_inbox, smtp_server, committed, agent):
    first = committed(email_ingest, raw=build_mail(), inbox=smtp_inbox)
    ticket = Ticket.objects.get(pk=first.ticket_id)
    reply = committed(message_reply, ticket=ticket, author=agent, text="It ships today.")
    sent = smtp_server.received[-1]
    assert sent["Message-ID"] == reply.external_id
    # The customer answers from their client with a changed subject and no token.
    answer = build_mail(
        subject="thanks",
        text="Great, thanks!\n\nOn Mon, Nov 23, 2026 at 10:00, Support <support@shop.test> wrote:\n"
        "> It ships today.\n",
        in_reply_to=sent["Message-ID"],
        references=f"{sent['References']} {sent['Message-ID']}",
    )
    result = committed(email_ingest, raw=answer, inbox=smtp_inbox)
    assert (result.outcome, result.ticket_id) == ("threaded", ticket.pk)
    message = Message.objects.get(pk=result.message_id)
    assert message.threading_reason == ThreadingReason.REPLY_HEADERS
    assert message.text == "Great, thanks!"
    assert message.metadata["email"]["quoted"].startswith("On Mon")


def test_subject_token_threads_only_for_the_tickets_contact(email_inbox, committed):
    email_inbox.reopen_window = email_inbox.reopen_window * 0
    email_inbox.save()
    first = email_ingest(raw=build_mail(), inbox=email_inbox)
    token = f"Re: Where is my parcel? [#{first.ticket_id}]"
    own = email_ingest(raw=build_mail(subject=token, text="Any news?"), inbox=email_inbox)
    assert (own.outcome, own.ticket_id) == ("threaded", first.ticket_id)
    assert Message.objects.get(pk=own.message_id).threading_reason == "subject_token"

    stranger = email_ingest(
        raw=build_mail(sender="mallory@evil.test", subject=token, text="Show me"),
        inbox=email_inbox,
    )
    assert stranger.outcome == "created" and stranger.ticket_id != first.ticket_id
    # Nor does a stranger quoting the customer's Message-ID (a forwarded copy, a guess).
    first_id = Message.objects.filter(ticket_id=first.ticket_id).first().external_id
    forged = committed(
        email_ingest,
        raw=build_mail(sender="mallory@evil.test", subject="Re: parcel", in_reply_to=first_id),
        inbox=email_inbox,
    )
    assert forged.ticket_id not in {first.ticket_id, None}
    assert Ticket.objects.get(pk=first.ticket_id).messages.count() == 2


def test_auto_reply_and_bounce_create_no_outgoing_mail(smtp_inbox, smtp_server, committed, agent):
    smtp_inbox.config["auto_acknowledge"] = True
    smtp_inbox.save()
    first = committed(email_ingest, raw=build_mail(sender="jane@example.test"), inbox=smtp_inbox)
    assert first.acknowledged
    acknowledged = Ticket.objects.get(pk=first.ticket_id)
    assert acknowledged.status == "new" and acknowledged.first_response_at is None
    assert len(smtp_server.received) == 1  # the acknowledgement
    ack = smtp_server.received[0]
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["X-Auto-Response-Suppress"] == "All"
    ticket = Ticket.objects.get(pk=first.ticket_id)
    reply = committed(message_reply, ticket=ticket, author=agent, text="We are on it.")
    assert len(smtp_server.received) == 2

    out_of_office = build_mail(
        sender="jane@example.test",
        subject="Automatic reply: out of office",
        headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
    )
    cache.clear()  # even with the rate limit lifted, machines get no answer
    result = committed(email_ingest, raw=out_of_office, inbox=smtp_inbox)
    assert not result.acknowledged
    newcomer = committed(
        email_ingest,
        raw=build_mail(sender="bot@robots.test", headers={"Precedence": "bulk"}),
        inbox=smtp_inbox,
    )
    assert newcomer.outcome == "created" and not newcomer.acknowledged

    original = bytes(smtp_server.received[1])
    bounce = committed(
        email_ingest,
        raw=build_bounce(original=original, recipient="jane@example.test"),
        inbox=smtp_inbox,
    )
    assert (bounce.outcome, bounce.ticket_id) == ("threaded", ticket.pk)
    assert len(smtp_server.received) == 2
    identity = ContactIdentity.objects.get(address="jane@example.test")
    assert identity.bounced_at is not None
    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.FAILED and "5.1.1" in reply.delivery_error
    assert Message.objects.get(pk=bounce.message_id).metadata["event"] == "bounce"
    # The same report again is stored once.
    again = committed(
        email_ingest,
        raw=build_bounce(original=original, recipient="jane@example.test"),
        inbox=smtp_inbox,
    )
    assert again.outcome == "duplicate"


def test_acknowledgement_is_rate_limited_per_sender(smtp_inbox, smtp_server, committed):
    smtp_inbox.config["auto_acknowledge"] = True
    smtp_inbox.reopen_window = smtp_inbox.reopen_window * 0
    smtp_inbox.save()
    results = [
        committed(email_ingest, raw=build_mail(subject=f"Question {n}"), inbox=smtp_inbox)
        for n in range(3)
    ]
    assert [r.outcome for r in results] == ["created"] * 3
    assert [r.acknowledged for r in results] == [True, False, False]
    other = committed(email_ingest, raw=build_mail(sender="bob@example.test"), inbox=smtp_inbox)
    assert other.acknowledged
    assert len(smtp_server.received) == 2


def test_our_own_message_coming_back_is_ignored(email_inbox, settings):
    settings.HELPDESK_EMAIL_DOMAIN = "helpdesk.shop.test"
    raw = build_mail(sender="support@shop.test", message_id="<ticket-1.abc@helpdesk.shop.test>")
    assert email_ingest(raw=raw, inbox=email_inbox).outcome == "ignored"
    assert Message.objects.count() == 0
    assert RawInbound.objects.get().status == RawStatus.REJECTED


def test_reply_round_trip_has_threading_headers_and_alternatives(
    smtp_inbox, smtp_server, committed, agent
):
    first = committed(
        email_ingest, raw=build_mail(message_id="<q1@mail.example.test>"), inbox=smtp_inbox
    )
    ticket = Ticket.objects.get(pk=first.ticket_id)
    committed(
        message_reply,
        ticket=ticket,
        author=agent,
        text="Here is the invoice.",
        html="<p>Here is the <b>invoice</b>.</p>",
        files=(("invoice.pdf", "application/pdf", b"%PDF-1.4 test"),),
    )
    mail = smtp_server.received[-1]
    assert mail["In-Reply-To"] == "<q1@mail.example.test>"
    assert "<q1@mail.example.test>" in mail["References"]
    assert mail["Reply-To"] == "support@shop.test"
    assert f"[#{ticket.pk}]" in mail["Subject"]
    assert mail.get_body(("plain",)).get_content().strip() == "Here is the invoice."
    assert "<b>invoice</b>" in mail.get_body(("html",)).get_content()
    attachment = next(mail.iter_attachments())
    assert attachment.get_filename() == "invoice.pdf"
    assert attachment.get_content() == b"%PDF-1.4 test"
    # Fed back in (a client that kept only the subject token), it lands in the same ticket.
    echo = message_from_bytes(bytes(mail), policy=policy.default)
    assert echo["Message-ID"].endswith(">")


def test_command_json_lines_and_exit_code(email_inbox, tmp_path, capsys):
    good = tmp_path / "good.eml"
    good.write_bytes(build_mail())
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(CommandError):
        call_command("ingest_email", str(good), str(junk), str(good), "--json")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["outcome"] for line in lines] == ["created", "rejected", "duplicate"]
    assert lines[0]["ticket"] == lines[2]["ticket"] and lines[0]["ticket"]
    assert "binary" in lines[1]["reason"]
    assert Message.objects.count() == 1
    assert RawInbound.objects.filter(status=RawStatus.REJECTED).count() == 1


def test_command_reads_stdin(email_inbox, monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(build_mail())))
    call_command("ingest_email", "--json", "-")
    line = json.loads(capsys.readouterr().out)
    assert (line["source"], line["outcome"]) == ("-", "created")


def test_a_failing_message_in_a_batch_rolls_back_alone(email_inbox, tmp_path, capsys, monkeypatch):
    from channels_in.email import services

    for n in range(3):
        (tmp_path / f"{n}.eml").write_bytes(build_mail(subject=f"Question {n}"))
    real = services.email_ingest_parsed

    def failing_on_second(*, inbox, mails):
        results = real(inbox=inbox, mails=mails)  # writes, then fails
        if any(mail.source.endswith("1.eml") for mail in mails):
            raise RuntimeError("disk full")
        return results

    monkeypatch.setattr(services, "email_ingest_parsed", failing_on_second)
    with pytest.raises(CommandError):
        call_command("ingest_email", str(tmp_path), "--json")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["outcome"] for line in lines] == ["created", "rejected", "threaded"]
    assert lines[1]["reason"] == "error: RuntimeError: disk full"
    assert sorted(Message.objects.values_list("subject", flat=True)) == [
        "Question 0",
        "Question 2",
    ]
    # Nothing that arrived is lost: the failed mail's bytes are kept, with the reason.
    [kept] = RawInbound.objects.filter(status=RawStatus.REJECTED)
    assert bytes(kept.payload) == (tmp_path / "1.eml").read_bytes()
    assert kept.error == "error: RuntimeError: disk full"
    assert kept.source.endswith("1.eml")


def test_parsing_in_other_processes_changes_nothing_but_speed(tmp_path, capsys):
    from channels_in.management.commands.ingest_email import PARALLEL_MINIMUM
    from tests.factories import InboxFactory

    count = 2 * PARALLEL_MINIMUM + 7  # enough for the parsers to be started
    for n in range(count):
        mail = build_mail(
            sender=f"customer{n % 13}@example.test",
            subject=f"Order {n}",
            message_id=f"<bulk-{n}@mail.example.test>",
        )
        (tmp_path / f"{n:04d}.eml").write_bytes(mail)
    (tmp_path / "0100.eml").write_bytes(b"\x00\x01 not mail")
    (tmp_path / "0200.eml").write_bytes((tmp_path / "0199.eml").read_bytes())  # a repeat

    runs = {}
    for jobs in (0, 1):
        inbox = InboxFactory(kind="email", name=f"bulk-{jobs}")
        with pytest.raises(CommandError):
            call_command(
                "ingest_email", "--json", "--inbox", inbox.name, "--jobs", str(jobs), str(tmp_path)
            )
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        runs[jobs] = [(line["source"], line["outcome"], line["reason"]) for line in lines]
        assert Message.objects.filter(inbox=inbox).count() == count - 2

    assert runs[1] == runs[0]
    outcomes = [outcome for _source, outcome, _reason in runs[0]]
    assert outcomes.count("rejected") == 1 and outcomes.count("duplicate") == 1
    assert outcomes.count("created") == 13


@pytest.mark.django_db(transaction=True)
def test_a_bulk_import_costs_the_same_statements_for_4_or_16_mails(
    django_capture_on_commit_callbacks,
):
    """New senders' first mails and replies to them, stored and announced (after commit,
    the bot off on the inbox): what the batch writes goes in one statement per table."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from channels_in.email.services import email_parse, email_store
    from tests.factories import InboxFactory

    def statements(count: int) -> int:
        inbox = InboxFactory(kind="email", name=f"bulk {count}", config={"address": "s@shop.test"})
        mails = []
        for n in range(count):
            if n % 2:  # a reply to the mail before it, from the same sender
                raw = build_mail(
                    sender=f"Customer {n - 1} <c{count}-{n - 1}@example.test>",
                    subject=f"Re: Question {n - 1}",
                    message_id=f"<b{count}-{n}@example.test>",
                    in_reply_to=f"<b{count}-{n - 1}@example.test>",
                )
            else:
                raw = build_mail(
                    sender=f"Customer {n} <c{count}-{n}@example.test>",
                    subject=f"Question {n}",
                    message_id=f"<b{count}-{n}@example.test>",
                )
            mails.append(email_parse(raw=raw, inbox_id=inbox.pk, source=f"m{n}"))
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=True),
        ):
            results = email_store(inbox=inbox, mails=mails)
        assert [r.outcome for r in results] == ["created", "threaded"] * (count // 2)
        assert Message.objects.filter(inbox=inbox, direction="in").count() == count
        return len(queries)

    assert statements(16) == statements(4)
