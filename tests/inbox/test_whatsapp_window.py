"""WhatsApp's 24-hour window where an agent works: the reply box shows it, free text outside
it is refused with the reason (the text kept), and approved templates are offered with their
variables filled in and previewed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from channels_in.base import InboundMessage, Sender
from helpdesk.tickets.models import Message
from helpdesk.tickets.services import message_receive
from tests.factories import AgentFactory, InboxFactory, StoreFactory
from tests.orders_link.factories import customer

pytestmark = pytest.mark.django_db

TEMPLATE = {
    "name": "order_update",
    "content_sid": "HX" + "0" * 32,
    "label": "Order update",
    "body": "Hello {{1}}, here is news of your order {{2}}.",
    "variables": ["contact.first_name", "order.number"],
}


@pytest.fixture
def whatsapp_ticket(db):
    inbox = InboxFactory(kind="whatsapp", name="WhatsApp", config={"templates": [TEMPLATE]})
    contact = customer(whatsapp="+33600000021", email="wa@example.test")
    contact.name = "Jeanne Martin"
    contact.save()
    received = message_receive(
        inbound=InboundMessage(
            inbox_id=inbox.pk,
            sender=Sender(kind="whatsapp", address="+33600000021"),
            text="Bonjour, où en est ma commande ?",
            external_id="WA-window-1",
        )
    )
    return received.ticket


def age_customer_message(ticket, hours: int) -> None:
    Message.objects.filter(ticket=ticket, direction="in").update(
        created_at=timezone.now() - dt.timedelta(hours=hours)
    )


def whatsapp_identity(ticket):
    return ticket.contact.identities.get(kind="whatsapp")


def test_inside_the_window_the_box_says_until_when_and_free_text_goes(whatsapp_ticket, client):
    client.force_login(AgentFactory(username="sam"))
    url = reverse("inbox:ticket_detail", args=[whatsapp_ticket.pk])
    html = client.get(url).content.decode()
    assert "WhatsApp window open: free text can be sent until" in html
    response = client.post(
        url, {"text": "Elle part demain.", "identity": whatsapp_identity(whatsapp_ticket).pk}
    )
    assert response.status_code == 302
    assert Message.objects.filter(direction="out", text="Elle part demain.").exists()


def test_outside_the_window_free_text_is_refused_with_the_reason(whatsapp_ticket, client):
    age_customer_message(whatsapp_ticket, 38)
    client.force_login(AgentFactory(username="sam"))
    url = reverse("inbox:ticket_detail", args=[whatsapp_ticket.pk])
    html = client.get(url).content.decode()
    assert "WhatsApp window closed since" in html

    response = client.post(
        url, {"text": "Désolé du retard !", "identity": whatsapp_identity(whatsapp_ticket).pk}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "last wrote on WhatsApp 38 hours ago" in body
    assert "only an approved template" in body
    assert "Désolé du retard !" in body  # the text is kept in the box
    assert not Message.objects.filter(direction="out", kind="message").exists()


def test_templates_are_offered_filled_in_and_sent_as_templates(whatsapp_ticket, client):
    age_customer_message(whatsapp_ticket, 30)
    order = whatsapp_ticket.contact.orders.create(
        store=StoreFactory(),
        number="#20001",
        placed_at=timezone.now(),
    )
    whatsapp_ticket.order = order
    whatsapp_ticket.save(update_fields=["order"])
    client.force_login(AgentFactory(username="sam"))
    url = reverse("inbox:ticket_detail", args=[whatsapp_ticket.pk])
    html = client.get(url).content.decode()
    preview = re.search(r'<span class="template-preview">([^<]*)</span>', html).group(1)
    assert preview == "Hello Jeanne, here is news of your order #20001."

    response = client.post(
        url,
        {
            "text": "",
            "template": "order_update",
            "identity": whatsapp_identity(whatsapp_ticket).pk,
        },
    )
    assert response.status_code == 302
    sent = Message.objects.get(direction="out", kind="message")
    assert sent.text == "Hello Jeanne, here is news of your order #20001."
    assert sent.metadata["whatsapp_template"] == TEMPLATE["content_sid"]
    assert sent.metadata["template_variables"] == {"1": "Jeanne", "2": "#20001"}
    assert sent.identity.kind == "whatsapp"

    unknown = client.post(
        url, {"template": "nope", "identity": whatsapp_identity(whatsapp_ticket).pk}
    )
    assert unknown.status_code == 400
    assert "No approved template named nope" in unknown.content.decode()
