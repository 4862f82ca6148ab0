"""Two detect_delays runs at once never notify a customer twice."""

from __future__ import annotations

import sys
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from helpdesk.tickets.models import Message, Ticket
from orders_link.delays import shipments_delay_scan
from orders_link.models import DelayNotice, NoticeState
from tests.factories import InboxFactory
from tests.orders_link.factories import NOW, TODAY, customer, shipment
from tests.servers import ROOT, server_env

PARCELS = 40


def late_parcels() -> list:
    InboxFactory(kind="email", name="Support email")
    return [
        shipment(customer(email=f"late{i}@example.test"), status="exception")
        for i in range(PARCELS)
    ]


def assert_each_parcel_notified_once(parcels) -> None:
    assert DelayNotice.objects.count() == PARCELS
    assert set(DelayNotice.objects.values_list("shipment_id", flat=True)) == {p.pk for p in parcels}
    assert not DelayNotice.objects.filter(state=NoticeState.PENDING).exists()
    notices = Message.objects.filter(metadata__delay_notice__isnull=False)
    assert notices.count() == PARCELS
    assert Ticket.objects.count() == PARCELS


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_scans_in_threads_notify_each_parcel_once():
    parcels = late_parcels()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(shipments_delay_scan(now=NOW))
        except Exception as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(r.found_total for r in results) == [PARCELS, PARCELS]
    assert sum(r.created_total for r in results) == PARCELS
    assert_each_parcel_notified_once(parcels)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_detect_delays_processes_notify_each_parcel_once():
    import subprocess

    parcels = late_parcels()
    env = server_env(CELERY_TASK_ALWAYS_EAGER="1")
    command = [sys.executable, "manage.py", "detect_delays", f"--now={NOW.isoformat()}"]
    procs = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=120)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    assert all(f"{PARCELS} delayed shipments" in out for out in outputs), outputs
    assert_each_parcel_notified_once(parcels)


@pytest.mark.django_db
def test_the_database_refuses_a_second_notice_for_the_same_situation():
    parcel = shipment(customer(email="x@example.test"), status="exception")
    fields = {
        "shipment": parcel,
        "kind": "reported",
        "promised_date": TODAY,
        "detected_at": timezone.now(),
    }
    DelayNotice.objects.create(run="a", **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        DelayNotice.objects.create(run="b", **fields)
