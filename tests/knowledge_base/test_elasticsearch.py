"""The Elasticsearch backend. Without ELASTICSEARCH_URL, against a local stand-in that records
what the official client sends; with it, against that real server (test_real_server_*)."""

from __future__ import annotations

import os

import pytest

from knowledge_base.search import article_search
from knowledge_base.search.backends import elastic
from knowledge_base.search.backends.elastic import ElasticsearchBackend
from knowledge_base.services import article_create
from tests.factories import AgentFactory, TeamFactory, TicketFactory
from tests.knowledge_base.fake_elasticsearch import FakeElasticsearch

pytestmark = pytest.mark.django_db(transaction=True)

BACKEND = "knowledge_base.search.backends.elastic.ElasticsearchBackend"


@pytest.fixture
def fake_es(settings):
    from knowledge_base.search.backends import _backend

    with FakeElasticsearch() as server:
        settings.ELASTICSEARCH_URL = server.url
        settings.HELPDESK_SEARCH_BACKEND = BACKEND
        settings.ELASTICSEARCH_INDEX_PREFIX = "t"
        _backend.cache_clear()
        elastic._client.cache_clear()
        yield server
        _backend.cache_clear()
        elastic._client.cache_clear()


def test_template_has_french_and_english_analyzers_and_mappings(fake_es):
    ElasticsearchBackend().ensure_indices()
    (template,) = fake_es.calls("PUT", "/_index_template/t-template")
    body = template["body"]
    assert body["index_patterns"] == ["t-*"]
    analyzers = body["template"]["settings"]["analysis"]["analyzer"]
    assert analyzers["helpdesk_fr"]["filter"] == [
        "fr_elision", "lowercase", "asciifolding", "fr_stop", "fr_stemmer"
    ]  # fmt: skip
    assert "en_stemmer" in analyzers["helpdesk_en"]["filter"]
    created = {
        c["path"].split("/")[1]: c["body"]
        for c in fake_es.calls("PUT")
        if c["body"] and "mappings" in c["body"]
    }
    article_mapping = next(b for name, b in created.items() if name.startswith("t-articles-"))
    title = article_mapping["mappings"]["properties"]["title"]
    assert title["fields"]["fr"]["analyzer"] == "helpdesk_fr"
    assert title["fields"]["en"]["analyzer"] == "helpdesk_en"
    assert set(fake_es.aliases) == {"t-articles", "t-tickets", "t-messages"}


def test_article_saved_is_indexed_in_bulk_after_commit(fake_es):
    article = article_create(
        language="fr", slug="colis", title="Colis abîmé", body="Refusez le colis.", published=True
    )
    (bulk,) = fake_es.calls(None, "/_bulk")
    action, source = bulk["body"]
    assert action == {"index": {"_index": "t-articles", "_id": article.pk}}
    assert source["title"] == "Colis abîmé" and source["language"] == "fr"
    assert source["published"] is True and source["internal"] is False


def test_article_query_body_and_results(fake_es):
    article = article_create(
        language="fr", slug="colis", title="Colis abîmé", body="Refusez le colis.", published=True
    )
    fake_es.hits["t-articles"] = [{"_id": str(article.pk), "_score": 3.5}]
    hits = article_search(query='livraisons "colis" &', language="fr", limit=3)
    assert [(h.article_id, h.score, h.url) for h in hits] == [(article.pk, 3.5, "/help/fr/colis/")]
    search = fake_es.calls(None, "/t-articles/_search")[-1]["body"]
    must = search["query"]["bool"]["must"][0]["multi_match"]
    assert must["query"] == "livraisons colis"  # no operator reaches Elasticsearch
    assert must["fields"][0] == "title.fr^3"
    filters = search["query"]["bool"]["filter"]
    assert {"term": {"language": "fr"}} in filters and {"term": {"internal": False}} in filters
    assert search["size"] == 3


def test_ticket_results_are_filtered_by_the_agents_visibility(fake_es, settings):
    settings.HELPDESK_AGENTS_SEE_UNTEAMED = False
    from knowledge_base.search.agent import agent_search

    red, blue = TeamFactory(), TeamFactory()
    agent = AgentFactory(username="rosa")
    agent.agent_profile.teams.add(red)
    mine, theirs = TicketFactory(team=red), TicketFactory(team=blue)
    fake_es.hits["t-tickets"] = [{"_id": str(theirs.pk)}, {"_id": str(mine.pk)}]
    results = agent_search(user=agent, query="livraison")
    assert [r.ticket.pk for r in results.tickets] == [mine.pk]
    assert results.ticket_count == 1


def test_reindex_builds_a_new_index_then_swaps_the_alias(fake_es, capsys):
    from django.core.management import call_command

    for n in range(3):
        article_create(language="en", slug=f"a{n}", title=f"A{n}", body="x", published=True)
    fake_es.aliases["t-articles"] = "t-articles-old"
    fake_es.requests.clear()
    call_command("search_reindex", "--kind", "article")
    paths = [(c["method"], c["path"]) for c in fake_es.requests]
    created = next(p for m, p in paths if m == "PUT" and p.startswith("/t-articles-"))
    new_index = created.strip("/")
    bulk = next(c for c in fake_es.requests if c["path"] == "/_bulk")
    assert [line["index"]["_index"] for line in bulk["body"][::2]] == [new_index] * 3
    swap = next(c for c in fake_es.requests if c["path"] == "/_aliases")["body"]["actions"]
    assert swap == [
        {"remove": {"index": "t-articles-old", "alias": "t-articles"}},
        {"add": {"index": new_index, "alias": "t-articles", "is_write_index": True}},
    ]
    # The old index is deleted only after the alias moved.
    order = [p for _m, p in paths]
    assert order.index("/_aliases") < order.index("/t-articles-old")
    assert "Reindexed 3 rows" in capsys.readouterr().out


def test_a_failing_server_never_blocks_a_write(settings):
    from knowledge_base.search.backends import _backend

    settings.ELASTICSEARCH_URL = "http://127.0.0.1:9"  # nothing listens
    settings.HELPDESK_SEARCH_BACKEND = BACKEND
    _backend.cache_clear()
    elastic._client.cache_clear()
    try:
        article = article_create(language="en", slug="z", title="Z", body="z", published=True)
        assert article.pk
        assert article_search(query="z", language="en") == []
    finally:
        _backend.cache_clear()
        elastic._client.cache_clear()


@pytest.mark.skipif(not os.environ.get("ELASTICSEARCH_URL"), reason="needs ELASTICSEARCH_URL")
def test_real_server_round_trip(settings):
    from knowledge_base.search.backends import _backend

    settings.HELPDESK_SEARCH_BACKEND = BACKEND
    settings.ELASTICSEARCH_URL = os.environ["ELASTICSEARCH_URL"]
    settings.ELASTICSEARCH_INDEX_PREFIX = "helpdesk-test"
    _backend.cache_clear()
    elastic._client.cache_clear()
    backend = ElasticsearchBackend()
    article = article_create(
        language="fr", slug="livraison", title="Délais de livraison", body="Colis", published=True
    )
    backend.reindex(kinds=["article"])
    hits = article_search(query="livraisons", language="fr")
    assert [h.article_id for h in hits] == [article.pk]
    _backend.cache_clear()
