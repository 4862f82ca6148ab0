"""The agent workspace in a real browser (Debian's chromium driven by Playwright) against a
real daphne: a new inbound message appears live in the list, the agent opens it, sees the
order, replies with a canned response (really sent over SMTP) and the status changes.

Redis lane only: the test process creates the inbound message and daphne must hear about it,
which needs a channel layer both processes share.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from channels_in.base import InboundMessage, Sender
from helpdesk.inbox.models import CannedResponse
from helpdesk.tickets.models import DeliveryState, Message, Ticket
from helpdesk.tickets.services import message_receive
from orders_link.models import OrderLine
from tests import servers
from tests.factories import (
    AgentFactory,
    ContactFactory,
    IdentityFactory,
    OrderFactory,
    ShipmentFactory,
    TeamFactory,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page(browser):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-US")
    try:
        yield context.new_page()
    finally:
        context.close()


def in_plain_thread(func):
    """Run ``func`` in a thread without Playwright's event loop, so the live event it
    publishes goes out through the channel layer as it would from a web worker."""

    def run():
        try:
            return func()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def test_agent_sees_a_new_message_live_and_replies_with_a_canned_response(
    smtp_inbox, smtp_server, browser_page
):
    team = TeamFactory(name="Support")
    smtp_inbox.team = team
    smtp_inbox.save()
    agent = AgentFactory(username="alice", password="correct horse battery staple")
    agent.agent_profile.teams.add(team)
    contact = ContactFactory(name="Jeanne Martin")
    IdentityFactory(contact=contact, address="jeanne@example.test")
    order = OrderFactory(contact=contact, number="#4242")
    OrderLine.objects.create(order=order, title="Espresso cups", quantity=4)
    ShipmentFactory(
        order=order,
        tracking_number="6A99887766",
        tracking_url="https://tracking.example.test/6A99887766",
        shipped_at=timezone.now() - timedelta(days=1),
        estimated_delivery=timezone.localdate() + timedelta(days=2),
    )
    CannedResponse.objects.create(
        name="Where is my order",
        text="Hello {{ contact.first_name }}, order {{ order.number }} is on its way: "
        "{{ shipment.tracking_url }}",
    )
    page = browser_page

    with servers.daphne(CELERY_TASK_ALWAYS_EAGER="1") as port:
        base = f"http://127.0.0.1:{port}"
        page.goto(f"{base}/login/")
        page.fill("input[name=username]", "alice")
        page.fill("input[name=password]", "correct horse battery staple")
        page.click("button[type=submit], input[type=submit]")
        page.wait_for_url(f"{base}/inbox/")
        # The page subscribes over its WebSocket as it loads: wait until the server says the
        # page has joined its groups.
        page.locator("html[data-live=ready]").wait_for(state="attached", timeout=10_000)
        page.screenshot(path=str(ARTIFACTS / "workspace-1-empty-list.png"))

        started = time.monotonic()
        ticket = in_plain_thread(
            lambda: (
                message_receive(
                    inbound=InboundMessage(
                        inbox_id=smtp_inbox.pk,
                        sender=Sender(kind="email", address="jeanne@example.test", name="Jeanne"),
                        subject="Where is my order #4242?",
                        text="Hello, my order #4242 has not arrived yet.",
                        external_id="<e2e-1@example.test>",
                    )
                ).ticket
            )
        )
        row = page.locator(f'#rows tr[data-ticket="{ticket.pk}"]')
        row.wait_for(timeout=5000)
        latency = time.monotonic() - started
        print(f"new ticket visible in the list after {latency:.3f}s")
        assert latency < 2.0
        assert "unread" in (row.get_attribute("class") or "")
        page.screenshot(path=str(ARTIFACTS / "workspace-2-live-ticket.png"))

        # Keyboard: j selects the first row, o opens it.
        page.keyboard.press("j")
        assert "selected" in (row.get_attribute("class") or "")
        page.keyboard.press("o")
        page.wait_for_url(f"{base}/inbox/tickets/{ticket.pk}/")
        page.keyboard.press("?")
        assert page.locator("dialog#help").is_visible()
        page.keyboard.press("Escape")
        assert not page.locator("dialog#help").is_visible()
        page.keyboard.press("n")
        assert page.is_checked("#id_internal")
        assert page.evaluate("document.activeElement.id") == "reply-text"
        page.keyboard.press("Escape")
        page.keyboard.press("r")
        assert not page.is_checked("#id_internal")
        panel = page.locator("aside.customer")
        assert "#4242" in panel.inner_text()
        assert "Espresso cups" in panel.inner_text()
        assert page.locator("a[href='https://tracking.example.test/6A99887766']").count() == 1

        page.select_option("#canned", label="Where is my order")
        page.wait_for_function(
            "() => document.getElementById('reply-text').value.includes('Hello Jeanne')"
        )
        assert page.input_value("#reply-text") == (
            "Hello Jeanne, order #4242 is on its way: https://tracking.example.test/6A99887766"
        )
        page.select_option("select[name=then_status]", "pending")
        page.screenshot(path=str(ARTIFACTS / "workspace-3-canned-reply.png"))
        page.click("#send")
        page.wait_for_url(f"{base}/inbox/tickets/{ticket.pk}/")
        page.locator("#ticket-status", has_text="Pending").wait_for(timeout=5000)
        page.screenshot(path=str(ARTIFACTS / "workspace-4-replied.png"), full_page=True)

        # Tablet width: one column, nothing wider than the screen.
        page.set_viewport_size({"width": 768, "height": 1024})
        assert page.evaluate("document.documentElement.scrollWidth") <= 768
        page.screenshot(path=str(ARTIFACTS / "workspace-5-tablet-ticket.png"), full_page=True)
        page.goto(f"{base}/inbox/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 768
        page.screenshot(path=str(ARTIFACTS / "workspace-6-tablet-list.png"), full_page=True)

    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.status == "pending"
    assert ticket.first_response_at is not None
    reply = Message.objects.get(ticket=ticket, direction="out", kind="message")
    assert reply.delivery_state == DeliveryState.SENT
    assert [m["To"].addresses[0].addr_spec for m in smtp_server.received] == ["jeanne@example.test"]
    assert "order #4242 is on its way" in smtp_server.received[0].get_body().get_content()
