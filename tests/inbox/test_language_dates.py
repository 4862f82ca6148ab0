"""The agent's own language rules the interface; events read as words; dates are never
ambiguous, and canned responses speak the customer's language."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from helpdesk.accounts.models import AgentProfile
from helpdesk.inbox.models import CannedResponse
from helpdesk.tickets.models import Priority, TicketStatus
from helpdesk.tickets.services import ticket_set_priority, ticket_set_status
from tests.factories import AgentFactory, ShipmentFactory
from tests.inbox.factories import rich_ticket

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_agents_language_wins_over_the_browsers(client):
    camille = AgentFactory(username="camille")
    AgentProfile.objects.filter(user=camille).update(language="fr")
    client.force_login(camille)
    page = client.get(reverse("inbox:ticket_list"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert page["Content-Language"] == "fr"
    assert '<html lang="fr">' in page.content.decode()
    assert "Déconnexion" in text_of(page) or "Se déconnecter" in text_of(page)

    # Switching language in the interface changes the profile, not just this browser.
    back = client.post(reverse("inbox:language_set"), {"language": "en", "next": "/inbox/"})
    assert back.status_code == 302 and back["Location"] == "/inbox/"
    assert AgentProfile.objects.get(user=camille).language == "en"
    assert client.post(reverse("inbox:language_set"), {"language": "xx"}).status_code == 400
    offsite = client.post(
        reverse("inbox:language_set"), {"language": "en", "next": "https://evil.test/"}
    )
    assert offsite["Location"] == "/"


def test_events_read_as_words_in_the_agents_language(client):
    ticket = rich_ticket(messages=1)
    agent = AgentFactory(username="sam")
    ticket_set_priority(ticket=ticket, priority=Priority.HIGH, actor=agent)
    ticket_set_status(ticket=ticket, status=TicketStatus.PENDING, actor=agent)
    client.force_login(agent)
    shown = text_of(client.get(reverse("inbox:ticket_detail", args=[ticket.pk])))
    assert "Priority: Normal → High" in shown
    assert "Status: New → Pending" in shown or "Status: Open → Pending" in shown
    assert "priority 2 → 3" not in shown and "status open → pending" not in shown

    AgentProfile.objects.filter(user=agent).update(language="fr")
    shown = text_of(client.get(reverse("inbox:ticket_detail", args=[ticket.pk])))
    assert "Priorité : Normale → Haute" in shown or "Priorité: Normale → Haute" in shown


def test_dates_in_the_interface_name_the_month(client):
    ticket = rich_ticket(messages=1)
    client.force_login(AgentFactory(username="sam"))
    html = client.get(reverse("inbox:ticket_detail", args=[ticket.pk])).content.decode()
    assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b", html)
    assert re.search(r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\w* 20\d\d", html)


def test_a_canned_response_speaks_the_customers_language_and_dates(client):
    ticket = rich_ticket(messages=1)
    ticket.contact.language = "fr"
    ticket.contact.save()
    ticket.language = "fr"
    ticket.save()
    shipment = ticket.order.shipments.order_by("-created_at", "-id").first() or ShipmentFactory(
        order=ticket.order
    )
    shipment.estimated_delivery = dt.date(2026, 5, 12)
    shipment.save()
    canned = CannedResponse.objects.create(
        name="ETA", text="Votre colis arrive le {{ shipment.estimated_delivery }}."
    )
    agent = AgentFactory(username="sam")  # an English-speaking agent
    client.force_login(agent)
    preview = client.get(
        reverse("inbox:canned_preview", args=[ticket.pk, canned.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).json()
    assert preview["text"] == "Votre colis arrive le 12 mai 2026."
