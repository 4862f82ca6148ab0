from __future__ import annotations

import pytest
from django.urls import reverse

from orders_link.delays import delay_notices_send, shipments_delay_scan
from orders_link.models import DelayNotice
from tests.factories import (
    AgentFactory,
    InboxFactory,
    TeamFactory,
    UserFactory,
)
from tests.orders_link.factories import NOW, customer, shipment

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(db):
    InboxFactory(kind="email", name="Support email")
    parcel = shipment(
        customer(email="late@example.test"), status="exception", tracking_number="6A900"
    )
    result = shipments_delay_scan(now=NOW)
    delay_notices_send(notice_ids=result.notice_ids)
    return DelayNotice.objects.get(shipment=parcel)


def test_agents_see_delayed_orders_with_their_ticket(agent_client, notice):
    response = agent_client.get(reverse("orders:delayed"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "6A900" in body
    assert reverse("inbox:ticket_detail", args=[notice.ticket.pk]) in body
    assert "Reported late by the carrier" in body
    filtered = agent_client.get(reverse("orders:delayed"), {"kind": "overdue"})
    assert "6A900" not in filtered.content.decode()


def test_customers_and_strangers_do_not_see_the_page(client, notice):
    assert client.get(reverse("orders:delayed")).status_code == 302
    client.force_login(UserFactory(username="someone"))
    assert client.get(reverse("orders:delayed")).status_code == 403


def test_an_agent_of_another_team_does_not_see_a_teams_ticket(client, notice):
    team = TeamFactory()
    notice.ticket.team = team
    notice.ticket.save()
    client.force_login(AgentFactory(username="outsider"))
    assert "6A900" not in client.get(reverse("orders:delayed")).content.decode()
