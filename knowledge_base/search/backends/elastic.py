"""The Elasticsearch backend (when ``ELASTICSEARCH_URL`` is set), with the official client.

- One index template (``<prefix>-template``) gives every ``<prefix>-*`` index the French and
  English analyzers (elision, lower case, ASCII folding, stop words, Snowball-family stemmers)
  and the mappings; every text field is indexed once per language (``title.fr``,
  ``title.en``).
- Searches and writes go through aliases (``<prefix>-articles``, ``-tickets``, ``-messages``).
  ``reindex`` builds a new index beside the old one and swaps the alias in one atomic
  ``_aliases`` call, so a search never sees an empty or half-built index.
- Writes reach it in bulk from a Celery task queued on commit (``search_index_task``), which
  retries with back-off; a write to the database never waits for Elasticsearch.
- Permissions: Elasticsearch returns candidate ids; the database keeps only the tickets the
  agent may see (the same ``tickets_visible_to`` as every read)."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from helpdesk.tickets.models import Message, Ticket
from knowledge_base.models import Article
from knowledge_base.search.backends.base import KINDS, Progress
from knowledge_base.search.text import ParsedQuery
from knowledge_base.search.types import SearchTimeout, TextMatch

ANALYSIS = {
    "filter": {
        "fr_elision": {
            "type": "elision",
            "articles_case": True,
            "articles": ["l", "m", "t", "qu", "n", "s", "j", "d", "c", "jusqu", "quoiqu",
                         "lorsqu", "puisqu"],
        },
        "fr_stop": {"type": "stop", "stopwords": "_french_"},
        "fr_stemmer": {"type": "stemmer", "language": "light_french"},
        "en_stop": {"type": "stop", "stopwords": "_english_"},
        "en_possessive": {"type": "stemmer", "language": "possessive_english"},
        "en_stemmer": {"type": "stemmer", "language": "english"},
    },
    "analyzer": {
        "helpdesk_fr": {
            "tokenizer": "standard",
            "filter": ["fr_elision", "lowercase", "asciifolding", "fr_stop", "fr_stemmer"],
        },
        "helpdesk_en": {
            "tokenizer": "standard",
            "filter": ["en_possessive", "lowercase", "asciifolding", "en_stop", "en_stemmer"],
        },
        "helpdesk_folded": {"tokenizer": "standard", "filter": ["lowercase", "asciifolding"]},
    },
}  # fmt: skip


def _text(**extra: Any) -> dict:
    return {
        "type": "text",
        "analyzer": "helpdesk_folded",
        "fields": {
            "fr": {"type": "text", "analyzer": "helpdesk_fr"},
            "en": {"type": "text", "analyzer": "helpdesk_en"},
        },
        **extra,
    }


MAPPINGS = {
    "article": {
        "dynamic": "strict",
        "properties": {
            "language": {"type": "keyword"},
            "title": _text(),
            "summary": _text(),
            "body": _text(),
            "published": {"type": "boolean"},
            "internal": {"type": "boolean"},
            "position": {"type": "integer"},
        },
    },
    "ticket": {
        "dynamic": "strict",
        "properties": {
            "subject": _text(),
            "ticket_id": {"type": "long"},
            "last_message_at": {"type": "date"},
        },
    },
    "message": {
        "dynamic": "strict",
        "properties": {
            "text": _text(),
            "ticket_id": {"type": "long"},
            "created_at": {"type": "date"},
        },
    },
}
ALIASES = {"article": "articles", "ticket": "tickets", "message": "messages"}
MAX_TEXT = 100_000


def prefix() -> str:
    return getattr(settings, "ELASTICSEARCH_INDEX_PREFIX", "helpdesk") or "helpdesk"


def alias(kind: str) -> str:
    return f"{prefix()}-{ALIASES[kind]}"


def template_body() -> dict:
    return {
        "index_patterns": [f"{prefix()}-*"],
        "priority": 100,
        "template": {
            "settings": {"number_of_shards": 1, "analysis": ANALYSIS},
        },
    }


@functools.cache
def _client(url: str):
    from elasticsearch import Elasticsearch

    return Elasticsearch(url, request_timeout=10, retry_on_timeout=False, max_retries=1)


def _rows(kind: str, ids: Iterable[int] | None = None) -> Iterator[tuple[int, dict]]:

    if kind == "article":
        qs: QuerySet = Article.objects.all()
        fields = ["pk", "language", "title", "summary", "body", "published", "internal", "position"]
    elif kind == "ticket":
        qs = Ticket.objects.all()
        fields = ["pk", "subject", "last_message_at"]
    else:
        qs = Message.objects.all()
        fields = ["pk", "text", "ticket_id", "created_at"]
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    for row in qs.order_by("pk").values(*fields).iterator(chunk_size=2000):
        pk = row.pop("pk")
        if kind == "ticket":
            row["ticket_id"] = pk
        for key in ("body", "text"):
            if row.get(key):
                row[key] = row[key][:MAX_TEXT]
        for key in ("last_message_at", "created_at"):
            if row.get(key) is not None:
                row[key] = row[key].isoformat()
        yield pk, row


class ElasticsearchBackend:
    name = "elasticsearch"

    def __init__(self, url: str | None = None) -> None:
        self.url = url or settings.ELASTICSEARCH_URL

    @property
    def client(self):
        return _client(self.url)

    # --- index management ----------------------------------------------------------------

    def ensure_template(self) -> None:
        body = template_body()
        self.client.indices.put_index_template(
            name=f"{prefix()}-template",
            index_patterns=body["index_patterns"],
            priority=body["priority"],
            template=body["template"],
        )

    def _create_index(self, kind: str) -> str:
        name = f"{alias(kind)}-{time.strftime('%Y%m%d%H%M%S')}-{time.monotonic_ns() % 10**6}"
        self.client.indices.create(index=name, mappings=MAPPINGS[kind])
        return name

    def ensure_indices(self) -> None:
        """The template and one index behind each alias (first start)."""
        self.ensure_template()
        for kind in KINDS:
            if not self.client.indices.exists_alias(name=alias(kind)):
                name = self._create_index(kind)
                self.client.indices.update_aliases(
                    actions=[{"add": {"index": name, "alias": alias(kind), "is_write_index": True}}]
                )

    # --- the interface ---------------------------------------------------------------------

    def index(self, *, kind: str, ids: Iterable[int]) -> None:
        from elasticsearch import helpers

        ids = list(ids)
        present = dict(_rows(kind, ids))
        actions: list[dict] = [
            {"_op_type": "index", "_index": alias(kind), "_id": pk, "_source": doc}
            for pk, doc in present.items()
        ]
        actions += [
            {"_op_type": "delete", "_index": alias(kind), "_id": pk}
            for pk in ids
            if pk not in present
        ]
        if actions:
            helpers.bulk(self.client, actions, raise_on_error=False, refresh=False)

    def remove(self, *, kind: str, ids: Iterable[int]) -> None:
        from elasticsearch import helpers

        actions = [{"_op_type": "delete", "_index": alias(kind), "_id": pk} for pk in ids]
        if actions:
            helpers.bulk(self.client, actions, raise_on_error=False)

    def reindex(
        self, *, kinds: Iterable[str] = KINDS, progress: Progress | None = None, chunk: int = 1000
    ) -> int:
        """A new index per kind, filled in bulk, then the alias moved to it atomically."""
        from elasticsearch import helpers

        counts = {
            "article": Article.objects.count,
            "ticket": Ticket.objects.count,
            "message": Message.objects.count,
        }
        self.ensure_template()
        total = 0
        for kind in kinds:
            count = counts[kind]()
            name = self._create_index(kind)
            self.client.indices.put_settings(index=name, settings={"refresh_interval": "-1"})
            done = 0
            for _ok, _item in helpers.streaming_bulk(
                self.client,
                (
                    {"_op_type": "index", "_index": name, "_id": pk, "_source": doc}
                    for pk, doc in _rows(kind)
                ),
                chunk_size=chunk,
                raise_on_error=True,
            ):
                done += 1
                if progress and (done % chunk == 0 or done == count):
                    progress(kind, done, count)
            self.client.indices.put_settings(index=name, settings={"refresh_interval": "1s"})
            self.client.indices.refresh(index=name)
            old = []
            if self.client.indices.exists_alias(name=alias(kind)):
                old = list(self.client.indices.get_alias(name=alias(kind)).keys())
            actions: list[dict] = [{"remove": {"index": i, "alias": alias(kind)}} for i in old]
            actions.append({"add": {"index": name, "alias": alias(kind), "is_write_index": True}})
            self.client.indices.update_aliases(actions=actions)
            for index in old:
                self.client.indices.delete(index=index, ignore_unavailable=True)
            if progress and not count:
                progress(kind, 0, 0)
            total += done
        return total

    # --- searching ---------------------------------------------------------------------------

    def _search(self, kind: str, body: dict, size: int) -> list[dict]:
        from elasticsearch import ConnectionTimeout

        timeout_ms = int(getattr(settings, "HELPDESK_SEARCH_TIMEOUT_MS", 2000))
        try:
            response = self.client.options(request_timeout=timeout_ms / 1000 + 1).search(
                index=alias(kind),
                query=body,
                size=size,
                timeout=f"{timeout_ms}ms",
                source=False,
                track_total_hits=False,
            )
        except ConnectionTimeout as error:
            raise SearchTimeout from error
        if response.get("timed_out"):
            raise SearchTimeout
        return response["hits"]["hits"]

    def search_articles(
        self,
        *,
        query: ParsedQuery,
        language: str,
        limit: int,
        audience: str,
        prefix: bool = False,
    ) -> list[tuple[int, float]]:
        if query.empty or limit <= 0:
            return []
        lang = language if language in {"fr", "en"} else "en"
        fields = [f"title.{lang}^3", f"summary.{lang}^2", f"body.{lang}", "title^2", "body"]
        filters: list[dict] = [{"term": {"language": lang}}, {"term": {"published": True}}]
        if audience != "agents":
            filters.append({"term": {"internal": False}})
        if query.phrase:
            must: dict = {"multi_match": {"query": query.text, "type": "phrase", "fields": fields}}
        else:
            must = {
                "multi_match": {
                    "query": query.text,
                    "type": "bool_prefix" if prefix else "best_fields",
                    "fields": fields,
                    "operator": "or",
                    "minimum_should_match": "1",
                }
            }
        # Every word ranks first: the "and" version of the query is a should clause.
        should = [
            {
                "multi_match": {
                    "query": query.text,
                    "fields": fields,
                    "operator": "and",
                    "boost": 2,
                }
            }
        ]
        hits = self._search(
            "article",
            {"bool": {"must": [must], "should": should, "filter": filters}},
            limit,
        )
        return [(int(h["_id"]), float(h["_score"] or 0)) for h in hits]

    def _text(self, kind: str, field: str, query: ParsedQuery, visible: QuerySet, limit: int):
        if query.empty or limit <= 0:
            return []
        fields = [f"{field}.fr", f"{field}.en", field]
        match: dict = (
            {"multi_match": {"query": query.text, "type": "phrase", "fields": fields}}
            if query.phrase
            else {
                "multi_match": {
                    "query": query.text,
                    "type": "cross_fields",
                    "fields": fields,
                    "operator": "and",
                }
            }
        )
        ids = [int(h["_id"]) for h in self._search(kind, match, limit)]
        if kind == "ticket":
            pairs = [(pk, pk) for pk in ids]
        else:
            owners = dict(Message.objects.filter(pk__in=ids).values_list("pk", "ticket_id"))
            pairs = [(pk, owners[pk]) for pk in ids if pk in owners]
        allowed = set(visible.filter(pk__in={t for _, t in pairs}).values_list("pk", flat=True))
        return [TextMatch(pk=pk, ticket_id=t, score=0.0) for pk, t in pairs if t in allowed]

    def search_tickets(self, *, query: ParsedQuery, visible: QuerySet, limit: int):
        return self._text("ticket", "subject", query, visible, limit)

    def search_messages(self, *, query: ParsedQuery, visible: QuerySet, limit: int):
        return self._text("message", "text", query, visible, limit)
