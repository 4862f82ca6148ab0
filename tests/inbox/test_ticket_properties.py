"""Ticket properties apply on change: the page posts one property and gets back what changed,
in the agent's words, and the form data that undoes it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from helpdesk.tickets.models import Ticket
from tests.factories import AgentFactory, TeamFactory
from tests.inbox.factories import rich_ticket, team_agent

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def act(client, ticket, action, data):
    return client.post(reverse("inbox:ticket_action", args=[ticket.pk, action]), data, **JSON)


def test_a_property_change_answers_with_words_and_its_undo(client):
    team, agent = team_agent("alice")
    ticket = rich_ticket(team=team, priority=2)
    client.force_login(agent)
    response = act(client, ticket, "priority", {"priority": "3"})
    assert response.status_code == 200
    body = response.json()
    assert body == {"ok": True, "text": "Priority: High", "undo": {"priority": "2"}}
    assert Ticket.objects.get(pk=ticket.pk).priority == 3
    # The undo is the same request with the value from before.
    assert act(client, ticket, "priority", body["undo"]).json()["text"] == "Priority: Normal"
    assert Ticket.objects.get(pk=ticket.pk).priority == 2


def test_assignee_team_and_status_undo_to_what_they_were(client):
    team, agent = team_agent("alice")
    other_team = TeamFactory(name="Returns")
    bob = AgentFactory(username="bob", profile__display_name="Bob Stone")
    ticket = rich_ticket(team=team, status="open")
    client.force_login(agent)
    body = act(client, ticket, "assign", {"assignee": str(bob.pk)}).json()
    assert body["text"] == "Assignee: Bob Stone" and body["undo"] == {"assignee": ""}
    act(client, ticket, "assign", body["undo"])
    assert Ticket.objects.get(pk=ticket.pk).assignee_id is None
    body = act(client, ticket, "status", {"status": "pending"}).json()
    assert body["undo"] == {"status": "open"}
    body = act(client, ticket, "team", {"team": str(other_team.pk)}).json()
    assert body == {"ok": True, "text": "Team: Returns", "undo": {"team": str(team.pk)}}


def test_tags_undo_only_what_the_change_did(client):
    team, agent = team_agent("alice")
    ticket = rich_ticket(team=team)
    client.force_login(agent)
    act(client, ticket, "tags", {"add": "vip"})
    body = act(client, ticket, "tags", {"add": "refund, vip", "remove": []}).json()
    assert body["text"] == "Tags: refund, vip"
    assert body["undo"] == {"add": "", "remove": ["refund"]}
    act(client, ticket, "tags", body["undo"])
    assert set(ticket.tags.values_list("name", flat=True)) == {"vip"}
    body = act(client, ticket, "tags", {"remove": "vip"}).json()
    assert body == {"ok": True, "text": "Tags: none", "undo": {"add": "vip", "remove": []}}


def test_a_refused_change_says_why_and_nothing_changes(client):
    team, agent = team_agent("alice")
    ticket = rich_ticket(team=team, status="open")
    client.force_login(agent)
    response = act(client, ticket, "status", {"status": "bogus"})
    assert response.status_code == 400
    assert response.json() == {"error": "Unknown status."}
    assert Ticket.objects.get(pk=ticket.pk).status == "open"


def test_another_teams_ticket_cannot_be_changed(client):
    _team, agent = team_agent("alice")
    ticket = rich_ticket(team=TeamFactory(), priority=2)
    client.force_login(agent)
    assert act(client, ticket, "priority", {"priority": "4"}).status_code == 404
    assert Ticket.objects.get(pk=ticket.pk).priority == 2


def test_the_words_are_in_the_agents_language(client):
    team, agent = team_agent("camille", language="fr")
    ticket = rich_ticket(team=team, priority=2)
    client.force_login(agent)
    assert act(client, ticket, "priority", {"priority": "4"}).json()["text"] == "Priorité : Urgente"


def test_without_javascript_the_forms_still_post_and_redirect(client):
    team, agent = team_agent("alice")
    ticket = rich_ticket(team=team, priority=2)
    client.force_login(agent)
    page = client.get(reverse("inbox:ticket_detail", args=[ticket.pk])).content.decode()
    assert 'id="props"' in page and 'class="prop-apply"' in page and 'id="undo"' in page
    response = client.post(
        reverse("inbox:ticket_action", args=[ticket.pk, "priority"]), {"priority": "1"}
    )
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).priority == 1
