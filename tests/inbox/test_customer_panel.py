"""The customer panel shows the order's total, where it ships and a link to the order in the
shop's own admin when the connector knows it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from orders_link.models import Store
from orders_link.selectors import order_admin_url
from tests.factories import AgentFactory
from tests.inbox.factories import rich_ticket

pytestmark = pytest.mark.django_db


def test_the_panel_shows_total_address_and_admin_link(client):
    ticket = rich_ticket(messages=1)
    order = ticket.order
    order.total = Decimal("128.50")
    order.currency = "EUR"
    order.postcode = "75011"
    order.country = "FR"
    order.customer_name = "Jeanne Martin"
    order.ship_name = "Jeanne Martin-Roux"
    order.ship_lines = "Atelier 3\n12 rue Oberkampf"
    order.city = "Paris"
    order.external_id = "5501"
    order.save()
    store = order.store
    store.connector = Store.Connector.SHOPIFY
    store.domain = "demo-shop.myshopify.com"
    store.save()
    client.force_login(AgentFactory(username="sam"))
    html = client.get(reverse("inbox:ticket_detail", args=[ticket.pk])).content.decode()
    assert '<strong class="order-total">128.50 EUR</strong>' in html
    assert (
        '<address class="order-address">Jeanne Martin-Roux<br>Atelier 3<br>12 rue Oberkampf'
        "<br>75011 Paris<br>France</address>"
    ) in html
    assert 'href="https://demo-shop.myshopify.com/admin/orders/5501"' in html


def test_the_admin_link_follows_the_connector(db):
    ticket = rich_ticket(messages=1)
    order = ticket.order
    order.external_id = "77"
    store = order.store
    store.domain = "https://shop.example/"
    store.connector = Store.Connector.WOOCOMMERCE
    assert order_admin_url(order) == "https://shop.example/wp-admin/post.php?post=77&action=edit"
    store.connector = Store.Connector.IMPORT
    assert order_admin_url(order) == ""
    store.config = {"admin_order_url": "https://back.shop.example/orders/{id}"}
    assert order_admin_url(order) == "https://back.shop.example/orders/77"
    order.external_id = ""
    assert order_admin_url(order) == ""


def test_the_country_is_a_word_in_the_agents_language(client):
    ticket = rich_ticket(messages=1)
    order = ticket.order
    order.postcode, order.city, order.country = "10115", "Berlin", "DE"
    order.save()
    agent = AgentFactory(username="camille")
    agent.agent_profile.language = "fr"
    agent.agent_profile.save()
    client.force_login(agent)
    html = client.get(reverse("inbox:ticket_detail", args=[ticket.pk])).content.decode()
    assert "<br>10115 Berlin<br>Allemagne</address>" in html
    assert ">DE<" not in html
