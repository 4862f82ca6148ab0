from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CsatConfig(AppConfig):
    name = "helpdesk.csat"
    label = "csat"
    verbose_name = _("Customer satisfaction")
