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
