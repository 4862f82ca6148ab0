"""The bot's section of the workspace settings: managers turn it on or off per inbox, choose the
questions it answers and the business calendar whose hours it tells; agents cannot; the bot
obeys."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from chatbot.models import BotSettings, HandoverReason
from helpdesk.accounts.models import Role
from helpdesk.sla.models import BusinessCalendar, OpeningPeriod
from helpdesk.tickets.models import Handler, Ticket
from helpdesk.workspace_settings.models import SettingsChange
from tests.chatbot.helpers import say
from tests.factories import AgentFactory, InboxFactory


@pytest.fixture
def widget(db):
    return InboxFactory(kind="webchat", name="Site chat", config={"allowed_origins": []})


@pytest.fixture
def calendar(db):
    """Open Wednesdays from 10:15 to 17:00, Paris time."""
    shop = BusinessCalendar.objects.create(name="Shop hours", time_zone="Europe/Paris")
    OpeningPeriod.objects.create(
        calendar=shop, weekday=2, opens=dt.time(10, 15), closes=dt.time(17, 0)
    )
    return shop


@pytest.fixture
def manager_client(client, db):
    client.force_login(AgentFactory(username="maria", profile__role=Role.MANAGER))
    return client


def _form(**overrides):
    data = {
        "enabled": "on",
        "allowed": ["order_status", "delivery_time"],
        "calendar": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_settings_navigation_shows_the_bot_section(manager_client, widget):
    page = manager_client.get("/settings/inboxes/").content.decode()
    assert 'href="/settings/bot/"' in page
    listing = manager_client.get("/settings/bot/").content.decode()
    assert f'href="/settings/bot/{widget.pk}/"' in listing and "Site chat" in listing


def test_manager_saves_the_bot_settings_of_an_inbox_and_the_bot_obeys(
    manager_client, widget, calendar, django_capture_on_commit_callbacks
):
    response = manager_client.post(f"/settings/bot/{widget.pk}/", _form(calendar=calendar.pk))
    assert response.status_code == 302
    saved = BotSettings.objects.get(inbox=widget)
    assert saved.enabled is True
    assert saved.allowed_intents == ["delivery_time", "order_status"]
    widget.refresh_from_db()
    assert widget.business_calendar == calendar
    assert SettingsChange.objects.filter(section="bot").exists()
    # The form and the list show what was saved.
    page = manager_client.get(f"/settings/bot/{widget.pk}/").content.decode()
    assert f'<option value="{calendar.pk}" selected>' in page
    assert "Shop hours" in manager_client.get("/settings/bot/").content.decode()

    # A question the inbox leaves to agents is handed over at once...
    c = django_capture_on_commit_callbacks
    say(widget, "settings-1", "how do I return an item for a refund?", capture=c)
    ticket = Ticket.objects.filter(contact__identities__address="settings-1").get()
    assert ticket.handler == Handler.AGENTS
    assert ticket.bot_conversation.handover_reason == HandoverReason.INTENT_NOT_ALLOWED


def test_business_hours_from_the_settings_page_are_told_to_the_customer(
    manager_client, widget, calendar, django_capture_on_commit_callbacks, monkeypatch
):
    chosen = _form(calendar=calendar.pk)
    assert manager_client.post(f"/settings/bot/{widget.pk}/", chosen).status_code == 302
    # Tuesday 20:00 in Paris: the next person is there on Wednesday from 10:15.
    tuesday_evening = dt.datetime(2026, 12, 1, 20, 0, tzinfo=ZoneInfo("Europe/Paris"))
    monkeypatch.setattr(timezone, "now", lambda: tuesday_evening)
    reply = say(
        widget,
        "settings-2",
        "I want to talk to a human",
        capture=django_capture_on_commit_callbacks,
    )
    assert "tomorrow from 10:15 AM" in reply.text


def test_turning_the_bot_off_leaves_new_conversations_to_agents(
    manager_client, widget, django_capture_on_commit_callbacks
):
    response = manager_client.post(f"/settings/bot/{widget.pk}/", _form(enabled=None))
    assert response.status_code == 302
    widget.refresh_from_db()
    assert widget.config["bot_enabled"] is False  # the inbox page shows the same switch
    reply = say(
        widget, "settings-3", "where is my order?", capture=django_capture_on_commit_callbacks
    )
    assert reply is None
    ticket = Ticket.objects.filter(contact__identities__address="settings-3").get()
    assert ticket.handler == Handler.AGENTS
    # ...and the inbox page's checkbox turns it back on.
    inbox_page = manager_client.get(f"/settings/inboxes/{widget.pk}/").content.decode()
    assert 'name="bot_enabled"' in inbox_page


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"calendar": "999999"}, "calendar"),
        ({"calendar": "nine"}, "calendar"),
        ({"allowed": []}, "allowed"),
    ],
)
def test_bad_input_is_refused_with_a_reason(manager_client, widget, overrides, field):
    response = manager_client.post(f"/settings/bot/{widget.pk}/", _form(**overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not BotSettings.objects.filter(inbox=widget).exists()


def test_agents_cannot_open_the_bot_settings(agent_client, widget):
    assert agent_client.get("/settings/bot/").status_code == 403
    response = agent_client.post(f"/settings/bot/{widget.pk}/", _form())
    assert response.status_code == 403
    assert not BotSettings.objects.exists()


def test_unknown_inbox_is_a_404(manager_client):
    assert manager_client.get("/settings/bot/999999/").status_code == 404
