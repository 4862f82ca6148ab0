"""The widget in a real browser (Debian's Chromium): it wears the colour and greeting the
managers set, and a solved ticket's satisfaction survey shows as stars that the visitor
clicks, the rating being recorded against the ticket."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection

from helpdesk.csat.models import Survey, SurveyState
from helpdesk.tickets.models import Ticket
from helpdesk.tickets.services import message_reply, ticket_set_status
from tests import servers
from tests.e2e.test_widget import daphne_on, shop_page
from tests.factories import AgentFactory, InboxFactory

pytest.importorskip(
    "helpdesk.conversation", reason="needs the inbound interceptors of helpdesk.conversation"
)
pytestmark = pytest.mark.django_db(transaction=True)


def in_thread(work):
    """ORM work from a thread of its own, as a worker would (this thread has Playwright's loop)."""

    def run():
        try:
            return work()
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def test_widget_colours_greeting_and_survey_stars(browser):
    from playwright.sync_api import expect

    port = servers.free_port()
    holder = {}

    def html() -> str:
        key = holder["inbox"].webhook_key
        return (
            "<!doctype html><html lang='en'><head><title>Shop</title></head>"
            "<body><h1>Garden tools</h1>"
            f"<script async src='http://127.0.0.1:{port}/widget/{key}/embed.js'></script>"
            "</body></html>"
        )

    with shop_page(html) as shop:
        holder["inbox"] = InboxFactory(
            kind="webchat",
            name="Site chat",
            config={
                "allowed_origins": [shop],
                "color": "#aa3300",
                "greeting": "Hello! Ask us about your order.",
            },
        )
        agent = AgentFactory(username="agent-ann", first_name="Ann")
        with daphne_on(port):
            visitor = browser.new_page(locale="en-GB")
            visitor.goto(shop + "/")
            bubble = visitor.get_by_role("button", name="Chat with us")
            # The managers' colour, with white text (the readable one on it).
            expect(bubble).to_have_css("background-color", "rgb(170, 51, 0)")
            expect(bubble).to_have_css("color", "rgb(255, 255, 255)")
            bubble.click()
            conversation = visitor.get_by_role("log")
            expect(conversation).to_contain_text("Hello! Ask us about your order.")
            box = visitor.get_by_role("textbox", name="Write your message…")
            box.fill("Where is order #1001?")
            box.press("Enter")
            ticket = servers.wait_for(lambda: Ticket.objects.filter(inbox__kind="webchat").first())

            def answer_solve_and_survey():
                message_reply(ticket=ticket, author=agent, text="It arrives tomorrow.")
                ticket_set_status(ticket=ticket, status="solved", actor=agent)
                ticket.refresh_from_db()
                at = ticket.solved_at + timedelta(minutes=31)
                call_command("csat_send_due", now=at.isoformat())

            in_thread(answer_solve_and_survey)
            survey = Survey.objects.get(ticket=ticket)
            assert (survey.state, survey.channel) == (SurveyState.SENT, "webchat")

            # The visitor comes back to the shop: the conversation ends with the survey's stars.
            visitor.reload()
            visitor.get_by_role("button", name="Chat with us").click()
            stars = visitor.get_by_role("group").locator("button.star")
            expect(stars).to_have_count(5, timeout=10_000)
            visitor.get_by_role("button", name="4 / 5").click()
            expect(visitor.get_by_role("button", name="4 / 5")).to_have_attribute(
                "aria-pressed", "true"
            )
            expect(visitor.get_by_role("button", name="5 / 5")).to_have_attribute(
                "aria-pressed", "false"
            )

            def rated():
                survey.refresh_from_db()
                return survey.rating == 4 or None

            servers.wait_for(rated, timeout=15)

    survey.refresh_from_db()
    ticket.refresh_from_db()
    assert survey.state == SurveyState.ANSWERED and survey.answered_at is not None
    # The answer joins the solved ticket without reopening it.
    assert ticket.status == "solved"
