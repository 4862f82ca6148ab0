from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeBaseConfig(AppConfig):
    name = "knowledge_base"
    verbose_name = _("Knowledge base")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from knowledge_base.search import sqlite_index

        connection_created.connect(sqlite_index.register_functions, dispatch_uid="kb_fts_fn")
        post_migrate.connect(sqlite_index.ensure, sender=self, dispatch_uid="kb_fts_ensure")

        # pg_trgm's similarity operator (name__trigram_similar) for names with typos.
        from django.contrib.postgres.lookups import TrigramSimilar
        from django.db.models import CharField

        CharField.register_lookup(TrigramSimilar)

        # The ticket list's search box finds what the agents' search finds.
        from helpdesk.inbox import selectors as inbox_selectors
        from knowledge_base.search.agent import ticket_ids_matching

        inbox_selectors.register_ticket_search(ticket_ids_matching)

        # Indexing follows the core's domain events, and every save or delete of an indexed
        # model (the admin, scripts); a periodic task catches up with bulk writes. The
        # settings are system checks.
        import knowledge_base.checks
        import knowledge_base.search.subscribers
        import knowledge_base.tasks  # noqa: F401  (queued by name: helpdesk.celery.task_named)
        from knowledge_base.search import signals

        signals.connect()
