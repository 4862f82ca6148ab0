from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsInConfig(AppConfig):
    name = "channels_in"
    verbose_name = _("Inbound channels")
