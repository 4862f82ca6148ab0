from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from channels_in.telegram.services import telegram_deep_link, telegram_link_token
from helpdesk.contacts.models import ContactIdentity
from helpdesk.tickets.models import DeliveryState, Message, Ticket
from helpdesk.tickets.services import message_reply
from tests.factories import ContactFactory, InboxFactory, OrderFactory
from tests.fakes.telegram import FakeTelegram

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
SECRET = "telegram-webhook-secret-0123456789"


def update(name: str, **changes) -> dict:
    data = json.loads((FIXTURES / f"{name}.json").read_text())
    data.update(changes)
    return data


@pytest.fixture
def fake_telegram(settings):
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET
    settings.PUBLIC_URL = "https://help.shop.test"
    with FakeTelegram(TOKEN) as fake:
        settings.TELEGRAM_API_BASE_URL = fake.url
        yield fake


@pytest.fixture
def inbox(db):
    return InboxFactory(
        kind="telegram", name="Shop Telegram", config={"bot_username": "shop_help_bot"}
    )


def post(client, inbox, data, secret=SECRET, raw: bytes | None = None):
    headers = {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": secret} if secret is not None else {}
    body = raw if raw is not None else json.dumps(data)
    return client.post(
        f"/hooks/telegram/{inbox.webhook_key}/", body, content_type="application/json", **headers
    )


def test_a_text_update_lands_in_a_ticket(client, inbox, fake_telegram):
    assert post(client, inbox, update("text_message")).status_code == 200
    message = Message.objects.get()
    assert message.text == "Bonjour, où en est ma commande ?"
    assert message.external_id == "update:10000"
    assert message.identity.kind == "telegram"
    assert message.identity.address == "1111111"
    assert message.identity.display_name == "Test Test Lastname"
    assert message.ticket.contact.language == "fr"


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET[:-1]])
def test_wrong_or_missing_secret_is_refused(client, inbox, fake_telegram, secret):
    response = post(client, inbox, update("text_message"), secret=secret)
    assert response.status_code == 403
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [b"not json", b"[]", b'{"update_id": "x"}', b'{"update_id": 5, "message": {"chat": 3}}'],
)
def test_malformed_updates_are_refused_with_a_reason(client, inbox, fake_telegram, raw):
    response = post(client, inbox, None, raw=raw)
    assert response.status_code == 400
    assert response.content
    assert not Message.objects.exists()


def test_a_repeated_update_id_stores_one_message(client, inbox, fake_telegram):
    assert post(client, inbox, update("text_message")).status_code == 200
    assert post(client, inbox, update("text_message")).status_code == 200
    assert Message.objects.count() == 1


def test_edited_message_is_recorded_in_the_same_ticket(client, inbox, fake_telegram):
    post(client, inbox, update("text_message"))
    post(client, inbox, update("edited_message"))
    first, edited = Message.objects.order_by("id")
    assert edited.ticket_id == first.ticket_id
    assert edited.text == "Edited text"
    assert edited.metadata["edited"] is True
    assert edited.metadata["telegram_message_id"] == 1365


def test_document_and_photo_are_downloaded_through_the_bot_api(client, inbox, fake_telegram):
    fake_telegram.files["AwADBAADbXXXXXXXXXXXGBdhD2l6_XX"] = b"%PDF-1.4 test file"
    fake_telegram.files["AgACAgQAAxkBAAIBlarge"] = b"\xff\xd8\xff large jpeg"
    assert post(client, inbox, update("document")).status_code == 200
    assert post(client, inbox, update("photo")).status_code == 200

    doc, photo = Message.objects.order_by("id")
    attachment = doc.attachments.get()
    assert (attachment.filename, attachment.content_type) == ("Testfile.pdf", "application/pdf")
    assert attachment.file.read() == b"%PDF-1.4 test file"
    assert photo.text == "The box arrived like this"
    assert photo.attachments.get().file.read() == b"\xff\xd8\xff large jpeg"
    fetched = [
        r["params"].get("file_id") for r in fake_telegram.requests if r["method"] == "getFile"
    ]
    assert fetched == ["AwADBAADbXXXXXXXXXXXGBdhD2l6_XX", "AgACAgQAAxkBAAIBlarge"]


def test_reply_goes_out_through_the_bot(
    client, inbox, fake_telegram, agent, django_capture_on_commit_callbacks
):
    post(client, inbox, update("text_message"))
    with django_capture_on_commit_callbacks(execute=True):
        reply = message_reply(ticket=Ticket.objects.get(), author=agent, text="Elle arrive demain.")
    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.SENT
    assert fake_telegram.sent[0]["chat_id"] == 1111111
    assert fake_telegram.sent[0]["text"] == "Elle arrive demain."
    assert reply.external_id == "message:1111111:501"


def test_blocked_bot_is_a_permanent_failure_and_outage_is_retried(
    client, inbox, fake_telegram, agent, django_capture_on_commit_callbacks
):
    post(client, inbox, update("text_message"))
    ticket = Ticket.objects.get()
    fake_telegram.fail_next.append((403, "Forbidden: bot was blocked by the user"))
    with django_capture_on_commit_callbacks(execute=True):
        blocked = message_reply(ticket=ticket, author=agent, text="one")
    blocked.refresh_from_db()
    assert blocked.delivery_state == DeliveryState.FAILED
    assert "blocked by the user" in blocked.delivery_error

    fake_telegram.fail_next.append((502, "Bad Gateway"))
    with django_capture_on_commit_callbacks(execute=True):
        later = message_reply(ticket=ticket, author=agent, text="two")
    later.refresh_from_db()
    assert later.delivery_state == DeliveryState.QUEUED
    assert later.next_attempt_at is not None


def start_update(token: str, update_id: int = 20000) -> dict:
    data = update("text_message", update_id=update_id)
    data["message"]["text"] = f"/start {token}"
    return data


def test_start_token_links_the_chat_to_the_customer_as_a_verified_identity(
    client, inbox, fake_telegram, django_capture_on_commit_callbacks
):
    customer = ContactFactory(name="Jane Doe")
    token = telegram_link_token(contact=customer)
    assert len(token) <= 64 and all(c.isalnum() or c in "_-" for c in token)
    assert (
        telegram_deep_link(inbox=inbox, token=token) == f"https://t.me/shop_help_bot?start={token}"
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, inbox, start_update(token)).status_code == 200

    identity = ContactIdentity.objects.get(kind="telegram", address="1111111")
    assert identity.contact == customer
    assert identity.verified
    assert Ticket.objects.get().contact == customer
    assert (
        "linked" in fake_telegram.sent[-1]["text"].lower()
        or "lié" in fake_telegram.sent[-1]["text"]
    )


def test_start_token_for_an_order_links_the_order(client, inbox, fake_telegram):
    order = OrderFactory()
    post(client, inbox, start_update(telegram_link_token(order=order)))
    ticket = Ticket.objects.get()
    assert ticket.order == order
    assert ticket.contact == order.contact
    assert ContactIdentity.objects.get(kind="telegram").verified


@pytest.mark.parametrize("kind", ["forged", "expired", "tampered"])
def test_bad_or_expired_tokens_link_nothing(client, inbox, fake_telegram, settings, kind):
    customer = ContactFactory()
    token = telegram_link_token(contact=customer)
    if kind == "forged":
        token = f"c{customer.pk}-1abcde-" + "A" * 43
    elif kind == "tampered":
        token = token.replace(f"c{customer.pk}-", f"c{customer.pk + 1}-", 1)
    else:
        settings.TELEGRAM_LINK_MAX_AGE = -1
    assert post(client, inbox, start_update(token)).status_code == 200
    identity = ContactIdentity.objects.get(kind="telegram")
    assert identity.contact != customer
    assert not identity.verified
    reply = Message.objects.get(direction="out")
    # The update's sender uses Telegram in French (language_code "fr"): so does the answer.
    assert ("a expiré" if kind == "expired" else "n'est pas valide") in reply.text


def test_set_webhook_command_registers_url_and_secret(inbox, fake_telegram):
    out = StringIO()
    call_command("telegram_set_webhook", stdout=out, stderr=StringIO())
    assert (
        fake_telegram.webhook["url"]
        == f"https://help.shop.test/hooks/telegram/{inbox.webhook_key}/"
    )
    assert fake_telegram.webhook["secret_token"] == SECRET
    assert "Webhook set" in out.getvalue()


def test_set_webhook_command_fails_clearly(inbox, fake_telegram, settings):
    with pytest.raises(CommandError, match="No such Telegram inbox"):
        call_command("telegram_set_webhook", "--inbox", "nope")
    settings.TELEGRAM_BOT_TOKEN = ""
    with pytest.raises(CommandError, match="TELEGRAM_BOT_TOKEN"):
        call_command("telegram_set_webhook")


def test_link_command_prints_a_deep_link_that_links_the_order(client, inbox, fake_telegram):
    order = OrderFactory()
    out = StringIO()
    call_command("telegram_link", "--order", order.number, stdout=out)
    link = out.getvalue().strip()
    assert link.startswith("https://t.me/shop_help_bot?start=")
    post(client, inbox, start_update(link.split("start=", 1)[1]))
    ticket = Ticket.objects.get()
    assert (ticket.order, ticket.contact) == (order, order.contact)


def test_link_command_refuses_clearly(inbox, fake_telegram):
    customer = ContactFactory()
    out = StringIO()
    call_command("telegram_link", "--contact", str(customer.pk), stdout=out)
    assert "start=" in out.getvalue()
    with pytest.raises(CommandError, match="No order numbered"):
        call_command("telegram_link", "--order", "NOPE-1")
    with pytest.raises(CommandError, match="No customer with id"):
        call_command("telegram_link", "--contact", "999999")
    with pytest.raises(CommandError, match="No such Telegram inbox"):
        call_command("telegram_link", "--contact", str(customer.pk), "--inbox", "nope")
    inbox.config = {}
    inbox.save(update_fields=["config"])
    with pytest.raises(CommandError, match="bot_username"):
        call_command("telegram_link", "--contact", str(customer.pk))
