"""The help centre and the agents' article suggestions in a real browser (Debian's chromium
driven by Playwright) on a 390 px wide phone screen."""

from __future__ import annotations

import pytest

from helpdesk.tickets.models import Direction, Message
from knowledge_base.demo import load_demo_articles
from knowledge_base.models import ArticleVote
from tests.factories import ContactFactory, TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(viewport=PHONE, locale="fr-FR", is_mobile=True, has_touch=True)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_search_as_you_type_switch_language_and_vote(live_server, phone_page):
    load_demo_articles()
    page = phone_page
    page.goto(f"{live_server.url}/help/")
    assert page.url.endswith("/help/fr/")  # the browser's language
    assert page.locator("h1").inner_text() == "Comment pouvons-nous vous aider ?"
    # Nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.locator("#hc-q").press_sequentially("rembourse", delay=40)
    suggestion = page.locator(".hc-suggestions a", has_text="Quand serai-je remboursé ?")
    suggestion.wait_for(timeout=5000)
    suggestion.click()
    page.wait_for_url("**/help/fr/delais-de-remboursement/")
    assert page.locator("h1").inner_text() == "Quand serai-je remboursé ?"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.locator(".hc-langs a[data-lang=en]").click()
    page.wait_for_url("**/help/en/refund-delays/")
    assert page.locator("h1").inner_text() == "When will I get my refund?"
    assert page.get_attribute("html", "lang") == "en"

    page.locator(".hc-vote button[value=yes]").click()
    page.locator(".hc-thanks").wait_for(timeout=5000)
    assert page.locator(".hc-thanks").inner_text() == "Thank you for your feedback."
    assert page.url.endswith("/help/en/refund-delays/")  # voted without leaving the page
    (vote,) = ArticleVote.objects.all()
    assert vote.helpful and vote.article.slug == "refund-delays"


def test_search_page_without_javascript(live_server, browser):
    load_demo_articles()
    context = browser.new_context(viewport=PHONE, locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/help/en/")
        page.fill("#hc-q", "relay point")
        page.locator(".hc-search button[type=submit]").click()
        page.wait_for_url("**/help/search/?*")
        assert page.locator(".hc-results a").first.inner_text() == "Delivery to a relay point"
    finally:
        context.close()


def test_agent_inserts_a_suggested_article_into_the_reply(live_server, logged_in_page, settings):
    load_demo_articles()
    ticket = TicketFactory(contact=ContactFactory(language="fr"), language="fr")
    Message.objects.create(
        ticket=ticket,
        direction=Direction.INBOUND,
        author_type="contact",
        text="Bonjour, mon colis est arrivé abîmé, le carton est tout écrasé. Que faire ?",
    )
    page = logged_in_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/inbox/tickets/{ticket.pk}/")
    first = page.locator(".kb-suggestion").first
    first.wait_for(timeout=10000)
    assert first.locator("a").inner_text() == "Mon colis est arrivé abîmé"
    box = page.locator("#reply textarea[name=text]")
    box.fill("Bonjour, voici la marche à suivre :")
    first.locator("[data-kb-insert=link]").click()
    assert box.input_value() == (
        f"Bonjour, voici la marche à suivre : {settings.PUBLIC_URL}/help/fr/colis-abime/"
    )
    first.locator("[data-kb-insert=excerpt]").click()
    value = box.input_value()
    assert "Mon colis est arrivé abîmé: " in value and value.count("/help/fr/colis-abime/") == 2
