"""Each agent chooses their language and time zone; every date of the workspace is shown in
that zone, with the month in words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from helpdesk.accounts.models import AgentProfile
from helpdesk.tickets.models import Ticket
from tests.inbox.factories import rich_ticket, team_agent

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 5, 12, 13, 30, tzinfo=UTC)


def shown(client, ticket) -> str:
    return client.get(reverse("inbox:ticket_list")).content.decode()


def test_each_agent_reads_dates_in_their_own_time_zone(client):
    team, paris = team_agent("paris")
    _, boston = team_agent("boston")
    boston.agent_profile.teams.add(team)
    ticket = rich_ticket(team=team)
    Ticket.objects.filter(pk=ticket.pk).update(last_message_at=WHEN)
    client.force_login(boston)
    response = client.post(
        reverse("inbox:profile"), {"language": "en", "time_zone": "America/New_York"}
    )
    assert response.status_code == 302
    assert AgentProfile.objects.get(user=boston).time_zone == "America/New_York"
    html = shown(client, ticket)
    assert "12 May 2026, 09:30" in html  # 13:30 UTC in Boston (EDT)
    assert "America/New_York" in html  # the zone is named in the top bar
    client.force_login(paris)  # no zone of their own: the workspace's (Europe/Paris)
    html = shown(client, ticket)
    assert "12 May 2026, 15:30" in html and "Europe/Paris" in html


def test_the_profile_page_sets_language_and_refuses_an_unknown_zone(client):
    _, agent = team_agent("alice")
    client.force_login(agent)
    page = client.get(reverse("inbox:profile")).content.decode()
    assert '<option value="Asia/Tokyo">' in page
    response = client.post(
        reverse("inbox:profile"), {"language": "fr", "time_zone": "Mars/Olympus"}
    )
    assert response.status_code == 400
    assert "Unknown time zone: Mars/Olympus." in response.content.decode()
    assert AgentProfile.objects.get(user=agent).time_zone == ""
    client.post(reverse("inbox:profile"), {"language": "fr", "time_zone": "Asia/Tokyo"})
    page = client.get(reverse("inbox:profile")).content.decode()
    assert "Fuseau horaire" in page and "(Asia/Tokyo)" in page
    assert '<option value="Asia/Tokyo" selected>' in page
