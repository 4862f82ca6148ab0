"""Managers create, change and deactivate teams and inboxes on /settings/, and give an inbox
several addresses: mail or SMS to any of them lands in that inbox."""

from __future__ import annotations

import smtplib

import pytest

from channels_in.email.smtp import InboundController, InboundHandler
from helpdesk.accounts.models import Team
from helpdesk.tickets.models import Inbox, InboxAddress, Message, Ticket
from helpdesk.workspace_settings.forms import AgentEditForm
from helpdesk.workspace_settings.models import SettingsChange
from tests.channels_in.email.mails import build_mail
from tests.channels_in.twilio.conftest import post_signed, sign, sms_fields
from tests.factories import AgentFactory, InboxFactory
from tests.smtp_server import free_port

pytestmark = pytest.mark.django_db


def test_create_rename_and_deactivate_a_team(manager_client, manager):
    response = manager_client.post(
        "/settings/teams/new/", {"name": "Returns desk", "description": "Refunds", "active": "on"}
    )
    assert response.status_code == 302
    team = Team.objects.get(name="Returns desk")
    assert (team.slug, team.active) == ("returns-desk", True)
    assert SettingsChange.objects.get(section="teams").action == "created"
    assert "Returns desk" in manager_client.get("/settings/agents/").content.decode()

    # The same name again (as a slug) is refused with the reason.
    response = manager_client.post("/settings/teams/new/", {"name": "Returns  DESK"})
    assert response.status_code == 400
    assert "Another team already has this name." in response.content.decode()

    response = manager_client.post(
        f"/settings/teams/{team.pk}/", {"name": "Returns", "description": "Refunds"}
    )
    assert response.status_code == 302
    team.refresh_from_db()
    assert (team.name, team.slug, team.active) == ("Returns", "returns-desk", False)
    change = SettingsChange.objects.filter(section="teams").latest("at")
    assert change.changes["Active"] == ["True", "False"]
    # A deactivated team is offered to no agent.
    sam = AgentFactory(username="sam")
    form = AgentEditForm(actor=manager, profile=sam.agent_profile)
    assert team not in form.fields["teams"].queryset


def test_agents_cannot_reach_team_and_inbox_pages(agent_client):
    assert agent_client.get("/settings/teams/new/").status_code == 403
    assert agent_client.get("/settings/inboxes/new/email/").status_code == 403


def test_create_an_email_inbox_with_several_addresses(manager_client):
    page = manager_client.get("/settings/inboxes/new/").content.decode()
    assert "/settings/inboxes/new/email/" in page and "/settings/inboxes/new/sms/" in page
    assert manager_client.get("/settings/inboxes/new/fax/").status_code == 404
    data = {
        "name": "Returns mail",
        "enabled": "on",
        "reopen_hours": 72,
        "address": "Returns@Shop.test",
        "display_name": "Shop returns",
        "other_addresses": "retours@shop.test\n\nrefunds@shop.test\nnot an address",
    }
    response = manager_client.post("/settings/inboxes/new/email/", data)
    assert response.status_code == 400
    assert "not an address is not an email address." in response.content.decode()
    assert not Inbox.objects.filter(name="Returns mail").exists()

    data["other_addresses"] = "retours@shop.test\n\nRefunds@shop.test"
    assert manager_client.post("/settings/inboxes/new/email/", data).status_code == 302
    inbox = Inbox.objects.get(name="Returns mail")
    assert inbox.kind == "email" and inbox.config["address"] == "Returns@Shop.test"
    assert sorted(inbox.addresses.values_list("address", flat=True)) == [
        "refunds@shop.test",
        "retours@shop.test",
        "returns@shop.test",
    ]
    assert SettingsChange.objects.get(section="inboxes").action == "created"
    edit = manager_client.get(f"/settings/inboxes/{inbox.pk}/").content.decode()
    assert "refunds@shop.test\nretours@shop.test" in edit

    # An address lands in one inbox only.
    other = InboxFactory(kind="email", name="Sales", config={"address": "sales@shop.test"})
    taken = {
        "name": "Sales",
        "enabled": "on",
        "reopen_hours": 72,
        "address": "sales@shop.test",
        "other_addresses": "REFUNDS@shop.test",
    }
    response = manager_client.post(f"/settings/inboxes/{other.pk}/", taken)
    assert response.status_code == 400
    assert "refunds@shop.test already lands in the inbox Returns mail." in (
        response.content.decode()
    )
    # Removing an address frees it.
    data["other_addresses"] = "retours@shop.test"
    assert manager_client.post(f"/settings/inboxes/{inbox.pk}/", data).status_code == 302
    assert manager_client.post(f"/settings/inboxes/{other.pk}/", taken).status_code == 302
    assert InboxAddress.objects.get(address="refunds@shop.test").inbox == other


@pytest.mark.django_db(transaction=True)
def test_mail_to_any_address_of_an_inbox_lands_in_it(manager_client):
    data = {
        "name": "Returns mail",
        "enabled": "on",
        "reopen_hours": 72,
        "address": "returns@shop.test",
        "other_addresses": "retours@shop.test",
    }
    assert manager_client.post("/settings/inboxes/new/email/", data).status_code == 302
    returns = Inbox.objects.get(name="Returns mail")
    port = free_port()
    controller = InboundController(InboundHandler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.sendmail("jane@example.test", ["Retours@shop.test"], build_mail())
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                client.sendmail("jane@example.test", ["nobody@shop.test"], build_mail())
        assert Message.objects.get().ticket.inbox == returns

        # A disabled inbox takes no more mail at any of its addresses.
        data.pop("enabled")
        assert manager_client.post(f"/settings/inboxes/{returns.pk}/", data).status_code == 302
        with (
            smtplib.SMTP("127.0.0.1", port) as client,
            pytest.raises(smtplib.SMTPRecipientsRefused),
        ):
            client.sendmail("jane@example.test", ["retours@shop.test"], build_mail())
    finally:
        controller.stop()


NUMBERS = "/hooks/twilio/numbers/"


def test_sms_and_whatsapp_to_any_number_of_an_inbox_land_in_it(client, manager_client, fake_twilio):
    data = {
        "name": "SMS",
        "enabled": "on",
        "reopen_hours": 24,
        "sender": "+33700000001",
        "other_addresses": "+33700000005\n+4915100000007",
    }
    assert manager_client.post("/settings/inboxes/new/sms/", data).status_code == 302
    sms = Inbox.objects.get(name="SMS")
    # The same Twilio number can also be a WhatsApp inbox.
    data = {"name": "WhatsApp", "enabled": "on", "reopen_hours": 24, "sender": "+33700000005"}
    assert manager_client.post("/settings/inboxes/new/whatsapp/", data).status_code == 302
    whatsapp = Inbox.objects.get(name="WhatsApp")
    bad = {**data, "name": "Bad", "other_addresses": "0612"}
    response = manager_client.post("/settings/inboxes/new/whatsapp/", bad)
    assert response.status_code == 400
    assert "0612 is not a number like +33612345678." in response.content.decode()

    assert post_signed(client, NUMBERS, sms_fields(To="+4915100000007")).status_code == 200
    assert Ticket.objects.get().inbox == sms
    whatsapp_fields = sms_fields(
        To="whatsapp:+33700000005", From="whatsapp:+33612345678", Body="Bonjour"
    )
    assert post_signed(client, NUMBERS, whatsapp_fields).status_code == 200
    assert Message.objects.get(text="Bonjour").ticket.inbox == whatsapp

    # A number no inbox has, and a forged signature, are refused with the reason.
    response = post_signed(client, NUMBERS, sms_fields(To="+33799999999"))
    assert (response.status_code, response.content) == (404, b"No inbox has this number.")
    fields = sms_fields(To="+33700000001")
    forged = sign(NUMBERS, {**fields, "To": "+33799999999"})
    response = post_signed(client, NUMBERS, fields, signature=forged)
    assert response.status_code == 403
    assert Message.objects.count() == 2


def test_an_inbox_never_saved_in_settings_is_reached_at_its_configured_address(client, fake_twilio):
    sms = InboxFactory(kind="sms", name="Demo SMS", config={"from": "+33700000003"})
    assert post_signed(client, NUMBERS, sms_fields(To="+33700000003")).status_code == 200
    assert Ticket.objects.get().inbox == sms
