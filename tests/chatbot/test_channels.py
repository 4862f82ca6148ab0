"""The bot on every channel, through the real adapters: the widget's WebSocket, Telegram's
webhook and Bot API (python-telegram-bot against the local stand-in), SMS and WhatsApp through
Twilio's webhook and SDK (against the local stand-in), and email. On each, a sender who has not
proved an order never learns anything about it."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest
from django.utils import timezone

from chatbot.models import BotSettings, BotTurn
from helpdesk.tickets.models import DeliveryState, Message, Ticket
from orders_link.models import OrderLine, OrderStatus, ShipmentStatus
from tests.channels_in.twilio.conftest import post_signed, sms_fields
from tests.factories import ContactFactory, InboxFactory, OrderFactory, ShipmentFactory
from tests.fakes.telegram import FakeTelegram

TRACKING_URL = "https://track.example.test/6A77777777"
TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
SECRET = "telegram-webhook-secret-0123456789"
ORIGIN = "https://shop.test"

# What an unverified sender must never see about someone else's order.
SECRETS = (
    TRACKING_URL,
    "6A77777777",
    "Chronopost",
    "12 rue des Lilas",
    "69003",
    "Lampe de chevet",
    "shipped",
    "expédiée",
    "on its way",
    "en route",
)


@pytest.fixture
def order(db):
    owner = ContactFactory(name="Paul Durand", language="fr")
    order = OrderFactory(
        number="70707",
        contact=owner,
        email="paul.durand@example.fr",
        phone="+33611111111",
        postcode="69003",
        status=OrderStatus.SHIPPED,
    )
    OrderLine.objects.create(order=order, title="Lampe de chevet", quantity=1)
    ShipmentFactory(
        order=order,
        carrier="Chronopost",
        tracking_number="6A77777777",
        tracking_url=TRACKING_URL,
        status=ShipmentStatus.IN_TRANSIT,
        estimated_delivery=timezone.localdate() + dt.timedelta(days=1),
    )
    return order


def assert_no_leak(texts: list[str]) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, (secret, text)


PROBES = (
    "where is order 70707?",
    "où est la commande 70707 svp",
    "order 70707, my email is paul.durand@example.com",
    "commande 70707 code postal 69001",
    "70707",
    "the tracking of 70707 please, I am Paul Durand",
    "what's in order 70707 and where is it going?",
)


# --- Widget (WebSocket) ------------------------------------------------------------------------


async def _widget_exchange(inbox, texts: list[str], *, quick_reply: str | None = None):
    from channels.testing import WebsocketCommunicator

    from helpdesk.routing import websocket_application

    comm = WebsocketCommunicator(
        websocket_application(),
        f"/ws/widget/{inbox.webhook_key}/",
        headers=[(b"origin", ORIGIN.encode())],
    )
    connected, _ = await comm.connect()
    assert connected
    await comm.send_json_to({"type": "hello", "visitor": None, "after": 0})
    assert (await comm.receive_json_from())["type"] == "welcome"
    bot_frames = []
    for index, text in enumerate(texts):
        frame = {"type": "message", "client_id": f"c{index}", "text": text}
        if quick_reply and index == len(texts) - 1:
            frame["quick_reply"] = quick_reply
        await comm.send_json_to(frame)
        while True:
            got = await comm.receive_json_from(timeout=20)
            if got["type"] == "message" and got["message"]["from"] != "visitor":
                bot_frames.append(got["message"])
                break
    await comm.disconnect()
    return bot_frames


@pytest.mark.django_db(transaction=True)
def test_widget_answers_with_quick_reply_buttons_and_proof(order):
    inbox = InboxFactory(kind="webchat", name="Site chat", config={"allowed_origins": [ORIGIN]})
    frames = asyncio.run(
        _widget_exchange(inbox, ["bonjour", "où est ma commande 70707 ?", "69003"])
    )
    assert [c["value"] for c in frames[0]["choices"]] == ["order_status", "contact_human"]
    assert_no_leak([frames[0]["text"], frames[1]["text"]])
    assert TRACKING_URL in frames[2]["text"] and "Chronopost" in frames[2]["text"]


@pytest.mark.django_db(transaction=True)
def test_widget_button_press_is_understood(order):
    inbox = InboxFactory(kind="webchat", name="Site chat", config={"allowed_origins": [ORIGIN]})
    frames = asyncio.run(
        _widget_exchange(inbox, ["hello", "Talk to a person"], quick_reply="contact_human")
    )
    assert "person" in frames[1]["text"]
    assert Ticket.objects.get().handler == "agents"


@pytest.mark.django_db(transaction=True)
def test_widget_never_leaks_to_an_unverified_visitor(order):
    inbox = InboxFactory(kind="webchat", name="Site chat", config={"allowed_origins": [ORIGIN]})
    frames = asyncio.run(_widget_exchange(inbox, list(PROBES[:4])))
    assert_no_leak([frame["text"] for frame in frames])


# --- Telegram ----------------------------------------------------------------------------------


@pytest.fixture
def fake_telegram(settings):
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET
    settings.PUBLIC_URL = "https://help.shop.test"
    with FakeTelegram(TOKEN) as fake:
        settings.TELEGRAM_API_BASE_URL = fake.url
        yield fake


_update_ids = iter(range(50000, 60000))


def telegram_text(chat_id: int, text: str) -> dict:
    return {
        "update_id": next(_update_ids),
        "message": {
            "date": 1700000000,
            "chat": {"id": chat_id, "type": "private", "first_name": "Paul"},
            "message_id": next(_update_ids),
            "from": {"id": chat_id, "is_bot": False, "first_name": "Paul", "language_code": "fr"},
            "text": text,
        },
    }


def telegram_press(chat_id: int, data: str) -> dict:
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": str(next(_update_ids)),
            "from": {"id": chat_id, "is_bot": False, "first_name": "Paul"},
            "chat_instance": "1",
            "data": data,
            "message": {
                "message_id": 1,
                "date": 1700000000,
                "chat": {"id": chat_id, "type": "private"},
                "text": "…",
            },
        },
    }


def telegram_post(client, inbox, data, capture):
    with capture(execute=True):
        response = client.post(
            f"/hooks/telegram/{inbox.webhook_key}/",
            json.dumps(data),
            content_type="application/json",
            HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=SECRET,
        )
    assert response.status_code == 200


@pytest.fixture
def telegram_inbox(db):
    return InboxFactory(kind="telegram", name="Shop Telegram", config={"bot_username": "shop_bot"})


def test_telegram_inline_keyboard_and_button_press(
    client, telegram_inbox, fake_telegram, order, django_capture_on_commit_callbacks
):
    c = django_capture_on_commit_callbacks
    telegram_post(client, telegram_inbox, telegram_text(42, "salut"), c)
    sent = fake_telegram.sent[-1]
    keyboard = json.loads(sent["reply_markup"])["inline_keyboard"]
    assert [row[0]["callback_data"] for row in keyboard] == ["order_status", "contact_human"]
    press = telegram_press(42, "order_status")
    telegram_post(client, telegram_inbox, press, c)
    assert_no_leak([fake_telegram.sent[-1]["text"]])
    # The press is acknowledged through the Bot API, so the client stops its spinner.
    assert [a["callback_query_id"] for a in fake_telegram.callback_answers] == [
        press["callback_query"]["id"]
    ]
    telegram_post(client, telegram_inbox, telegram_text(42, "commande 70707, cp 69003"), c)
    assert TRACKING_URL in fake_telegram.sent[-1]["text"]
    reply = Message.objects.filter(author_type="bot").latest("pk")
    assert reply.delivery_state == DeliveryState.SENT


def test_telegram_press_too_old_to_acknowledge_is_still_answered(
    client, telegram_inbox, fake_telegram, order, django_capture_on_commit_callbacks
):
    c = django_capture_on_commit_callbacks
    telegram_post(client, telegram_inbox, telegram_text(43, "salut"), c)
    fake_telegram.refuse_callbacks = True
    telegram_post(client, telegram_inbox, telegram_press(43, "order_status"), c)
    assert fake_telegram.callback_answers == []
    assert any(r["method"] == "answerCallbackQuery" for r in fake_telegram.requests)
    assert "order number" in fake_telegram.sent[-1]["text"].lower() or "commande" in (
        fake_telegram.sent[-1]["text"].lower()
    )


def test_telegram_never_leaks_to_an_unverified_chat(
    client, telegram_inbox, fake_telegram, order, django_capture_on_commit_callbacks
):
    for index, probe in enumerate(PROBES):
        telegram_post(
            client,
            telegram_inbox,
            telegram_text(1000 + index, probe),
            django_capture_on_commit_callbacks,
        )
    assert len(fake_telegram.sent) == len(PROBES)
    assert_no_leak([sent["text"] for sent in fake_telegram.sent])


# --- SMS and WhatsApp (Twilio) ------------------------------------------------------------------


def twilio_say(client, inbox, text: str, sender: str) -> None:
    prefix = "whatsapp:" if inbox.kind == "whatsapp" else ""
    to = inbox.config["from"]
    fields = sms_fields(Body=text, From=prefix + sender, To=prefix + to)
    response = post_signed(client, f"/hooks/twilio/{inbox.webhook_key}/", fields)
    assert response.status_code == 200


@pytest.fixture
def sms_inbox(db):
    return InboxFactory(kind="sms", name="Shop SMS", config={"from": "+33700000001"})


@pytest.fixture
def whatsapp_inbox(db):
    return InboxFactory(kind="whatsapp", name="Shop WhatsApp", config={"from": "+33700000002"})


@pytest.mark.parametrize("kind", ["sms", "whatsapp"])
def test_numbered_choices_and_sms_length(client, fake_twilio, order, kind, request):
    inbox = request.getfixturevalue(f"{kind}_inbox")
    twilio_say(client, inbox, "Bonjour", "+33622222222")
    body = fake_twilio.sent[-1]["Body"]
    assert "\n1. " in body and "\n2. " in body
    twilio_say(client, inbox, "2", "+33622222222")  # "Talk to a person"
    assert Ticket.objects.get().handler == "agents"
    assert BotTurn.objects.latest("pk").handover_reason == "contact_human"
    for sent in fake_twilio.sent:
        assert len(sent["Body"]) <= 306


def test_sms_proof_and_answer_fit_an_sms(client, fake_twilio, sms_inbox, order):
    twilio_say(client, sms_inbox, "ou est ma commande 70707", "+33633333333")
    twilio_say(client, sms_inbox, "paul.durand@example.fr", "+33633333333")
    body = fake_twilio.sent[-1]["Body"]
    assert TRACKING_URL in body
    assert len(body) <= 306


@pytest.mark.parametrize("kind", ["sms", "whatsapp"])
def test_twilio_never_leaks_to_an_unverified_sender(client, fake_twilio, order, kind, request):
    inbox = request.getfixturevalue(f"{kind}_inbox")
    for index, probe in enumerate(PROBES):
        twilio_say(client, inbox, probe, f"+3364444444{index}")
    assert len(fake_twilio.sent) == len(PROBES)
    assert_no_leak([sent["Body"] for sent in fake_twilio.sent])


# --- Email (off by default, on per inbox) -------------------------------------------------------


def test_email_when_turned_on_answers_through_smtp(
    smtp_inbox, smtp_server, order, django_capture_on_commit_callbacks
):
    from helpdesk.contracts import InboundMessage, Sender
    from helpdesk.tickets.services import message_receive

    BotSettings.objects.create(inbox=smtp_inbox, enabled=True)
    for index, probe in enumerate((*PROBES[:3], "where is order 70707? postcode 69003")):
        inbound = InboundMessage(
            inbox_id=smtp_inbox.pk,
            sender=Sender(kind="email", address=f"prober{index}@example.test"),
            text=probe,
            subject="Order",
            external_id=f"<probe{index}@example.test>",
        )
        with django_capture_on_commit_callbacks(execute=True):
            message_receive(inbound=inbound)
    replies = list(Message.objects.filter(author_type="bot").order_by("pk"))
    assert len(replies) == 4
    assert all(r.delivery_state == DeliveryState.SENT for r in replies)
    assert_no_leak([r.text for r in replies[:3]])
    assert TRACKING_URL in replies[3].text
    assert len(smtp_server.received) == 4
