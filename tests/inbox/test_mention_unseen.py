"""An @mention of an agent who cannot see the ticket never vanishes: the author is told and
offered to assign the ticket to them or share it with their team."""

from __future__ import annotations

import pytest
from django.urls import reverse

from helpdesk.inbox.models import Mention
from helpdesk.tickets.models import Ticket
from tests.inbox.factories import rich_ticket, team_agent

pytestmark = pytest.mark.django_db


def test_the_author_is_told_and_can_assign_or_share(client):
    team, author = team_agent("alice")
    other_team, bob = team_agent("bob")
    ticket = rich_ticket(team=team, messages=1)
    client.force_login(author)
    url = reverse("inbox:ticket_detail", args=[ticket.pk])

    response = client.post(
        url, {"text": "@bob can you check the refund?", "internal": "on"}, follow=True
    )
    assert not Mention.objects.filter(user=bob).exists()
    page = response.content.decode()
    assert "@bob" in page and "cannot see this ticket, so they were not notified" in page
    assert f'name="assignee" value="{bob.pk}"' in page
    assert f'name="team" value="{other_team.pk}"' in page
    # Told once, not on every later visit.
    assert "cannot see this ticket" not in client.get(url).content.decode()

    client.post(reverse("inbox:ticket_action", args=[ticket.pk, "team"]), {"team": other_team.pk})
    assert Ticket.objects.get(pk=ticket.pk).team == other_team


def test_a_colleague_who_sees_the_ticket_is_notified_without_a_warning(client):
    team, author = team_agent("alice")
    carol = team_agent("carol")[1]
    carol.agent_profile.teams.add(team)
    ticket = rich_ticket(team=team, messages=1)
    client.force_login(author)
    response = client.post(
        reverse("inbox:ticket_detail", args=[ticket.pk]),
        {"text": "@carol have a look", "internal": "on"},
        follow=True,
    )
    assert Mention.objects.filter(user=carol).exists()
    assert "cannot see this ticket" not in response.content.decode()
