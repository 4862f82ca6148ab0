from __future__ import annotations

import re

import pytest
from django.test import Client

from knowledge_base.demo import load_demo_articles
from knowledge_base.models import Article, ArticleVote

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db, settings):
    settings.PUBLIC_URL = "https://help.shop.test"
    load_demo_articles()


def test_root_follows_the_browsers_language(demo):
    assert Client(headers={"accept-language": "fr-FR,fr;q=0.9"}).get("/help/")["Location"] == (
        "/help/fr/"
    )
    assert Client(headers={"accept-language": "en-GB,en"}).get("/help/")["Location"] == "/help/en/"


def test_home_lists_categories_and_articles_in_its_language(demo, client):
    page = client.get("/help/fr/").content.decode()
    assert "Livraison et suivi" in page and "Où est ma commande ?" in page
    assert "Where is my order?" not in page
    assert "Agents" not in page  # internal articles never reach the help centre
    assert '<html lang="fr">' in page and "Comment pouvons-nous vous aider" in page


def test_article_page_seo_and_language_switcher(demo, client):
    response = client.get("/help/fr/colis-abime/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Mon colis est arrivé abîmé · Centre d'aide</title>" in page
    assert '<meta name="description" content="Refusez un colis visiblement endommagé' in page
    assert '<link rel="canonical" href="https://help.shop.test/help/fr/colis-abime/">' in page
    assert 'hreflang="en" href="https://help.shop.test/help/en/damaged-parcel/"' in page
    assert 'hreflang="fr" href="https://help.shop.test/help/fr/colis-abime/"' in page
    assert 'hreflang="x-default" href="https://help.shop.test/help/"' in page
    # The switcher leads to the same article's translation.
    assert re.search(r'<a href="/help/en/damaged-parcel/"[^>]*data-lang="en"', page)
    assert "<strong>le refuser</strong>" in page  # Markdown rendered


def test_drafts_internal_and_unknown_articles_are_404(demo, client):
    article = Article.objects.get(language="fr", slug="colis-abime")
    Article.objects.filter(pk=article.pk).update(published=False)
    assert client.get("/help/fr/colis-abime/").status_code == 404
    assert client.get("/help/fr/agents-enquete-transporteur/").status_code == 404
    assert client.get("/help/de/").status_code == 404
    assert client.get("/help/xx/colis-abime/").status_code == 404


def test_markdown_is_sanitised(db, client):
    from knowledge_base.services import article_create

    article_create(
        language="en",
        slug="x",
        title="X",
        published=True,
        body='Hi <script>alert(1)</script> [a](javascript:alert(2)) <img src=x onerror="alert(3)">',
    )
    page = client.get("/help/en/x/").content.decode()
    body = page.split('<div class="hc-body">', 1)[1].split("</div>", 1)[0]
    assert body == '<p>Hi  [a](javascript:alert(2)) <img src="x"></p>\n'
    assert "alert(1)" not in page and "onerror" not in page and 'href="javascript' not in page


def test_search_page_without_javascript(demo, client):
    page = client.get("/help/search/", {"q": "livraisons", "lang": "fr"}).content.decode()
    assert "Délais et frais de livraison par transporteur" in page
    assert '<meta name="robots" content="noindex">' in page
    for hostile in ["", '" * : & | ! ( ) -', "x" * 10_000, "le la les"]:
        assert client.get("/help/search/", {"q": hostile, "lang": "fr"}).status_code == 200


def test_search_json_for_typing_and_the_widget(demo, client):
    data = client.get("/help/search.json", {"q": "rembours", "lang": "fr"}).json()
    assert data["results"][0]["path"].startswith("/help/fr/")
    assert data["results"][0]["url"].startswith("https://help.shop.test/help/fr/")
    assert any("rembours" in r["title"].lower() for r in data["results"])
    response = client.get("/help/search.json", {"q": "refund", "lang": "en"})
    assert response["Access-Control-Allow-Origin"] == "*"
    assert client.get("/help/search.json", {"q": "x", "limit": "many"}).status_code == 400


def test_one_vote_per_visitor_per_article(demo):
    visitor = Client()
    url = "/help/en/damaged-parcel/vote/"
    first = visitor.post(url, {"helpful": "yes"})
    assert first.status_code == 302 and first["Location"].endswith("?voted=yes#vote")
    visitor.post(url, {"helpful": "no"}, headers={"accept": "application/json"})
    assert ArticleVote.objects.count() == 1
    assert ArticleVote.objects.get().helpful is False
    Client().post(url, {"helpful": "yes"})
    assert ArticleVote.objects.count() == 2
    assert visitor.post(url, {"helpful": "maybe"}).status_code == 400
    assert visitor.get(url).status_code == 405
    page = visitor.get("/help/en/damaged-parcel/?voted=yes").content.decode()
    assert "Thank you for your feedback." in page


def test_sitemap_lists_public_articles_with_alternates(demo, client):
    xml = client.get("/help/sitemap.xml").content.decode()
    assert "<loc>https://help.shop.test/help/fr/colis-abime/</loc>" in xml
    assert 'hreflang="en" href="https://help.shop.test/help/en/damaged-parcel/"' in xml
    assert "agents-" not in xml
    assert xml.count("<url>") == Article.objects.filter(internal=False).count() + 2
