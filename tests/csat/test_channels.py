"""Surveys on SMS, WhatsApp and Telegram through the real adapters and the official SDKs,
against the providers' stand-in servers; answers are read before any other handling."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from helpdesk.csat.models import Survey, SurveyState
from helpdesk.tickets.models import Direction, Message, Ticket
from helpdesk.tickets.services import message_reply, ticket_set_status
from tests.channels_in.telegram.test_telegram import post, update
from tests.channels_in.twilio.conftest import post_signed, sms_fields
from tests.factories import InboxFactory

pytest.importorskip(
    "helpdesk.conversation", reason="needs the inbound interceptors of helpdesk.conversation"
)
pytestmark = pytest.mark.django_db

CUSTOMER = "+33612345678"


def hook(inbox) -> str:
    return f"/hooks/twilio/{inbox.webhook_key}/"


def solve(ticket: Ticket, agent) -> Ticket:
    with TestCase.captureOnCommitCallbacks(execute=True):
        message_reply(ticket=ticket, author=agent, text="Your parcel arrives tomorrow.")
        ticket_set_status(ticket=ticket, status="solved", actor=agent)
    ticket.refresh_from_db()
    return ticket


def send_due(at) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("csat_send_due", now=at.isoformat())


def test_sms_reply_1_to_5_is_read_before_threading_and_counted_once(
    client, sms_inbox, fake_twilio, agent
):
    post_signed(client, hook(sms_inbox), sms_fields(Body="Where is my order?"))
    ticket = solve(Ticket.objects.get(), agent)
    send_due(ticket.solved_at + timedelta(minutes=31))
    survey = Survey.objects.get()
    assert survey.state == SurveyState.SENT and survey.channel == "sms"
    assert "1 (poor) to 5 (excellent)" in fake_twilio.sent[-1]["Body"]
    assert fake_twilio.sent[-1]["To"] == CUSTOMER

    post_signed(client, hook(sms_inbox), sms_fields(Body=" 4 "))
    post_signed(client, hook(sms_inbox), sms_fields(Body="4"))  # sent twice: counted once
    survey.refresh_from_db()
    ticket.refresh_from_db()
    assert survey.rating == 4 and survey.rating_changed_at is None
    assert ticket.status == "solved" and ticket.reopened_count == 0
    assert Ticket.objects.count() == 1
    inbound = Message.objects.filter(ticket=ticket, direction=Direction.INBOUND)
    assert inbound.count() == 3  # the question and both answers, on the ticket

    # Anything else reaches the ticket the ordinary way and reopens it.
    post_signed(client, hook(sms_inbox), sms_fields(Body="Actually it has not arrived"))
    ticket.refresh_from_db()
    assert ticket.status == "open"
    survey.refresh_from_db()
    assert survey.rating == 4


def test_sms_opt_out_is_honoured(client, sms_inbox, fake_twilio, agent):
    post_signed(client, hook(sms_inbox), sms_fields(Body="Where is my order?"))
    ticket = solve(Ticket.objects.get(), agent)
    post_signed(client, hook(sms_inbox), sms_fields(Body="STOP"))
    ticket.refresh_from_db()
    sent_before = len(fake_twilio.sent)
    with TestCase.captureOnCommitCallbacks(execute=True):
        ticket_set_status(ticket=ticket, status="solved", actor=agent)
    ticket.refresh_from_db()
    send_due(ticket.solved_at + timedelta(minutes=31))
    survey = Survey.objects.get()
    assert survey.state == SurveyState.SKIPPED and "opted out" in survey.skipped_reason
    assert len(fake_twilio.sent) == sent_before


def test_whatsapp_outside_24_hours_uses_the_approved_template_or_is_skipped(
    client, whatsapp_inbox, fake_twilio, agent
):
    wa = {"From": f"whatsapp:{CUSTOMER}", "To": "whatsapp:+33700000002"}
    post_signed(client, hook(whatsapp_inbox), sms_fields(Body="Bonjour", **wa))
    ticket = solve(Ticket.objects.get(), agent)
    Message.objects.filter(ticket=ticket, direction=Direction.INBOUND).update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    send_due(ticket.solved_at + timedelta(minutes=31))
    survey = Survey.objects.get()
    assert survey.state == SurveyState.SKIPPED
    assert "24 hours" in survey.skipped_reason and "csat" in survey.skipped_reason

    template = {"name": "csat", "content_sid": "HX" + "c" * 32, "label": "Survey"}
    whatsapp_inbox.config["templates"].append(template)
    whatsapp_inbox.save()
    Survey.objects.all().delete()
    send_due(ticket.solved_at + timedelta(minutes=32))
    survey = Survey.objects.get()
    assert survey.state == SurveyState.SENT
    assert fake_twilio.sent[-1]["ContentSid"] == template["content_sid"]

    post_signed(client, hook(whatsapp_inbox), sms_fields(Body="5", **wa))
    survey.refresh_from_db()
    assert survey.rating == 5


def test_telegram_inline_buttons(client, fake_telegram, agent):
    inbox = InboxFactory(kind="telegram", name="Shop Telegram", config={})
    assert post(client, inbox, update("text_message")).status_code == 200
    ticket = solve(Ticket.objects.get(), agent)
    send_due(ticket.solved_at + timedelta(minutes=31))
    survey = Survey.objects.get()
    sent = fake_telegram.sent[-1]
    keyboard = json.loads(sent["reply_markup"])["inline_keyboard"]
    assert [b["text"] for b in keyboard[0]] == ["1", "2", "3", "4", "5"]
    pressed = keyboard[0][2]["callback_data"]

    def press(update_id: int, data: str, chat: int = 1111111):
        return post(
            client,
            inbox,
            {
                "update_id": update_id,
                "callback_query": {
                    "id": f"cb{update_id}",
                    "from": {"id": chat, "is_bot": False, "first_name": "Test"},
                    "chat_instance": "1",
                    "data": data,
                    "message": {
                        "message_id": 1,
                        "date": 1441645532,
                        "chat": {"id": chat, "type": "private"},
                        "text": sent["text"],
                    },
                },
            },
        )

    assert press(20001, pressed).status_code == 200
    assert press(20001, pressed).status_code == 200  # Telegram's redelivery
    assert press(20002, pressed).status_code == 200  # pressed twice
    survey.refresh_from_db()
    ticket.refresh_from_db()
    assert survey.rating == 3 and survey.rating_changed_at is None
    assert ticket.status == "solved"
    # Another chat cannot answer this customer's survey.
    other = pressed.replace(":3", ":1")
    assert press(20003, other, chat=2222222).status_code == 200
    survey.refresh_from_db()
    assert survey.rating == 3
