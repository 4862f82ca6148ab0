from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from helpdesk.contacts.models import Contact, ContactIdentity
from helpdesk.tickets.models import Inbox, InboxKind, Message, Ticket
from knowledge_base.models import Article
from orders_link.models import DelayNotice, Order, OrderStatus, Shipment, ShipmentStatus

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Contact, ContactIdentity, Order, Shipment, Ticket, Message, Article, Inbox)
    }


def test_seed_demo_loads_a_shop_and_a_second_run_changes_nothing():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = counts()
    assert first["Contact"] == 50
    assert first["Order"] == 200
    assert {c[0] for c in Contact.objects.values_list("language")} == {"en", "fr"}
    assert set(Order.objects.values_list("status", flat=True)) == set(OrderStatus.values)
    assert set(Shipment.objects.values_list("status", flat=True)) == set(ShipmentStatus.values)
    assert set(Ticket.objects.values_list("inbox__kind", flat=True)) == set(InboxKind.values)
    assert set(Article.objects.values_list("language", flat=True)) == {"en", "fr"}
    assert "admin / demo-admin" in out.getvalue()
    notices = DelayNotice.objects.count()
    assert notices > 0
    assert f"{notices} delay notices sent" in out.getvalue()

    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert counts() == first
    assert DelayNotice.objects.count() == notices
    assert "already loaded" in again.getvalue()
    assert "camille / demo-agent" in again.getvalue()


def test_the_printed_logins_work():
    call_command("seed_demo", stdout=StringIO())
    client = Client()
    for username, password in [
        ("admin", "demo-admin"),
        ("manager", "demo-manager"),
        ("camille", "demo-agent"),
    ]:
        assert client.login(username=username, password=password), username
        assert client.get("/inbox/").status_code == 200
        client.logout()


def test_seed_demo_refuses_production(settings):
    from django.core.management.base import CommandError

    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo", stdout=StringIO())
    assert Order.objects.count() == 0
