from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "helpdesk.sla"
    label = "sla"
    verbose_name = _("SLA and business hours")

    def ready(self) -> None:
        from helpdesk.sla import subscribers  # noqa: F401  (registers them)
