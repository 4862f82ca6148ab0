"""What agents see: bot-owned conversations out of their queue in the "Bot" view, the hand-over
with its transcript on top of the ticket, and taking a conversation over."""

from __future__ import annotations

import pytest

from helpdesk.tickets.models import Handler, Ticket
from tests.chatbot.helpers import say
from tests.factories import InboxFactory


@pytest.fixture
def widget(db):
    return InboxFactory(kind="webchat", name="Site chat", config={"allowed_origins": []})


def test_bot_conversations_stay_out_of_the_queue_until_handed_over(
    widget, agent_client, django_capture_on_commit_callbacks
):
    c = django_capture_on_commit_callbacks
    say(widget, "visitor-a", "where is my order?", capture=c)
    ticket = Ticket.objects.get()
    assert ticket.handler == Handler.BOT
    queue = agent_client.get("/inbox/").content.decode()
    bot_view = agent_client.get("/inbox/?view=bot").content.decode()
    assert f"/inbox/tickets/{ticket.pk}/" not in queue
    assert f"/inbox/tickets/{ticket.pk}/" in bot_view
    say(widget, "visitor-a", "I want to talk to a human", capture=c)
    assert f"/inbox/tickets/{ticket.pk}/" in agent_client.get("/inbox/").content.decode()


def test_the_ticket_shows_the_hand_over_with_its_transcript(
    widget, agent, agent_client, django_capture_on_commit_callbacks
):
    c = django_capture_on_commit_callbacks
    say(widget, "visitor-b", "Bonjour, où est ma commande 31337 ?", capture=c)
    say(widget, "visitor-b", "je veux parler à un conseiller", capture=c)
    ticket = Ticket.objects.get()
    page = agent_client.get(f"/inbox/tickets/{ticket.pk}/").content.decode()
    top = page.index('id="handover"')
    assert top < page.index('class="timeline') if 'class="timeline' in page else True
    section = page[top : page.index("</section>", top)]
    assert "contact_human" in section and "Asking for a person" in section
    assert "French" in section and "Not verified" in section
    assert "Asked for a person" in section  # the reason, in the agent's language
    agent.agent_profile.language = "fr"  # an agent who works in French
    agent.agent_profile.save(update_fields=["language"])
    french = agent_client.get(f"/inbox/tickets/{ticket.pk}/").content.decode()
    french = french[french.index('id="handover"') :]
    assert "Français" in french and "Demande à parler à une personne" in french
    assert "Bonjour, où est ma commande 31337 ?" in section
    assert "je veux parler à un conseiller" in section


def test_an_agent_takes_over_and_the_bot_stops(
    widget, agent_client, django_capture_on_commit_callbacks
):
    c = django_capture_on_commit_callbacks
    say(widget, "visitor-c", "where is my order?", capture=c)
    ticket = Ticket.objects.get()
    page = agent_client.get(f"/inbox/tickets/{ticket.pk}/").content.decode()
    assert 'id="take-over"' in page
    response = agent_client.post(f"/inbox/tickets/{ticket.pk}/take_over/")
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.handler == Handler.AGENTS
    assert ticket.handover_reason == "agent_took_over"
    assert say(widget, "visitor-c", "order 1 postcode 75001", capture=c) is None
