"""A returning customer on another device, offline, in a real browser (Debian's Chromium)
against daphne: the address they leave is a known customer's, so the widget asks for the code
mailed there (really sent over SMTP); a wrong code is refused with the reason, the right one
joins their conversation to that customer. Nothing of the customer's is shown before."""

from __future__ import annotations

import re
import uuid

import pytest

from helpdesk.contacts.models import ContactIdentity
from helpdesk.tickets.models import Message, Ticket
from tests import servers
from tests.e2e.test_widget import shop_page
from tests.factories import ContactFactory, IdentityFactory, InboxFactory

pytestmark = pytest.mark.django_db(transaction=True)

# An address of its own per run: a shared cache keeps each address's hourly budget of codes.
JEANNE = f"jeanne-{uuid.uuid4().hex[:8]}@example.test"


def test_the_emailed_code_typed_in_the_widget_proves_a_known_address(browser, smtp_server):
    import sys

    from playwright.sync_api import expect

    port = servers.free_port()
    holder = {}

    def html() -> str:
        key = holder["inbox"].webhook_key
        return (
            "<!doctype html><html lang='en'><head><title>Shop</title></head><body><h1>Shop</h1>"
            f"<script async src='http://127.0.0.1:{port}/widget/{key}/embed.js'></script>"
            "</body></html>"
        )

    jeanne = ContactFactory(name="Jeanne Martin")
    identity = IdentityFactory(contact=jeanne, kind="email", address=JEANNE)
    mail_inbox = InboxFactory(kind="email", config={"address": "support@shop.test"})
    earlier = Ticket.objects.create(contact=jeanne, inbox=mail_inbox, subject="Door code")
    Message.objects.create(
        ticket=earlier,
        inbox=mail_inbox,
        direction="in",
        kind="message",
        author_type="contact",
        identity=identity,
        text="My door code is 4821.",
        external_id="<door@example.test>",
    )
    with shop_page(html) as shop:
        holder["inbox"] = InboxFactory(
            kind="webchat", name="Site chat", config={"allowed_origins": [shop]}
        )
        env = servers.server_env(
            PUBLIC_URL=f"http://127.0.0.1:{port}",
            CELERY_TASK_ALWAYS_EAGER="1",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp_server.port),
        )
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        args = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
        with servers.process(
            [*args, "helpdesk.asgi:application"], env=env, ready="Listening on TCP address"
        ):
            page = browser.new_page(locale="en-GB")
            page.goto(shop + "/")
            page.get_by_role("button", name="Chat with us").click()
            box = page.get_by_role("textbox", name="Write your message…")
            box.fill("Has my parcel left?")
            box.press("Enter")
            log = page.get_by_role("log")
            expect(log).to_contain_text("Has my parcel left?")
            # Nobody is online: the widget offers to continue by email.
            email = page.get_by_label("Your email address")
            expect(email).to_be_visible(timeout=10_000)
            email.fill(JEANNE)
            page.get_by_role("button", name="Send my address").click()
            code_box = page.get_by_label("Code from the email")
            expect(code_box).to_be_visible(timeout=10_000)
            expect(code_box).to_be_focused()
            mail = servers.wait_for(lambda: smtp_server.received and smtp_server.received[-1])
            assert mail["To"] == JEANNE
            code = re.search(r"\b(\d{6})\b", mail["Subject"]).group(1)
            visitor_ticket = Ticket.objects.get(inbox=holder["inbox"])
            assert visitor_ticket.contact_id != jeanne.pk

            code_box.fill("000000" if code != "000000" else "111111")
            page.get_by_role("button", name="Confirm").click()
            expect(page.get_by_role("status").first).to_contain_text(
                "This code is not right.", timeout=10_000
            )
            code_box.fill(code)
            code_box.press("Enter")
            expect(page.get_by_role("status").first).to_contain_text(
                "Thank you: we will answer you by email.", timeout=10_000
            )
            assert "4821" not in log.inner_text()
            visitor_ticket.refresh_from_db()
            assert visitor_ticket.contact_id == jeanne.pk
            assert ContactIdentity.objects.get(address=JEANNE).verified
