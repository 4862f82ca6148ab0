from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.test import Client

from channels_in.webchat.selectors import within_business_hours
from channels_in.webchat.visitors import customer_signature, visitor_token
from helpdesk.accounts.services import agent_presence_mark
from helpdesk.contacts.models import ContactIdentity
from helpdesk.routing import websocket_application, websocket_urlpatterns
from helpdesk.sla.models import BusinessCalendar, Holiday, OpeningPeriod
from helpdesk.tickets.models import Attachment, DeliveryState, Message, Ticket
from helpdesk.tickets.services import message_reply
from tests.factories import AgentFactory, InboxFactory, TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = "https://shop.test"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def inbox(db):
    return InboxFactory(kind="webchat", name="Site chat", config={"allowed_origins": [ORIGIN]})


def socket(inbox, origin: str | None = ORIGIN, key: str | None = None) -> WebsocketCommunicator:
    headers = [(b"origin", origin.encode())] if origin else []
    return WebsocketCommunicator(
        websocket_application(), f"/ws/widget/{key or inbox.webhook_key}/", headers=headers
    )


async def start(inbox, **hello) -> tuple[WebsocketCommunicator, dict]:
    comm = socket(inbox)
    connected, _ = await comm.connect()
    assert connected
    await comm.send_json_to({"type": "hello", "visitor": None, "after": 0, **hello})
    welcome = await comm.receive_json_from()
    assert welcome["type"] == "welcome"
    return comm, welcome


async def say(comm, text: str, client_id: str) -> dict:
    await comm.send_json_to({"type": "message", "client_id": client_id, "text": text})
    frames = [await comm.receive_json_from(), await comm.receive_json_from()]
    return {f["type"]: f for f in frames}


def reply(text: str, **kwargs) -> Message:
    agent = AgentFactory(username="bob", first_name="Bob", last_name="Martin")
    return message_reply(ticket=Ticket.objects.get(), author=agent, text=text, **kwargs)


@pytest.mark.parametrize("origin", [None, "https://evil.test", "http://shop.test"])
async def test_sockets_from_other_origins_are_refused(inbox, origin):
    comm = socket(inbox, origin=origin)
    await comm.connect()
    # Told why (a browser never sees the code of a refused handshake), then closed.
    refused = await comm.receive_json_from()
    assert refused == {"type": "error", "error": "origin_refused", "origin": origin or ""}
    assert await comm.receive_output() == {"type": "websocket.close", "code": 4403}
    await comm.send_json_to({"type": "hello"})


async def test_unknown_widget_is_refused(inbox):
    comm = socket(inbox, key="nope")
    connected, code = await comm.connect()
    assert (connected, code) == (False, 4404)
    # The refused socket's consumer ends with the client, leaving no task on the layer.
    await comm.disconnect()


async def test_visitor_writes_agent_replies_live_and_a_resend_is_stored_once(inbox):
    comm, welcome = await start(inbox)
    assert welcome["messages"] == []
    assert welcome["available"] is False
    frames = await say(comm, "Hello, is my parcel late?", "c-1")
    assert frames["ack"]["client_id"] == "c-1"
    assert frames["message"]["message"]["text"] == "Hello, is my parcel late?"
    assert frames["message"]["message"]["from"] == "visitor"

    # The same frame again (a resend after a reconnect) is acknowledged, not stored twice.
    await comm.send_json_to(
        {"type": "message", "client_id": "c-1", "text": "Hello, is my parcel late?"}
    )
    again = await comm.receive_json_from()
    assert again == {"type": "ack", "client_id": "c-1", "id": frames["ack"]["id"]}
    assert await sync_to_async(Message.objects.count)() == 1
    message = await sync_to_async(Message.objects.select_related("identity").get)()
    assert message.identity.kind == "webchat" and not message.identity.verified

    sent = await sync_to_async(reply)("It ships today.")
    live = await comm.receive_json_from(timeout=5)
    assert live["type"] == "message"
    assert live["message"]["id"] == sent.pk
    assert live["message"]["text"] == "It ships today."
    assert live["message"]["from"] == "agent"
    assert live["message"]["author"] == "Bob"
    await sync_to_async(sent.refresh_from_db)()
    assert sent.delivery_state == DeliveryState.SENT
    await comm.disconnect()


async def test_reconnect_catches_up_from_the_last_message_seen(inbox):
    comm, welcome = await start(inbox)
    first = await say(comm, "First", "c-1")
    await comm.disconnect()

    missed = await sync_to_async(reply)("Written while you were away")
    comm, again = await start(inbox, visitor=welcome["visitor"], after=first["ack"]["id"])
    assert [m["text"] for m in again["messages"]] == ["Written while you were away"]
    assert again["messages"][0]["id"] == missed.pk

    comm2, full = await start(inbox, visitor=welcome["visitor"], after=0)
    assert [m["text"] for m in full["messages"]] == ["First", "Written while you were away"]
    await comm.disconnect()
    await comm2.disconnect()


async def test_visitors_never_see_each_other(inbox):
    alice, alice_welcome = await start(inbox)
    await say(alice, "Alice's secret order", "a-1")
    bob, bob_welcome = await start(inbox)
    assert bob_welcome["visitor"] != alice_welcome["visitor"]
    assert bob_welcome["messages"] == []
    forged, forged_welcome = await start(inbox, visitor=alice_welcome["visitor"] + "x")
    assert forged_welcome["messages"] == []

    await sync_to_async(reply)("Only for Alice")
    assert (await alice.receive_json_from(timeout=5))["message"]["text"] == "Only for Alice"
    assert await bob.receive_nothing(timeout=0.3)
    assert await forged.receive_nothing(timeout=0.1)

    other = await sync_to_async(InboxFactory)(
        kind="webchat", name="Other shop", config={"allowed_origins": [ORIGIN]}
    )
    stranger, stranger_welcome = await start(other, visitor=alice_welcome["visitor"])
    assert stranger_welcome["messages"] == []
    for comm in (alice, bob, forged, stranger):
        await comm.disconnect()


async def test_a_customer_signed_by_the_shop_is_recognised(inbox, settings):
    settings.WEBCHAT_IDENTITY_SECRET = "shop-shared-secret"
    signature = customer_signature(customer_id="42", email="jane@example.test")
    customer = {"id": "42", "email": "jane@example.test", "signature": signature, "name": "Jane"}
    comm, welcome = await start(inbox, customer=customer)
    assert welcome["verified"] is True
    await say(comm, "Hi, it's Jane", "j-1")

    def identities():
        message = Message.objects.select_related("identity").get()
        return message.identity, ContactIdentity.objects.get(kind="email")

    webchat, email = await sync_to_async(identities)()
    assert webchat.verified and email.verified
    assert webchat.contact_id == email.contact_id
    assert email.address == "jane@example.test"

    forged = {**customer, "id": "43"}
    comm2, refused = await start(inbox, customer=forged)
    assert refused["verified"] is False
    assert (await comm2.receive_json_from())["error"] == "customer_signature_invalid"
    assert refused["messages"] == []
    await comm.disconnect()
    await comm2.disconnect()


async def test_bad_input_is_refused_and_nothing_is_stored(inbox, settings):
    settings.WEBCHAT_MAX_TEXT_CHARS = 50
    settings.WEBCHAT_MAX_IMAGE_BYTES = 100
    comm = socket(inbox)
    await comm.connect()
    await comm.send_to(text_data="{not json")
    assert (await comm.receive_json_from())["error"] == "bad_json"
    await comm.send_json_to({"type": "message", "client_id": "x", "text": "hi"})
    assert (await comm.receive_json_from())["error"] == "hello_first"
    await comm.send_json_to({"type": "hello"})
    await comm.receive_json_from()
    await comm.send_json_to({"type": "message", "client_id": "x", "text": "a" * 51})
    assert (await comm.receive_json_from())["error"] == "too_long"
    fake_png = base64.b64encode(b"<script>alert(1)</script>").decode()
    await comm.send_json_to(
        {"type": "message", "client_id": "y", "image": {"type": "image/png", "data": fake_png}}
    )
    assert (await comm.receive_json_from())["error"] == "bad_image"
    await comm.send_json_to(
        {"type": "message", "client_id": "z", "image": {"type": "text/html", "data": fake_png}}
    )
    assert (await comm.receive_json_from())["error"] == "bad_image"
    await comm.send_json_to({"type": "message", "client_id": "w", "text": "   "})
    assert (await comm.receive_json_from())["error"] == "empty"
    assert await sync_to_async(Message.objects.count)() == 0
    await comm.send_to(text_data=json.dumps({"type": "message", "text": "a" * 10_000}))
    closed = await comm.receive_output()
    assert closed == {"type": "websocket.close", "code": 1009}


async def test_sending_too_fast_is_rate_limited(inbox, settings):
    settings.WEBCHAT_RATE_MESSAGES = 3
    comm, _ = await start(inbox)
    for i in range(3):
        await say(comm, f"message {i}", f"c-{i}")
    await comm.send_json_to({"type": "message", "client_id": "c-9", "text": "spam"})
    assert (await comm.receive_json_from())["error"] == "rate_limited"
    assert await sync_to_async(Message.objects.count)() == 3
    await comm.disconnect()


async def test_an_image_is_stored_and_served_only_through_its_signed_link(inbox):
    comm, _ = await start(inbox)
    image = {"name": "box.png", "type": "image/png", "data": base64.b64encode(PNG).decode()}
    await comm.send_json_to({"type": "message", "client_id": "i-1", "text": "", "image": image})
    frames = {
        f["type"]: f for f in [await comm.receive_json_from(), await comm.receive_json_from()]
    }
    [attachment] = frames["message"]["message"]["attachments"]
    assert attachment["type"] == "image/png"
    stored = await sync_to_async(Attachment.objects.get)()
    assert stored.size == len(PNG)

    client = Client()
    path = attachment["url"].split("http://127.0.0.1:8000", 1)[-1]
    response = await sync_to_async(client.get)(path)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    forged = await sync_to_async(client.get)(path.replace("/files/", "/files/x"))
    assert forged.status_code == 404
    await comm.disconnect()


async def test_with_an_agent_online_in_business_hours_the_widget_is_available(inbox):
    agent = await sync_to_async(AgentFactory)()
    await sync_to_async(agent_presence_mark)(user_id=agent.pk)
    comm, welcome = await start(inbox)
    assert welcome["available"] is True
    await comm.disconnect()

    def closed_all_week():
        inbox.business_calendar = BusinessCalendar.objects.create(name="Closed", time_zone="UTC")
        inbox.save()

    await sync_to_async(closed_all_week)()
    comm, welcome = await start(inbox)
    assert welcome["available"] is False
    await comm.disconnect()


def paris_hours(*holidays):
    calendar = BusinessCalendar.objects.create(name="Shop", time_zone="Europe/Paris")
    for weekday, opens, closes in [
        (0, "09:00", "12:30"),
        (0, "14:00", "18:00"),
        (5, "10:00", "00:00"),
    ]:
        OpeningPeriod.objects.create(
            calendar=calendar,
            weekday=weekday,
            opens=time.fromisoformat(opens),
            closes=time.fromisoformat(closes),
        )
    for day in holidays:
        Holiday.objects.create(calendar=calendar, date=day, name="Holiday")
    return calendar


def test_business_hours_are_the_inbox_business_calendar_in_its_time_zone():
    inbox = InboxFactory(kind="webchat", business_calendar=paris_hours())
    paris = ZoneInfo("Europe/Paris")
    assert within_business_hours(inbox=inbox, now=datetime(2026, 11, 23, 9, 0, tzinfo=paris))
    assert not within_business_hours(inbox=inbox, now=datetime(2026, 11, 23, 13, 0, tzinfo=paris))
    # 08:30 UTC is 09:30 in Paris in November.
    assert within_business_hours(
        inbox=inbox, now=datetime(2026, 11, 23, 8, 30, tzinfo=ZoneInfo("UTC"))
    )
    assert within_business_hours(inbox=inbox, now=datetime(2026, 11, 28, 23, 59, tzinfo=paris))
    assert not within_business_hours(inbox=inbox, now=datetime(2026, 11, 29, 12, 0, tzinfo=paris))
    always = InboxFactory(kind="webchat")
    assert within_business_hours(inbox=always, now=datetime(2026, 11, 29, 3, 0, tzinfo=paris))


async def test_on_a_holiday_the_widget_says_no_one_is_there(inbox):
    """Monday 23 November 2026 at 10:00 in Paris is within the weekly hours, but a holiday."""
    agent = await sync_to_async(AgentFactory)()
    await sync_to_async(agent_presence_mark)(user_id=agent.pk)
    monday = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))

    def with_hours(*holidays):
        inbox.business_calendar = paris_hours(*holidays)
        inbox.save()
        return within_business_hours(inbox=inbox, now=monday)

    assert await sync_to_async(with_hours)() is True
    await sync_to_async(BusinessCalendar.objects.all().delete)()
    assert await sync_to_async(with_hours)(monday.date()) is False
    today = datetime.now(UTC).date()  # the calendar's time zone

    def open_all_week(name, *holidays):
        calendar = BusinessCalendar.objects.create(name=name, time_zone="UTC")
        for weekday in range(7):
            OpeningPeriod.objects.create(
                calendar=calendar, weekday=weekday, opens=time(0), closes=time(0)
            )
        for day in holidays:
            Holiday.objects.create(calendar=calendar, date=day)
        inbox.business_calendar = calendar
        inbox.save()

    await sync_to_async(open_all_week)("Every day")
    comm, welcome = await start(inbox)
    assert welcome["available"] is True
    await comm.disconnect()
    await sync_to_async(open_all_week)("Every day but today", today)
    comm, welcome = await start(inbox)
    assert welcome["available"] is False
    await comm.disconnect()


async def test_offline_visitor_leaves_an_email_and_the_reply_goes_by_email(
    inbox, smtp_inbox, smtp_server
):
    comm, welcome = await start(inbox)
    assert welcome["available"] is False
    await say(comm, "Do you ship to Belgium?", "c-1")
    await comm.send_json_to({"type": "email", "email": "not-an-email"})
    assert (await comm.receive_json_from())["error"] == "bad_email"
    await comm.send_json_to({"type": "email", "email": "visitor@example.test"})
    frames = [await comm.receive_json_from(), await comm.receive_json_from()]
    assert {f["type"] for f in frames} == {"email_saved", "message"}

    def check():
        ticket = Ticket.objects.get()
        email = ContactIdentity.objects.get(kind="email")
        assert email.contact_id == ticket.contact_id
        assert not email.verified
        answer = reply("Yes, in 3 days.")
        answer.refresh_from_db()
        return answer

    answer = await sync_to_async(check)()
    assert answer.inbox_id == smtp_inbox.pk
    assert answer.delivery_state == DeliveryState.SENT
    assert [m["To"] for m in smtp_server.received] == ["visitor@example.test"]
    await comm.disconnect()


async def agent_socket(ticket) -> WebsocketCommunicator:
    def make_agent():
        team = TeamFactory()
        Ticket.objects.filter(pk=ticket.pk).update(team=team)
        agent = AgentFactory(username="bob")
        agent.agent_profile.teams.add(team)
        return agent

    comm = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/agent/")
    comm.scope["user"] = await sync_to_async(make_agent)()
    connected, _ = await comm.connect()
    assert connected
    assert (await comm.receive_json_from())["type"] == "ready"
    await comm.send_json_to({"watch_ticket": ticket.pk})
    assert (await comm.receive_json_from())["type"] == "watching"
    return comm


async def test_agent_typing_a_reply_shows_in_the_widget_but_a_note_does_not(inbox):
    comm, _ = await start(inbox)
    await say(comm, "Hello", "c-1")
    ticket = await sync_to_async(Ticket.objects.get)()
    agent = await agent_socket(ticket)

    await agent.send_json_to({"type": "typing", "ticket": ticket.pk, "note": True})
    assert (await agent.receive_json_from())["state"] == "typing"
    assert await comm.receive_nothing(timeout=0.3)

    await agent.send_json_to({"type": "typing", "ticket": ticket.pk, "note": False})
    assert await comm.receive_json_from(timeout=5) == {"type": "typing"}
    # Keystrokes come in bursts: the customer is told once, not at every keystroke.
    await agent.send_json_to({"type": "typing", "ticket": ticket.pk})
    assert (await agent.receive_json_from())["state"] == "typing"
    assert await comm.receive_nothing(timeout=0.3)
    await agent.disconnect()
    await comm.disconnect()


async def test_visitor_typing_reaches_the_agent_watching_the_ticket(inbox):
    comm, _ = await start(inbox)
    await say(comm, "Hello", "c-1")
    ticket = await sync_to_async(Ticket.objects.get)()
    agent = await agent_socket(ticket)
    await comm.send_json_to({"type": "typing"})
    assert await agent.receive_json_from(timeout=5) == {
        "type": "webchat.typing",
        "ticket": ticket.pk,
    }
    await agent.disconnect()
    await comm.disconnect()


def test_embed_script_carries_the_socket_url_and_both_languages(client, inbox):
    response = client.get(f"/widget/{inbox.webhook_key}/embed.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    body = response.content.decode()
    assert f"ws://127.0.0.1:8000/ws/widget/{inbox.webhook_key}/" in body
    assert "Chat with us" in body
    assert client.get("/widget/unknown/embed.js").status_code == 404


def test_visitor_tokens_do_not_cross_inboxes(inbox):
    from channels_in.webchat.visitors import visitor_token_read

    token = visitor_token(inbox_id=inbox.pk, address="v:abc")
    assert visitor_token_read(token, inbox_id=inbox.pk) == "v:abc"
    assert visitor_token_read(token, inbox_id=inbox.pk + 1) is None
    assert visitor_token_read(token[:-2], inbox_id=inbox.pk) is None
