from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationsConfig(AppConfig):
    name = "helpdesk.automations"
    label = "automations"
    verbose_name = _("Automations")

    def ready(self) -> None:
        from helpdesk.automations.services import automations_run, rules_active
        from helpdesk.tickets.rules import register_rules_engine

        register_rules_engine(run=automations_run, active=rules_active)
