"""Twilio webhooks are accepted at once and received by the inbound queue's drain."""

from __future__ import annotations

import threading
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import TestCase
from django.utils import timezone

import channels_in.twilio.adapter as twilio_adapter
from helpdesk.contacts.models import ContactIdentity
from helpdesk.tickets import inbound_queue
from helpdesk.tickets.inbound_queue import raw_inbound_drain, raw_inbound_sweep, wake_key
from helpdesk.tickets.models import Inbox, Message, RawInbound, RawStatus
from helpdesk.tickets.tasks import raw_inbound_drain_task
from tests.channels_in.twilio.conftest import post_signed, sign, sms_fields
from tests.conftest import POSTGRES
from tests.factories import InboxFactory

pytestmark = pytest.mark.django_db


def hook(inbox) -> str:
    return f"/hooks/twilio/{inbox.webhook_key}/"


@pytest.fixture(autouse=True)
def _no_wake_key_left(db):
    yield
    cache.delete_many([wake_key(pk) for pk in Inbox.objects.values_list("pk", flat=True)])


def accept(client, inbox, fields) -> int:
    """Post a webhook and leave it unreceived: what it queued on commit does not run."""
    path = hook(inbox)
    with TestCase.captureOnCommitCallbacks(execute=False):
        response = client.post(
            path,
            urlencode(fields),
            content_type="application/x-www-form-urlencoded",
            HTTP_X_TWILIO_SIGNATURE=sign(path, fields),
        )
    return response.status_code


@pytest.fixture
def queued(monkeypatch):
    """Drain tasks are recorded instead of run, as if they waited on a broker."""
    calls: list[int] = []
    monkeypatch.setattr(
        raw_inbound_drain_task, "apply_async", lambda args, **options: calls.append(args[0])
    )
    return calls


def test_the_answer_comes_before_the_message_is_received(client, sms_inbox, fake_twilio):
    fields = sms_fields()
    path = hook(sms_inbox)
    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        response = client.post(
            path,
            urlencode(fields),
            content_type="application/x-www-form-urlencoded",
            HTTP_X_TWILIO_SIGNATURE=sign(path, fields),
        )

    assert response.status_code == 200
    assert response.content.startswith(b"<?xml")
    raw = RawInbound.objects.get()
    assert raw.status == RawStatus.PENDING
    assert raw.external_id == fields["MessageSid"]
    assert raw.source == "twilio:sms"
    assert not Message.objects.exists()

    for callback in callbacks:  # the commit wakes the drain (run in-process here)
        callback()
    raw.refresh_from_db()
    assert raw.status == RawStatus.ACCEPTED
    assert Message.objects.get().raw == raw


def test_a_redelivery_before_the_drain_is_stored_once(client, sms_inbox, fake_twilio, queued):
    fields = sms_fields()
    assert accept(client, sms_inbox, fields) == 200
    assert accept(client, sms_inbox, fields) == 200
    assert RawInbound.objects.count() == 1

    raw_inbound_drain(inbox_id=sms_inbox.pk)
    assert Message.objects.filter(external_id=fields["MessageSid"]).count() == 1
    assert RawInbound.objects.get().status == RawStatus.ACCEPTED


def test_a_burst_queues_one_drain_task_per_inbox(client, sms_inbox, fake_twilio, queued):
    other = InboxFactory(kind="sms", name="Other SMS", config={"from": "+33700000003"})
    for _ in range(5):
        post_signed(client, hook(sms_inbox), sms_fields())
    post_signed(client, hook(other), sms_fields(To="+33700000003"))

    assert sorted(queued) == sorted([sms_inbox.pk, other.pk])
    assert RawInbound.objects.filter(status=RawStatus.PENDING).count() == 6

    raw_inbound_drain_task(sms_inbox.pk)
    raw_inbound_drain_task(other.pk)
    assert Message.objects.count() == 6
    assert not RawInbound.objects.filter(status=RawStatus.PENDING).exists()


def test_a_wake_up_during_a_drain_is_not_lost(client, sms_inbox, fake_twilio, queued, monkeypatch):
    post_signed(client, hook(sms_inbox), sms_fields(Body="first"))
    assert queued == [sms_inbox.pk]

    late = sms_fields(Body="second, sent while the first was being received")
    real_receive = inbound_queue.messages_receive

    def receive_while_another_arrives(*, inbounds):
        if late["MessageSid"] not in set(RawInbound.objects.values_list("external_id", flat=True)):
            post_signed(client, hook(sms_inbox), late)
        return real_receive(inbounds=inbounds)

    monkeypatch.setattr(inbound_queue, "messages_receive", receive_while_another_arrives)
    raw_inbound_drain_task(queued.pop())

    # The drain had let go of its key: the late message queued a run of its own.
    assert queued == [sms_inbox.pk]
    assert Message.objects.get().text == "first"
    raw_inbound_drain_task(queued.pop())
    assert [m.text for m in Message.objects.order_by("id")] == ["first", late["Body"]]


def test_the_sweep_receives_a_payload_whose_task_was_lost(client, sms_inbox, fake_twilio):
    other = InboxFactory(kind="sms", name="Other SMS", config={"from": "+33700000003"})
    fields = sms_fields()
    assert accept(client, sms_inbox, fields) == 200  # its drain task never runs
    assert accept(client, other, sms_fields(To="+33700000003")) == 200
    RawInbound.objects.filter(inbox=sms_inbox).update(
        received_at=timezone.now() - timedelta(minutes=2)
    )
    RawInbound.objects.create(
        inbox=None, payload=b"", status=RawStatus.PENDING, external_id="SMgone"
    )
    RawInbound.objects.filter(inbox=None).update(received_at=timezone.now() - timedelta(minutes=2))

    assert raw_inbound_sweep() == {"inboxes": 1, "received": 1, "orphans": 1}

    assert Message.objects.get().external_id == fields["MessageSid"]
    # A payload younger than the sweep's age is left to its own task.
    assert RawInbound.objects.get(inbox=other).status == RawStatus.PENDING
    assert RawInbound.objects.get(inbox=None).status == RawStatus.REJECTED


def test_the_sweep_runs_every_ten_seconds_and_never_piles_up(settings):
    entry = next(
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "helpdesk.tickets.tasks.raw_inbound_sweep_task"
    )
    assert entry["schedule"] == 10.0
    assert entry["options"]["expires"] == 10


def test_a_starting_worker_sweeps_every_pending_payload_at_once(
    client, sms_inbox, fake_twilio, monkeypatch
):
    from helpdesk.celery import _sweep_on_start

    fields = sms_fields()
    assert accept(client, sms_inbox, fields) == 200  # its drain task died with the worker
    assert RawInbound.objects.get().status == RawStatus.PENDING

    _sweep_on_start(sender=None)  # eager here: the sweep runs in-process

    assert RawInbound.objects.get().status == RawStatus.ACCEPTED
    assert Message.objects.get().external_id == fields["MessageSid"]


def test_while_redis_fails_a_webhook_stops_trying_it_for_a_few_seconds(
    client, sms_inbox, fake_twilio, monkeypatch
):
    from helpdesk.tickets import inbound_queue

    calls = []

    class HungCache:
        def add(self, *args, **kwargs):
            calls.append(args)
            raise TimeoutError("Timeout reading from socket")

    monkeypatch.setattr(inbound_queue, "_flags", lambda: HungCache())
    monkeypatch.setattr(inbound_queue, "_wakes_paused_until", 0.0)
    path = hook(sms_inbox)
    for _ in range(5):
        fields = sms_fields()
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = client.post(
                path,
                urlencode(fields),
                content_type="application/x-www-form-urlencoded",
                HTTP_X_TWILIO_SIGNATURE=sign(path, fields),
            )
        assert response.status_code == 200
    assert len(calls) == 1
    assert RawInbound.objects.filter(status=RawStatus.PENDING).count() == 5


def test_a_payload_that_fails_to_be_received_does_not_hold_back_the_others(
    client, sms_inbox, fake_twilio, queued, monkeypatch
):
    def opt_set_fails(*, identity, keyword):
        raise RuntimeError("the opt-out could not be recorded")

    monkeypatch.setattr(twilio_adapter, "identity_opt_set", opt_set_fails)
    first = sms_fields(From="+33611111111", Body="Where is my parcel?")
    refused = sms_fields(From="+33622222222", Body="STOP")
    bad_media = sms_fields(From="+33633333333", NumMedia="1", MediaUrl0="http://10.0.0.1/x")
    last = sms_fields(From="+33644444444", Body="And mine?")
    for fields in (first, refused, bad_media, last):
        assert accept(client, sms_inbox, fields) == 200

    report = raw_inbound_drain(inbox_id=sms_inbox.pk)

    assert (report.accepted, report.rejected) == (2, 2)
    texts = sorted(Message.objects.values_list("text", flat=True))
    assert texts == ["And mine?", "Where is my parcel?"]
    rows = {row.external_id: row for row in RawInbound.objects.all()}
    assert rows[refused["MessageSid"]].status == RawStatus.REJECTED
    assert "the opt-out could not be recorded" in rows[refused["MessageSid"]].error
    assert rows[bad_media["MessageSid"]].status == RawStatus.REJECTED
    assert "MediaUrl0" in rows[bad_media["MessageSid"]].error
    assert rows[first["MessageSid"]].status == RawStatus.ACCEPTED
    assert rows[last["MessageSid"]].status == RawStatus.ACCEPTED
    # Nothing of the refused message stayed behind: the opt-out went with it.
    assert not Message.objects.filter(external_id=refused["MessageSid"]).exists()


def test_a_message_with_nul_bytes_is_stored_without_them_and_the_batch_lands(
    client, sms_inbox, fake_twilio, queued
):
    good = sms_fields(Body="Hello")
    nul = sms_fields(From="+33655555555", Body="nul \x00 byte")
    assert accept(client, sms_inbox, good) == 200
    assert accept(client, sms_inbox, nul) == 200

    raw_inbound_drain(inbox_id=sms_inbox.pk)

    assert sorted(Message.objects.values_list("text", flat=True)) == ["Hello", "nul  byte"]
    assert RawInbound.objects.get(external_id=nul["MessageSid"]).status == RawStatus.ACCEPTED


def test_stop_in_a_batch_is_recorded_and_a_redelivered_stop_changes_nothing(
    client, sms_inbox, fake_twilio, queued
):
    stop = sms_fields(Body="STOP")
    start = sms_fields(Body="START")
    accept(client, sms_inbox, stop)
    raw_inbound_drain(inbox_id=sms_inbox.pk)
    identity = ContactIdentity.objects.get(kind="phone", address="+33612345678")
    assert identity.opted_out_at is not None

    accept(client, sms_inbox, start)
    raw_inbound_drain(inbox_id=sms_inbox.pk)
    identity.refresh_from_db()
    assert identity.opted_out_at is None

    # The STOP comes again after its raw record was cleaned up: a duplicate, not an opt-out.
    RawInbound.objects.filter(external_id=stop["MessageSid"]).delete()
    accept(client, sms_inbox, stop)
    raw_inbound_drain(inbox_id=sms_inbox.pk)
    identity.refresh_from_db()
    assert identity.opted_out_at is None
    assert RawInbound.objects.get(external_id=stop["MessageSid"]).status == RawStatus.DUPLICATE
    assert Message.objects.count() == 2


def test_a_forged_signature_stores_nothing_and_queues_nothing(
    client, sms_inbox, fake_twilio, queued
):
    response = post_signed(client, hook(sms_inbox), sms_fields(), signature="forged")
    assert response.status_code == 403
    assert not RawInbound.objects.exists()
    assert queued == []


@pytest.mark.skipif(not POSTGRES, reason="row locks with SKIP LOCKED: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_drains_never_take_the_same_payload(client, sms_inbox, fake_twilio, queued):
    for body in ("one", "two", "three"):
        accept(client, sms_inbox, sms_fields(Body=body, From=f"+3361{len(body):07d}"))
    first_id = RawInbound.objects.order_by("id").values_list("id", flat=True)[0]
    locked, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with transaction.atomic():
                RawInbound.objects.select_for_update().filter(pk=first_id).get()
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(10)
        report = raw_inbound_drain(inbox_id=sms_inbox.pk)
    finally:
        release.set()
        thread.join()

    assert report.accepted == 2
    assert sorted(Message.objects.values_list("text", flat=True)) == ["three", "two"]
    assert RawInbound.objects.get(pk=first_id).status == RawStatus.PENDING


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_webhooks_through_daphne_are_received_by_a_real_worker(sms_inbox, twilio_settings):
    import uuid

    import requests

    from tests import servers
    from tests.channels_in.twilio.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL

    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_URL": PUBLIC_URL,
        "ALLOWED_HOSTS": "help.shop.test,127.0.0.1",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
    }
    path = hook(sms_inbox)
    sent = [sms_fields(Body=f"message {n}", From=f"+3361000000{n}") for n in range(5)]
    sent.append(sms_fields(Body="STOP", From="+33610000000"))
    with servers.daphne(**env) as port, servers.celery_worker(queue, **env):
        for fields in [*sent, sent[0]]:  # the first one twice: a redelivery
            response = requests.post(
                f"http://127.0.0.1:{port}{path}",
                data=urlencode(fields),
                headers={
                    "Host": "help.shop.test",
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Twilio-Signature": sign(path, fields),
                },
                timeout=10,
            )
            assert response.status_code == 200
            assert response.text.startswith("<?xml")
        servers.wait_for(lambda: Message.objects.filter(inbox=sms_inbox).count() == len(sent))
        servers.wait_for(
            lambda: not RawInbound.objects.filter(status=RawStatus.PENDING).exists(), timeout=10
        )

    assert sorted(Message.objects.values_list("external_id", flat=True)) == sorted(
        fields["MessageSid"] for fields in sent
    )
    assert RawInbound.objects.filter(status=RawStatus.ACCEPTED).count() == len(sent)
    identity = ContactIdentity.objects.get(kind="phone", address="+33610000000")
    assert identity.opted_out_at is not None
