from __future__ import annotations

import pytest

from helpdesk.accounts.models import Role
from helpdesk.tickets.models import Direction, Message
from knowledge_base.demo import load_demo_articles
from knowledge_base.models import Article, ArticleRevision, Category
from tests.factories import AgentFactory, ContactFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client):
    client.force_login(AgentFactory(username="mona", profile__role=Role.MANAGER))
    return client


def _form(**overrides):
    data = {
        "title": "Gift wrapping",
        "slug": "gift-wrapping",
        "language": "en",
        "category": "",
        "summary": "Wrapped for 3 EUR.",
        "body": "We wrap **any** item.",
        "published": "on",
        "position": "4",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_manager_writes_an_article_a_translation_and_keeps_revisions(manager_client):
    category = Category.objects.create(name="Orders", name_fr="Commandes", slug="orders")
    response = manager_client.post("/kb/new/", _form(category=str(category.pk)))
    article = Article.objects.get(slug="gift-wrapping")
    assert response.status_code == 302 and response["Location"] == f"/kb/{article.pk}/"
    assert article.body_html == "<p>We wrap <strong>any</strong> item.</p>\n"
    assert article.position == 4 and article.published and article.category == category

    manager_client.post(
        f"/kb/new/?translation_of={article.pk}",
        _form(title="Paquet cadeau", slug="paquet-cadeau", language="fr", body="Nous emballons."),
    )
    french = Article.objects.get(slug="paquet-cadeau")
    assert french.translation_key == article.translation_key
    # A second French version of the same article is refused.
    again = manager_client.post(
        f"/kb/new/?translation_of={article.pk}", _form(slug="autre", language="fr")
    )
    assert again.status_code == 200 and Article.objects.filter(slug="autre").count() == 0

    manager_client.post(
        f"/kb/{article.pk}/edit/", _form(body="We wrap most items.", published=None)
    )
    article.refresh_from_db()
    assert not article.published and article.body == "We wrap most items."
    revision = ArticleRevision.objects.get(article=article)
    assert revision.body == "We wrap **any** item." and revision.published
    assert revision.editor.username == "mona"
    page = manager_client.get(f"/kb/{article.pk}/").content.decode()
    assert "We wrap **any** item." in page and "mona" in page and "Paquet cadeau" in page

    # The help centre's switcher goes from one to the other once both are published.
    manager_client.post(f"/kb/{article.pk}/edit/", _form(body="We wrap most items."))
    assert (
        'href="/help/fr/paquet-cadeau/"'
        in manager_client.get("/help/en/gift-wrapping/").content.decode()
    )


def test_preview_without_saving_and_sanitised(manager_client):
    response = manager_client.post(
        "/kb/new/", _form(body="## Hi\n<script>x()</script>", preview="1")
    )
    assert response.status_code == 200 and not Article.objects.exists()
    page = response.content.decode()
    assert "<h2>Hi</h2>" in page and "<script>x()" not in page
    data = manager_client.post("/kb/preview/", {"body": "*a* <img src=x onerror=y()>"}).json()
    assert data["html"] == '<p><em>a</em> <img src="x"></p>\n'


def test_slug_must_be_unique_per_language(manager_client):
    manager_client.post("/kb/new/", _form())
    response = manager_client.post("/kb/new/", _form(title="Other"))
    assert response.status_code == 200 and Article.objects.count() == 1


def test_agents_read_everything_and_edit_nothing(client):
    load_demo_articles()
    client.force_login(AgentFactory(username="ann"))
    internal = Article.objects.get(slug="agents-carrier-inquiry")
    assert client.get("/kb/").status_code == 200
    page = client.get(f"/kb/{internal.pk}/").content.decode()
    assert "Agents: opening a carrier inquiry" in page and "/edit/" not in page
    assert client.get(f"/kb/{internal.pk}/edit/").status_code == 403
    assert client.post(f"/kb/{internal.pk}/edit/", _form()).status_code == 403
    assert client.get("/kb/new/").status_code == 403
    assert client.post("/kb/preview/", {"body": "x"}).status_code == 403
    assert (
        client.post("/kb/categories/", {"name": "x", "slug": "x", "position": 0}).status_code == 403
    )
    client.logout()
    assert client.get("/kb/").status_code == 302


def test_ticket_page_suggests_articles_for_the_customers_last_message(client):
    load_demo_articles()
    agent = AgentFactory(username="ann")
    client.force_login(agent)
    ticket = TicketFactory(contact=ContactFactory(language="fr"), language="fr")
    Message.objects.create(
        ticket=ticket, direction=Direction.INBOUND, author_type="contact", text="Bonjour"
    )
    Message.objects.create(
        ticket=ticket,
        direction=Direction.INBOUND,
        author_type="contact",
        text="Mon colis est arrivé tout abîmé, le carton était écrasé.",
    )
    assert (
        'data-fragment="/kb/suggestions/ticket/'
        in client.get(f"/inbox/tickets/{ticket.pk}/").content.decode()
    )
    page = client.get(f"/kb/suggestions/ticket/{ticket.pk}/").content.decode()
    assert page.count('class="kb-suggestion"') <= 3
    first = page.index('class="kb-suggestion"')
    assert "Mon colis est arrivé abîmé" in page[first : first + 400]
    assert 'data-link="http://127.0.0.1:8000/help/fr/colis-abime/"' in page or "colis-abime" in page


def test_suggestions_respect_ticket_visibility(client, settings):
    from tests.factories import TeamFactory

    settings.HELPDESK_AGENTS_SEE_UNTEAMED = False
    client.force_login(AgentFactory(username="ann"))
    ticket = TicketFactory(team=TeamFactory())
    assert client.get(f"/kb/suggestions/ticket/{ticket.pk}/").status_code == 404
