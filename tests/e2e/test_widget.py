"""The chat widget in a real browser (Debian's Chromium) on a shop page of another origin,
against daphne: the visitor writes, an agent replies from the agent pages, the socket drops
(daphne stops) and on reconnect the widget shows everything."""

from __future__ import annotations

import contextlib
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection

from helpdesk.tickets.models import Direction, Message, Ticket
from helpdesk.tickets.services import message_reply
from tests import servers
from tests.factories import AgentFactory, InboxFactory

pytestmark = pytest.mark.django_db(transaction=True)


@contextlib.contextmanager
def shop_page(html_for):
    """A shop's page on its own origin, embedding the widget."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            return None

        def do_GET(self) -> None:
            body = html_for().encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextlib.contextmanager
def daphne_on(port: int):
    env = servers.server_env(PUBLIC_URL=f"http://127.0.0.1:{port}", CELERY_TASK_ALWAYS_EAGER="1")
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    args = [
        sys.executable,
        "-m",
        "daphne",
        "-b",
        "127.0.0.1",
        "-p",
        str(port),
        "helpdesk.asgi:application",
    ]
    with servers.process(args, env=env, ready="Listening on TCP address"):
        yield


def test_visitor_and_agent_talk_through_the_widget_and_a_dropped_socket_loses_nothing(
    browser,
):
    from playwright.sync_api import expect

    port = servers.free_port()
    inbox_holder = {}

    def html() -> str:
        key = inbox_holder["inbox"].webhook_key
        return (
            "<!doctype html><html lang='en'><head><title>Shop</title>"
            "<meta name='viewport' content='width=device-width'></head>"
            "<body><h1>Garden tools</h1>"
            f"<script async src='http://127.0.0.1:{port}/widget/{key}/embed.js'></script>"
            "</body></html>"
        )

    with shop_page(html) as shop:
        inbox_holder["inbox"] = InboxFactory(
            kind="webchat", name="Site chat", config={"allowed_origins": [shop]}
        )
        AgentFactory(username="agent-ann", first_name="Ann")
        with daphne_on(port):
            visitor = browser.new_page(locale="en-GB")
            visitor.goto(shop + "/")
            bubble = visitor.get_by_role("button", name="Chat with us")
            expect(bubble).to_have_attribute("aria-expanded", "false")
            bubble.click()
            expect(bubble).to_have_attribute("aria-expanded", "true")
            box = visitor.get_by_role("textbox", name="Write your message…")
            expect(box).to_be_focused()
            box.fill("Hello, where is order #1001?")
            box.press("Enter")
            conversation = visitor.get_by_role("log")
            expect(conversation).to_contain_text("Hello, where is order #1001?")
            ticket = servers.wait_for(lambda: Ticket.objects.filter(inbox__kind="webchat").first())

            agent = browser.new_page()
            agent.goto(f"http://127.0.0.1:{port}/login/")
            agent.fill("#id_username", "agent-ann")
            agent.fill("#id_password", "correct horse battery staple")
            agent.get_by_role("button", name="Log in").click()
            agent.goto(f"http://127.0.0.1:{port}/inbox/tickets/{ticket.pk}/")
            agent.fill("textarea[name=text]", "It left our warehouse this morning.")
            agent.locator("form.reply button[type=submit]").click()

            expect(conversation).to_contain_text(
                "It left our warehouse this morning.", timeout=10_000
            )

        # daphne is gone: the socket dropped. The visitor writes, an agent answers meanwhile.
        expect(visitor.get_by_role("status")).to_contain_text("Reconnecting", timeout=10_000)
        box.fill("Are you still there?")
        box.press("Enter")

        # From a thread of its own, as a worker would (this thread has Playwright's loop).
        def answer():
            try:
                return message_reply(ticket=ticket, text="Yes, and it arrives tomorrow.")
            finally:
                connection.close()

        with ThreadPoolExecutor(1) as pool:
            offline_reply = pool.submit(answer).result()

        with daphne_on(port):
            expect(conversation).to_contain_text("Yes, and it arrives tomorrow.", timeout=20_000)
            servers.wait_for(lambda: Message.objects.filter(text="Are you still there?").exists())
            expect(conversation.locator("li")).to_have_count(4)
            texts = conversation.locator("li .text").all_inner_texts()
            assert texts == [
                "Hello, where is order #1001?",
                "It left our warehouse this morning.",
                "Yes, and it arrives tomorrow.",
                "Are you still there?",
            ]

            # A reload (new socket, same visitor cookie) shows the whole conversation.
            visitor.reload()
            visitor.get_by_role("button", name="Chat with us").click()
            expect(visitor.get_by_role("log").locator("li")).to_have_count(4, timeout=10_000)

    offline_reply.refresh_from_db()
    assert offline_reply.delivery_state == "sent"
    inbound = Message.objects.filter(ticket=ticket, direction=Direction.INBOUND)
    assert list(inbound.values_list("text", flat=True)) == [
        "Hello, where is order #1001?",
        "Are you still there?",
    ]
