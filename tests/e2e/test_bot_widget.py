"""The bot in a real browser (Debian's Chromium) against daphne: a French visitor asks in the
shop's widget where their order is, proves it with the order number and the postcode, gets the
status and the tracking link, then asks for a person; an agent, logged in on a second page,
finds the conversation in the queue with what the bot learnt and the transcript on top."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from helpdesk.tickets.models import Handler, Ticket
from orders_link.models import OrderStatus, ShipmentStatus
from tests import servers
from tests.e2e.test_widget import daphne_on, shop_page
from tests.factories import (
    AgentFactory,
    ContactFactory,
    InboxFactory,
    OrderFactory,
    ShipmentFactory,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.bot]

TRACKING_URL = "https://track.example.test/6A20261202"
OTHER_TRACKING_URL = "https://track.example.test/6A99999999"


def _orders() -> None:
    owner = ContactFactory(name="Élise Bernard", language="fr")
    order = OrderFactory(
        number="48213",
        contact=owner,
        email="elise.bernard@example.fr",
        postcode="75011",
        status=OrderStatus.SHIPPED,
    )
    ShipmentFactory(
        order=order,
        carrier="Colissimo",
        tracking_number="6A20261202",
        tracking_url=TRACKING_URL,
        status=ShipmentStatus.IN_TRANSIT,
        estimated_delivery=timezone.localdate() + dt.timedelta(days=2),
    )
    # Another customer's order: never shown to this visitor.
    other = OrderFactory(
        number="48214",
        contact=ContactFactory(name="Marc Lenoir"),
        email="marc@example.fr",
        postcode="69003",
        status=OrderStatus.SHIPPED,
    )
    ShipmentFactory(
        order=other,
        carrier="DHL",
        tracking_number="6A99999999",
        tracking_url=OTHER_TRACKING_URL,
        status=ShipmentStatus.IN_TRANSIT,
    )


def test_french_visitor_proves_an_order_gets_its_tracking_then_a_person_takes_over(browser):
    from playwright.sync_api import expect

    port = servers.free_port()
    holder = {}

    def html() -> str:
        key = holder["inbox"].webhook_key
        return (
            "<!doctype html><html lang='fr'><head><title>Boutique</title>"
            "<meta name='viewport' content='width=device-width'></head>"
            "<body><h1>Outils de jardin</h1>"
            f"<script async src='http://127.0.0.1:{port}/widget/{key}/embed.js'></script>"
            "</body></html>"
        )

    with shop_page(html) as shop:
        holder["inbox"] = InboxFactory(
            kind="webchat", name="Chat du site", config={"allowed_origins": [shop]}
        )
        _orders()
        AgentFactory(username="agent-ann", first_name="Ann")
        with daphne_on(port):
            visitor = browser.new_page(locale="fr-FR")
            visitor.goto(shop + "/")
            visitor.locator("button.bubble").click()
            box = visitor.locator("#hd-text")
            expect(box).to_be_focused()
            conversation = visitor.get_by_role("log")

            box.fill("Bonjour, où est ma commande ?")
            box.press("Enter")
            # The bot answers at once, in French, asking for the proof.
            messages = conversation.locator("li")
            expect(messages).to_have_count(2, timeout=20_000)
            asked = messages.nth(1).inner_text()
            assert "numéro de commande" in asked and "code postal" in asked
            assert "48213" not in asked

            # A wrong postcode: the same words whatever was wrong, and nothing of the order.
            box.fill("commande 48213, code postal 69003")
            box.press("Enter")
            expect(messages).to_have_count(4, timeout=20_000)
            refused = messages.nth(3).inner_text()
            assert TRACKING_URL not in refused and OTHER_TRACKING_URL not in refused

            box.fill("commande 48213, code postal 75011")
            box.press("Enter")
            expect(messages).to_have_count(6, timeout=20_000)
            answer = messages.nth(5).inner_text()
            assert "48213" in answer and "expédiée" in answer and "Colissimo" in answer
            assert TRACKING_URL in answer and OTHER_TRACKING_URL not in answer
            # The tracking link is a link the visitor can follow.
            link = conversation.locator(f"a[href='{TRACKING_URL}']")
            expect(link).to_have_count(1)

            box.fill("merci, je voudrais parler à un conseiller svp")
            box.press("Enter")
            expect(messages).to_have_count(8, timeout=20_000)
            handed = messages.nth(7).inner_text()
            assert "personne" in handed

            ticket = servers.wait_for(
                lambda: Ticket.objects.filter(inbox=holder["inbox"], handler=Handler.AGENTS).first()
            )

            agent = browser.new_page(locale="en-GB")
            agent.goto(f"http://127.0.0.1:{port}/login/")
            agent.fill("#id_username", "agent-ann")
            agent.fill("#id_password", "correct horse battery staple")
            agent.get_by_role("button", name="Log in").click()
            agent.goto(f"http://127.0.0.1:{port}/inbox/")
            row = agent.locator(f"a[href='/inbox/tickets/{ticket.pk}/']").first
            expect(row).to_be_visible(timeout=10_000)
            row.click()
            handover = agent.locator("#handover")
            expect(handover).to_be_visible()
            facts = handover.locator("dl").inner_text()
            assert "Asking for a person" in facts and "contact_human" in facts  # why
            assert "French" in facts  # the language
            assert "48213" in facts  # the order it proved
            assert "Order number and postcode" in facts  # how it was proved
            transcript = handover.locator(".transcript").inner_text()
            assert "Bonjour, où est ma commande ?" in transcript
            assert "commande 48213, code postal 75011" in transcript
            assert TRACKING_URL in transcript
            assert "je voudrais parler à un conseiller" in transcript
            # It is the agent's now: the take-over button is gone.
            expect(agent.locator("#take-over")).to_have_count(0)
