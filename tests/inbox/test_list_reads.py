"""The ticket list reads like a product: each row names its order and previews the last
message, the views show their counts, and bulk actions pick from lists."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from helpdesk.tickets.models import Ticket
from tests.factories import AgentFactory
from tests.inbox.factories import rich_ticket

pytestmark = pytest.mark.django_db


def test_rows_show_the_linked_order_and_the_last_message(client):
    ticket = rich_ticket(messages=2, status="open")
    last = ticket.messages.filter(kind="message").order_by("-created_at", "-id").first()
    client.force_login(AgentFactory(username="sam"))
    html = client.get(reverse("inbox:ticket_list")).content.decode()
    row = html.split(f'data-ticket="{ticket.pk}"')[1].split("</tr>")[0]
    assert ticket.order.number in row
    assert last.text[:40] in row


def test_the_views_show_their_counts(client):
    agent = AgentFactory(username="sam")
    for _ in range(3):
        rich_ticket(messages=1, status="open")
    Ticket.objects.filter(pk=Ticket.objects.first().pk).update(assignee=agent)
    client.force_login(agent)
    html = client.get(reverse("inbox:ticket_list")).content.decode()

    def count(view: str) -> int:
        found = re.search(
            rf'href="\?view={view}"[^>]*>[^<]*</a> <span class="ui-badge view-count"[^>]*>(\d+)<',
            html,
        )
        assert found, view
        return int(found.group(1))

    assert count("unsolved") == 3
    assert count("mine") == 1
    assert count("unassigned") == 2


def test_bulk_actions_choose_from_lists(client):
    agent = AgentFactory(username="sam", first_name="Sam")
    tickets = [rich_ticket(messages=1, status="open") for _ in range(2)]
    client.force_login(agent)
    html = client.get(reverse("inbox:ticket_list")).content.decode()
    assert 'placeholder="agent id, status or tag"' not in html
    assert re.search(rf'<select name="value_assign"[^>]*>.*<option value="{agent.pk}">', html, re.S)
    assert re.search(r'<select name="value_status"[^>]*>.*<option value="pending">', html, re.S)

    client.post(
        reverse("inbox:tickets_bulk"),
        {
            "ids": [t.pk for t in tickets],
            "action": "status",
            "value_status": "pending",
            "value_assign": str(agent.pk),
        },
    )
    assert set(
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("status", flat=True)
    ) == {"pending"}
    assert not Ticket.objects.filter(assignee=agent).exists()  # only the chosen action's list
    client.post(
        reverse("inbox:tickets_bulk"),
        {"ids": [t.pk for t in tickets], "action": "assign", "value_assign": str(agent.pk)},
    )
    assert Ticket.objects.filter(assignee=agent).count() == 2
