from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "helpdesk.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from django.test.signals import setting_changed

        from helpdesk import channels
        from helpdesk.tickets import (  # noqa: F401  (registers the subscribers and tasks)
            subscribers,
            tasks,
        )

        setting_changed.connect(channels._settings_changed)
