"""Rows saved or deleted through the ORM reach an external search index (Elasticsearch)
whoever writes them: the Django admin, a service, a management command or a script. The
database backend needs nothing (its index is kept by the database itself)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from knowledge_base.search import indexing

# Model label -> (index kind, the fields its search document is built from).
INDEXED = {
    "tickets.Ticket": ("ticket", {"subject", "last_message_at"}),
    "tickets.Message": ("message", {"text", "ticket", "ticket_id", "created_at"}),
    "knowledge_base.Article": (
        "article",
        {"language", "title", "summary", "body", "published", "internal", "position"},
    ),
}


def _kind(sender: Any) -> tuple[str, set[str]] | None:
    return INDEXED.get(sender._meta.label)


def saved(
    sender: type, instance: Any, raw: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    found = _kind(sender)
    if raw or found is None:
        return
    kind, fields = found
    if update_fields is not None and not fields & set(update_fields):
        return  # e.g. a ticket's status: nothing the index holds changed
    indexing.index_on_commit(kind=kind, ids=[instance.pk])


def deleted(sender: type, instance: Any, **kwargs: Any) -> None:
    found = _kind(sender)
    if found is not None and instance.pk is not None:
        indexing.remove_on_commit(kind=found[0], ids=[instance.pk])


def connect() -> None:
    from django.apps import apps

    for label in INDEXED:
        model = apps.get_model(label)
        post_save.connect(saved, sender=model, dispatch_uid=f"kb_search_saved_{label}")
        post_delete.connect(deleted, sender=model, dispatch_uid=f"kb_search_deleted_{label}")
