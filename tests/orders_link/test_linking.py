from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from helpdesk.contacts.models import ContactIdentity
from orders_link.connectors.neutral import OrderData
from orders_link.models import DelayNotice, Store
from orders_link.services import order_upsert
from orders_link.tasks import detect_delays_task
from tests.factories import IdentityFactory, InboxFactory
from tests.orders_link.factories import customer, shipment

pytestmark = pytest.mark.django_db

PLACED = dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC)


def upsert(number: str, **fields):
    store, _ = Store.objects.get_or_create(slug="s", defaults={"name": "S"})
    return order_upsert(store=store, data=OrderData(number=number, placed_at=PLACED, **fields))[0]


def test_an_order_finds_its_customer_by_phone_and_adds_the_new_email():
    known = IdentityFactory(kind="phone", address="+33611111111")
    order = upsert("L-1", email="New@Example.test", phone="+33 6 11 11 11 11")
    assert order.contact == known.contact
    assert set(known.contact.identities.values_list("kind", "address")) == {
        ("phone", "+33611111111"),
        ("email", "new@example.test"),
    }


def test_an_address_of_someone_else_is_never_moved_or_duplicated():
    ann = IdentityFactory(kind="email", address="ann@example.test").contact
    bob = IdentityFactory(kind="phone", address="+33622222222").contact
    order = upsert("L-2", email="ann@example.test", phone="+33622222222")
    assert order.contact == ann
    assert ContactIdentity.objects.get(kind="phone").contact == bob
    assert ContactIdentity.objects.count() == 2


def test_an_order_without_address_has_no_contact_and_a_later_one_links_it():
    assert upsert("L-3").contact is None
    order = upsert("L-3", email="late@example.test")
    assert order.contact is not None
    assert order.contact.identities.get().address == "late@example.test"


def test_the_beat_schedule_runs_detect_delays():
    entry = settings.CELERY_BEAT_SCHEDULE["detect-delays"]
    assert entry["task"] == "orders_link.tasks.detect_delays_task"
    InboxFactory(kind="email", name="Support email")
    shipment(customer(email="beat@example.test"), status="exception")
    assert detect_delays_task.delay().get() == {"found": 1, "notices": 1}
    assert DelayNotice.objects.count() == 1
