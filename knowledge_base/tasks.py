from __future__ import annotations

from celery import shared_task

from knowledge_base.search.backends import get_backend
from knowledge_base.search.catch_up import search_catch_up


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=5,
    retry_backoff_max=600,
    max_retries=8,
)
def search_index_task(self, action: str, kind: str, ids: list[int]) -> None:
    """Index or remove rows in the search backend; retried with back-off while it fails."""
    backend = get_backend()
    if action == "remove":
        backend.remove(kind=kind, ids=ids)
    else:
        backend.index(kind=kind, ids=ids)


@shared_task(acks_late=True)
def search_catch_up_task() -> dict[str, int]:
    """Periodic (celery beat): bring the external search index up to date with rows written
    in bulk (see knowledge_base.search.catch_up)."""
    return search_catch_up()
