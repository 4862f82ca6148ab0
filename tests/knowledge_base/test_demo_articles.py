from __future__ import annotations

import pytest

from knowledge_base.demo import load_demo_articles
from knowledge_base.models import Article
from knowledge_base.search import article_search

pytestmark = pytest.mark.django_db


def test_demo_articles_come_in_both_languages_and_load_twice_without_duplicates():
    first = load_demo_articles()
    assert first >= 40
    assert load_demo_articles() == first
    assert Article.objects.count() == first
    for key in Article.objects.values_list("translation_key", flat=True).distinct():
        assert set(
            Article.objects.filter(translation_key=key).values_list("language", flat=True)
        ) == {"en", "fr"}
    assert all(a.body_html.startswith("<") for a in Article.objects.all())


@pytest.mark.parametrize(
    ("language", "query", "slug"),
    [
        ("fr", "mon colis est arrivé abîmé", "colis-abime"),
        ("fr", "quand serai-je remboursé", "delais-de-remboursement"),
        ("fr", "points relais", "points-relais"),
        ("fr", "paiement refusé", "paiement-refuse"),
        ("fr", "livraison gratuite", "livraison-offerte"),
        ("en", "my parcel is late", "late-parcel"),
        ("en", "forgot my password", "account-and-password"),
        ("en", "invoice", "invoices"),
        ("en", "cancel my order", "cancel-an-order"),
    ],
)
def test_demo_questions_find_their_article(language, query, slug):
    load_demo_articles()
    hits = article_search(query=query, language=language, limit=3)
    assert slug in [h.url.rstrip("/").rsplit("/", 1)[1] for h in hits]


def test_internal_demo_article_is_for_agents_only():
    load_demo_articles()
    assert "enquête" not in " ".join(
        h.title for h in article_search(query="enquête transporteur", language="fr", limit=5)
    )
    agents = article_search(query="enquête transporteur", language="fr", limit=5, audience="agents")
    assert agents[0].title.startswith("Agents")
