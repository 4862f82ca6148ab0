from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspaceSettingsConfig(AppConfig):
    name = "helpdesk.workspace_settings"
    label = "workspace_settings"
    verbose_name = _("Workspace settings")
