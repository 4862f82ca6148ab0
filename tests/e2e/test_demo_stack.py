"""`make demo`'s own stack, on a port other than 8000, in a real browser (Debian's Chromium):
the demo shop page's widget, on a phone-sized screen, sends with its Send button and talks
with an agent; an SMS customer's delay-notice ticket is answered by SMS without touching
"Send via".

The Makefile's recipe itself runs (migrate, seed_demo, daphne with PUBLIC_URL from HOST and
PORT); only its install steps are taken as done (`make -o install -o messages`), so the shared
environment is never reinstalled by a test.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from tests import servers

ROOT = Path(__file__).resolve().parents[2]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    if shutil.which("make") is None:
        pytest.skip("make is missing")
    port = servers.free_port()
    while port == 8000:
        port = servers.free_port()
    data = tmp_path_factory.mktemp("demo")
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "PUBLIC_URL",
            "DJANGO_SETTINGS_MODULE",
            "CELERY_TASK_ALWAYS_EAGER",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env.update({"HELPDESK_DATA_DIR": str(data), "PORT": str(port), "PYTHONUNBUFFERED": "1"})
    args = ["make", "--no-print-directory", "-o", "install", "-o", "messages", "demo"]
    with servers.process(args, env=env, ready="Listening on TCP address", timeout=600) as proc:
        yield {"port": port, "db": data / "helpdesk.sqlite3", "proc": proc}


def query(db: Path, sql: str, *params):
    with sqlite3.connect(db, timeout=20) as conn:
        return conn.execute(sql, params).fetchall()


def login(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/inbox/**")


def test_the_demo_shop_widget_on_a_phone_talks_with_an_agent(browser, demo):
    from playwright.sync_api import expect

    base = f"http://127.0.0.1:{demo['port']}"
    visitor = browser.new_page(viewport=PHONE, locale="en-GB", is_mobile=True, has_touch=True)
    visitor.goto(f"{base}/demo/shop/")
    expect(visitor.get_by_role("heading", name="Enamel camping mug")).to_be_visible()
    visitor.get_by_role("button", name="Chat with us").click()
    box = visitor.get_by_role("textbox", name="Write your message…")
    box.fill("Hello from my phone: does the mug fit in a dishwasher?")
    send = visitor.get_by_role("button", name="Send", exact=True)
    # A click, not Enter: Playwright refuses to click an element another one covers.
    send.click(timeout=5_000)
    log = visitor.get_by_role("log")
    expect(log).to_contain_text("does the mug fit in a dishwasher?", timeout=15_000)
    expect(visitor.get_by_role("status")).not_to_contain_text("not")

    ticket_id = None
    deadline = time.monotonic() + 20
    while ticket_id is None and time.monotonic() < deadline:
        rows = query(
            demo["db"],
            "SELECT m.ticket_id FROM tickets_message m JOIN tickets_inbox i ON i.id = m.inbox_id "
            "WHERE i.kind = 'webchat' AND m.text LIKE '%dishwasher%'",
        )
        ticket_id = rows[0][0] if rows else None
        time.sleep(0.2)
    assert ticket_id, "the widget's message was not stored"

    agent = browser.new_page(locale="en-GB")
    login(agent, base, "sam", "demo-agent")
    agent.goto(f"{base}/inbox/tickets/{ticket_id}/")
    agent.fill("textarea[name=text]", "Yes, it is dishwasher safe.")
    agent.locator("#send").click()
    expect(log).to_contain_text("Yes, it is dishwasher safe.", timeout=15_000)
    visitor.close()
    agent.close()


def test_an_sms_customers_delay_notice_ticket_is_answered_by_sms(browser, demo):
    from playwright.sync_api import expect

    base = f"http://127.0.0.1:{demo['port']}"
    rows = query(
        demo["db"],
        "SELECT n.ticket_id, c.language FROM orders_link_delaynotice n "
        "JOIN tickets_ticket t ON t.id = n.ticket_id "
        "JOIN contacts_contact c ON c.id = t.contact_id "
        "WHERE n.channel = 'phone' AND c.language = 'en' AND NOT EXISTS ("
        "  SELECT 1 FROM tickets_message m JOIN contacts_contactidentity ci"
        "  ON ci.id = m.identity_id WHERE ci.contact_id = c.id AND m.direction = 'in'"
        "  AND ci.kind != 'phone') ORDER BY n.id",
    )
    # A customer who writes (if at all) by SMS: their notice went by SMS too.
    assert rows, "the demo has no SMS delay notice for an English SMS customer"
    ticket_id = rows[0][0]
    before = query(demo["db"], "SELECT max(id) FROM tickets_message")[0][0]

    agent = browser.new_page(locale="en-GB")
    login(agent, base, "sam", "demo-agent")
    agent.goto(f"{base}/inbox/tickets/{ticket_id}/")
    expect(agent.locator("select[name=identity] option:checked")).to_contain_text("Phone (SMS)")
    agent.fill("textarea[name=text]", "Sorry for the delay: it arrives on Friday.")
    agent.locator("#send").click()
    expect(agent.locator("#timeline")).to_contain_text("it arrives on Friday", timeout=10_000)

    [(kind, inbox_kind)] = query(
        demo["db"],
        "SELECT ci.kind, i.kind FROM tickets_message m "
        "JOIN contacts_contactidentity ci ON ci.id = m.identity_id "
        "JOIN tickets_inbox i ON i.id = m.inbox_id "
        "WHERE m.id > ? AND m.text LIKE '%arrives on Friday%'",
        before,
    )
    assert (kind, inbox_kind) == ("phone", "sms")
    agent.close()
