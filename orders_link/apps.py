from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersLinkConfig(AppConfig):
    name = "orders_link"
    verbose_name = _("Orders and shipments")

    def ready(self) -> None:
        from orders_link import (  # noqa: F401  (registers the subscribers and tasks)
            subscribers,
            tasks,
        )
