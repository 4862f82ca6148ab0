from __future__ import annotations

import csv
import io

import pytest

from helpdesk.accounts.models import Role
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db

RANGE = {"start": "2026-03-27", "end": "2026-03-31"}


@pytest.fixture
def manager_client(client, shop):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="boss"))
    return client


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_agent_gets_403_and_anonymous_logs_in(client, shop):
    assert client.get("/reports/").status_code == 302
    client.force_login(shop["xavier"])
    assert client.get("/reports/").status_code == 403
    assert client.get("/reports/", {"format": "csv", "table": "tickets"}).status_code == 403


def test_admin_sees_the_page(client, db):
    client.force_login(AgentFactory(username="root", profile__role=Role.ADMIN))
    assert client.get("/reports/").status_code == 200


def test_page_shows_every_panel_with_its_table(manager_client):
    response = manager_client.get("/reports/", {**RANGE, "channel": "email"})
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("volume_day", "volume_channel", "times", "quality", "agents", "commerce"):
        assert f'id="table-{name}"' in html
    assert 'id="chart-volume_day"' in html
    assert "chart-4.6.1.umd.min.js" in html
    assert "Great" in html  # the latest comments


def test_table_csv(manager_client):
    response = manager_client.get("/reports/", {**RANGE, "format": "csv", "table": "times"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert rows[0][0] == "Measure"
    assert rows[1] == ["First response", "2", "32.75", "58.55", "1.25", "1.85"]
    assert rows[2] == ["Resolution", "2", "46.0", "62.8", "6.5", "8.5"]


def test_tickets_csv_streams_every_ticket_of_the_filter(manager_client):
    response = manager_client.get(
        "/reports/", {**RANGE, "channel": "email", "format": "csv", "table": "tickets"}
    )
    assert response.streaming
    rows = _csv(response)
    assert len(rows) == 3  # header, A and C
    assert rows[1][2] == "Email" and rows[1][8] == "65.00" and rows[1][11] == "5"
    assert rows[2][8] == ""  # C: no agent reply


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-04-01", "end": "2026-03-01"},
        {"start": "not a date", "end": "2026-03-01"},
        {"start": "2024-01-01", "end": "2026-03-01"},
        {"channel": "fax"},
    ],
)
def test_bad_filters_are_refused_with_a_reason(manager_client, params):
    assert manager_client.get("/reports/", params).status_code == 400
    response = manager_client.get("/reports/", {**params, "format": "csv", "table": "times"})
    assert response.status_code == 400
    assert response.content


def test_unknown_table_is_refused(manager_client):
    response = manager_client.get("/reports/", {"format": "csv", "table": "passwords"})
    assert response.status_code == 400
    assert b"Unknown table" in response.content


def test_digest_opt_in_and_out(manager_client):
    from helpdesk.reports.models import DigestSubscription

    manager_client.post("/reports/digest/", {"subscribe": "1"})
    assert DigestSubscription.objects.count() == 1
    manager_client.post("/reports/digest/", {"subscribe": "0"})
    assert DigestSubscription.objects.count() == 0
