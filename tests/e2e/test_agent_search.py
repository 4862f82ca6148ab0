"""The agents' search page in a real browser (Debian's chromium driven by Playwright) on a
390 px wide screen: results as you type, and the same page without JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from helpdesk.tickets.models import Direction, Message
from tests.factories import ContactFactory, TeamFactory, TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


def _ticket(team, subject, text):
    ticket = TicketFactory(team=team, subject=subject, contact=ContactFactory(name="Léa Petit"))
    Message.objects.create(
        ticket=ticket, direction=Direction.INBOUND, author_type="contact", text=text
    )
    return ticket


@pytest.fixture
def tickets(agent, settings):
    settings.HELPDESK_AGENTS_SEE_UNTEAMED = False
    red, blue = TeamFactory(name="Red"), TeamFactory(name="Blue")
    agent.agent_profile.teams.add(red)
    mine = _ticket(red, "Question sur un retour", "Quand serai-je remboursée de mon pull ?")
    theirs = _ticket(blue, "Dossier confidentiel", "Suis-je remboursée du dossier confidentiel ?")
    return mine, theirs


def _page(browser, live_server, client, agent, **options):
    client.force_login(agent)
    context = browser.new_context(viewport=PHONE, is_mobile=True, locale="en-GB", **options)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return context, context.new_page()


def test_results_as_you_type(browser, live_server, client, agent, tickets):
    context, page = _page(browser, live_server, client, agent)
    try:
        page.goto(f"{live_server.url}/search/")
        page.locator("form.kb-search input[name=q]").press_sequentially("remboursée", delay=60)
        found = page.locator("#results-tickets a", has_text="Question sur un retour")
        found.wait_for(timeout=10000)
        assert page.url.endswith("/search/?q=rembours%C3%A9e")  # the address follows the typing
        assert "confidentiel" not in page.locator("#kb-search-results").inner_text()
        assert page.locator("#results-tickets mark").first.inner_text() == "remboursée"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # Another query replaces the results; clearing the box clears them.
        box = page.locator("form.kb-search input[name=q]")
        box.fill("zzzz introuvable")
        page.locator("#kb-search-results", has_text="Nothing found.").wait_for(timeout=10000)
        box.fill("")
        expect(page.locator("#kb-search-results")).to_have_text("", timeout=10000)
        assert page.url.endswith("/search/")
    finally:
        context.close()


def test_the_same_page_without_javascript(browser, live_server, client, agent, tickets):
    context, page = _page(browser, live_server, client, agent, java_script_enabled=False)
    try:
        page.goto(f"{live_server.url}/search/")
        page.fill("form.kb-search input[name=q]", "remboursée")
        page.locator("form.kb-search button[type=submit]").click()
        page.wait_for_url("**/search/?q=*")
        tickets_found = page.locator("#results-tickets").inner_text()
        assert "Question sur un retour" in tickets_found
        assert "confidentiel" not in tickets_found
    finally:
        context.close()
