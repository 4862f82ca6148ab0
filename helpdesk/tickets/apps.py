from django.apps import AppConfig
from django.test.signals import setting_changed
from django.utils.translation import gettext_lazy as _

from helpdesk import channels


class TicketsConfig(AppConfig):
    name = "helpdesk.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        # Modules that import models: only once the app registry is ready.
        from helpdesk.tickets import (  # noqa: F401  (registers the subscribers and tasks)
            subscribers,
            tasks,
        )

        setting_changed.connect(channels._settings_changed)
