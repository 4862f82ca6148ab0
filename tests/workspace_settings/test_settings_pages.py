from __future__ import annotations

import json
import re
from datetime import date, time

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from helpdesk.accounts.models import AgentProfile
from helpdesk.inbox.models import CannedResponse
from helpdesk.inbox.selectors import canned_in_language_order
from helpdesk.sla.models import BusinessCalendar, SlaPolicy
from helpdesk.workspace_settings.models import SettingsChange
from tests.factories import AgentFactory, InboxFactory, TeamFactory

pytestmark = pytest.mark.django_db


WEEK = {
    "name": "Lyon office",
    "time_zone": "Europe/Paris",
    "mon": "09:00-12:00, 14:00-18:00",
    "tue": "09:00-18:00",
    "wed": "09:00-18:00",
    "thu": "09:00-18:00",
    "fri": "09:00-17:00",
    "sat": "",
    "sun": "",
    "holidays": "2026-12-25 Noël\n2027-01-01",
}


@pytest.mark.parametrize(
    "path",
    [
        "/settings/",
        "/settings/sla/",
        "/settings/canned/",
        "/settings/agents/",
        "/settings/inboxes/",
        "/settings/agents/invite/",
        "/settings/sla/calendars/new/",
    ],
)
def test_agents_get_403(client, db, path):
    client.force_login(AgentFactory(username="agent"))
    assert client.get(path).status_code == 403


def test_calendar_with_weekly_hours_and_holidays_is_recorded_in_history(manager_client, manager):
    response = manager_client.post("/settings/sla/calendars/new/", WEEK)
    assert response.status_code == 302
    calendar = BusinessCalendar.objects.get()
    periods = [(p.weekday, p.opens, p.closes) for p in calendar.periods.all()]
    assert periods[:2] == [(0, time(9), time(12)), (0, time(14), time(18))]
    assert len(periods) == 6
    assert [(h.date, h.name) for h in calendar.holidays.all()] == [
        (date(2026, 12, 25), "Noël"),
        (date(2027, 1, 1), ""),
    ]
    change = SettingsChange.objects.get()
    assert (change.actor, change.section, change.action) == (manager, "calendars", "created")
    # Edit: what changed, from what to what.
    manager_client.post(f"/settings/sla/calendars/{calendar.pk}/", {**WEEK, "fri": "09:00-16:00"})
    change = SettingsChange.objects.first()
    assert change.action == "changed"
    assert list(change.changes.values()) == [["09:00-17:00", "09:00-16:00"]]
    assert "09:00-16:00" in manager_client.get("/settings/").content.decode()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("mon", "25:00-26:00"),
        ("mon", "18:00-09:00"),
        ("mon", "09:00-12:00, 11:00-13:00"),
        ("mon", "nine to five"),
        ("holidays", "25/12/2026"),
        ("time_zone", "Mars/Olympus"),
    ],
)
def test_bad_calendar_input_is_refused_and_nothing_saved(manager_client, field, value):
    response = manager_client.post("/settings/sla/calendars/new/", {**WEEK, field: value})
    assert response.status_code == 400
    assert not BusinessCalendar.objects.exists()
    assert not SettingsChange.objects.exists()


def test_sla_policy_validation(manager_client):
    data = {
        "name": "Std",
        "position": 1,
        "active": "on",
        "first_response_minutes": 120,
        "resolution_minutes": 60,
        "channel": "",
        "priority": "",
    }
    assert manager_client.post("/settings/sla/policies/new/", data).status_code == 400
    data["resolution_minutes"] = 600
    assert manager_client.post("/settings/sla/policies/new/", data).status_code == 302
    assert SlaPolicy.objects.get().resolution_minutes == 600


def test_canned_responses_in_the_tickets_language_first(manager_client):
    for name, language in [("B any", ""), ("A english", "en"), ("C french", "fr")]:
        response = manager_client.post(
            "/settings/canned/new/", {"name": name, "language": language, "text": "Bonjour"}
        )
        assert response.status_code == 302
    ordered = canned_in_language_order(CannedResponse.objects.all(), language="fr")
    assert [c.name for c in ordered] == ["C french", "B any", "A english"]
    response = manager_client.post(
        f"/settings/canned/{CannedResponse.objects.get(name='A english').pk}/delete/"
    )
    assert response.status_code == 302
    assert SettingsChange.objects.filter(action="deleted", target="A english").exists()


def test_invite_sends_a_set_password_link_that_works_once(
    manager_client, client, django_capture_on_commit_callbacks
):
    team = TeamFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            "/settings/agents/invite/",
            {
                "email": "Nina@Shop.test",
                "username": "nina",
                "role": "agent",
                "teams": [team.pk],
                "language": "fr",
                "max_open_tickets": 12,
            },
        )
    assert response.status_code == 302
    nina = get_user_model().objects.get(username="nina")
    assert not nina.has_usable_password()
    assert nina.agent_profile.max_open_tickets == 12
    assert list(nina.agent_profile.teams.all()) == [team]
    (invitation,) = mail.outbox
    assert invitation.to == ["nina@shop.test"]
    path = re.search(r"https?://[^/]+(/settings/welcome/\S+)", invitation.body).group(1)
    client.logout()
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    password = "a long and good password 42"
    response = client.post(set_url, {"new_password1": password, "new_password2": password})
    assert response.status_code == 302
    nina.refresh_from_db()
    assert nina.check_password(password)
    again = client.get(path, follow=True)
    assert b"no longer valid" in again.content


def test_a_manager_cannot_make_an_administrator(manager_client):
    response = manager_client.post(
        "/settings/agents/invite/",
        {
            "email": "x@shop.test",
            "username": "x",
            "role": "admin",
            "language": "en",
            "max_open_tickets": 5,
        },
    )
    assert response.status_code == 400
    assert not get_user_model().objects.filter(username="x").exists()


def test_edit_and_deactivate_an_agent(manager_client, manager):
    sam = AgentFactory(username="sam")
    data = {"role": "agent", "language": "en", "max_open_tickets": 8, "available": "on"}
    assert manager_client.post(f"/settings/agents/{sam.pk}/", data).status_code == 302
    sam.refresh_from_db()
    assert not sam.is_active  # "active" left unticked
    assert AgentProfile.objects.get(user=sam).max_open_tickets == 8
    change = SettingsChange.objects.get()
    assert change.changes["maximum open tickets"] == ["25", "8"]
    # Nobody deactivates themselves.
    response = manager_client.post(f"/settings/agents/{manager.pk}/", {**data, "role": "manager"})
    assert response.status_code == 400


def test_widget_inbox_origins_colours_and_snippet(manager_client):
    inbox = InboxFactory(kind="webchat", name="Chat", config={"allowed_origins": []})
    page = manager_client.get(f"/settings/inboxes/{inbox.pk}/").content.decode()
    assert f"/widget/{inbox.webhook_key}/embed.js" in page
    assert 'id="widget-preview"' in page
    data = {
        "name": "Chat",
        "enabled": "on",
        "reopen_hours": 48,
        "title": "Aide",
        "greeting": "Bonjour !",
        "color": "#aa3300",
        "allowed_origins": "not an origin",
    }
    assert manager_client.post(f"/settings/inboxes/{inbox.pk}/", data).status_code == 400
    inbox.refresh_from_db()
    assert inbox.config == {"allowed_origins": []}
    data["allowed_origins"] = "https://shop.example\nhttps://www.shop.example"
    assert manager_client.post(f"/settings/inboxes/{inbox.pk}/", data).status_code == 302
    inbox.refresh_from_db()
    assert inbox.config["allowed_origins"] == ["https://shop.example", "https://www.shop.example"]
    assert (inbox.config["color"], inbox.config["greeting"]) == ("#aa3300", "Bonjour !")
    assert inbox.reopen_window.total_seconds() == 48 * 3600


def test_email_and_twilio_inboxes(manager_client):
    email = InboxFactory(kind="email", name="Mail")
    data = {"name": "Mail", "enabled": "on", "reopen_hours": 168, "address": "not-an-address"}
    assert manager_client.post(f"/settings/inboxes/{email.pk}/", data).status_code == 400
    data["address"] = "help@shop.test"
    assert manager_client.post(f"/settings/inboxes/{email.pk}/", data).status_code == 302
    email.refresh_from_db()
    assert email.config["address"] == "help@shop.test"
    sms = InboxFactory(kind="sms", name="SMS", config={"from": "+33700000001"})
    data = {"name": "SMS", "enabled": "on", "reopen_hours": 168, "sender": "0612"}
    assert manager_client.post(f"/settings/inboxes/{sms.pk}/", data).status_code == 400
    data["sender"] = "+33700000009"
    assert manager_client.post(f"/settings/inboxes/{sms.pk}/", data).status_code == 302
    sms.refresh_from_db()
    assert sms.config["from"] == "+33700000009"


def _embed_config(client, inbox) -> dict:
    body = client.get(f"/widget/{inbox.webhook_key}/embed.js").content.decode()
    # The script ends with "})(<config as JSON>);".
    return json.loads(body[body.rindex("})(") + 3 : body.rindex(");")])


def test_the_widget_wears_the_colour_and_greeting_set_in_settings(manager_client, client):
    inbox = InboxFactory(kind="webchat", name="Chat", config={"allowed_origins": []})
    assert _embed_config(client, inbox)["appearance"] == {}
    data = {
        "name": "Chat",
        "enabled": "on",
        "reopen_hours": 48,
        "title": "Aide",
        "greeting": "Bonjour ! Une question sur votre commande ?",
        "color": "#F5D000",
        "allowed_origins": "https://shop.example",
    }
    assert manager_client.post(f"/settings/inboxes/{inbox.pk}/", data).status_code == 302
    config = _embed_config(client, inbox)
    # A light colour gets black text on it; the greeting and title are the managers' own.
    assert config["appearance"] == {
        "color": "#f5d000",
        "onColor": "#000000",
        "greeting": "Bonjour ! Une question sur votre commande ?",
    }
    assert config["strings"]["fr"]["title"] == config["strings"]["en"]["title"] == "Aide"
    data["color"] = "#1a237e"
    manager_client.post(f"/settings/inboxes/{inbox.pk}/", data)
    assert _embed_config(client, inbox)["appearance"]["onColor"] == "#ffffff"
