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


def test_no_demo_message_is_older_than_the_order_it_mentions():
    call_command("seed_demo", stdout=StringIO())
    checked = 0
    for message in Message.objects.filter(external_id__startswith="demo-").select_related("ticket"):
        mentioned = [
            o
            for o in Order.objects.filter(contact=message.ticket.contact_id)
            if o.number in message.text
        ]
        assert mentioned, message.text
        for order in mentioned:
            assert message.created_at >= order.placed_at, (message.text, order.placed_at)
            delivered = [s.delivered_at for s in order.shipments.all() if s.delivered_at]
            if "I received" in message.text or "est arrivé abîmé" in message.text:
                assert delivered and message.created_at >= max(delivered), message.text
        later = message.ticket.messages.filter(pk__gt=message.pk)
        assert not later.filter(created_at__lt=message.created_at).exists()
        checked += 1
    assert checked == 40


def test_the_demo_follows_public_url_into_the_widget_and_the_shop_page(settings):
    settings.PUBLIC_URL = "http://127.0.0.1:8080"
    out = StringIO()
    call_command("seed_demo", stdout=out)
    chat = Inbox.objects.get(kind=InboxKind.WEBCHAT)
    assert chat.config["allowed_origins"] == ["http://127.0.0.1:8080", "http://localhost:8080"]
    assert "http://127.0.0.1:8080/demo/shop/" in out.getvalue()
    assert ":8000" not in out.getvalue()

    page = Client().get("/demo/shop/")
    assert page.status_code == 200
    embed = f"http://127.0.0.1:8080/widget/{chat.webhook_key}/embed.js"
    assert embed.encode() in page.content
    script = Client().get(f"/widget/{chat.webhook_key}/embed.js")
    assert b'"socket": "ws://127.0.0.1:8080/ws/widget/' in script.content

    # Served again on another port, the same demo's widget accepts that address too.
    settings.PUBLIC_URL = "http://localhost:9090"
    call_command("seed_demo", stdout=StringIO())
    chat.refresh_from_db()
    assert "http://localhost:9090" in chat.config["allowed_origins"]
    assert "http://127.0.0.1:8080" in chat.config["allowed_origins"]


def test_the_demo_shop_tracks_an_order_only_with_its_email():
    call_command("seed_demo", stdout=StringIO())
    order = Order.objects.exclude(email="").first()
    client = Client()
    found = client.get("/demo/shop/", {"order": order.number, "email": order.email.upper()})
    assert order.get_status_display().encode() in found.content
    assert b'id="order-result"' in found.content
    wrong = client.get("/demo/shop/", {"order": order.number, "email": "someone@else.test"})
    assert b"No order matches" in wrong.content


def test_the_demo_shop_page_is_not_served_in_production(settings):
    settings.PRODUCTION = True
    assert Client().get("/demo/shop/").status_code == 404


def test_demo_has_an_sla_policy_on_business_hours_and_canned_responses_per_language(db):
    from django.core.management import call_command

    from helpdesk.inbox.models import CannedResponse
    from helpdesk.sla.models import SlaPolicy
    from helpdesk.tickets.models import Ticket

    call_command("seed_demo", stdout=__import__("io").StringIO())
    policy = SlaPolicy.objects.get(name="Standard")
    assert policy.calendar.periods.count() == 6
    assert set(CannedResponse.objects.values_list("language", flat=True)) == {"en", "fr"}
    assert Ticket.objects.filter(first_response_due__isnull=False).exists()
