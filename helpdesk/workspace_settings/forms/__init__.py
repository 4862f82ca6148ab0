"""The settings pages' forms, one module per page."""

from helpdesk.workspace_settings.forms.agents import (
    AgentEditForm,
    AgentFormBase,
    AgentInviteForm,
    TeamForm,
)
from helpdesk.workspace_settings.forms.inboxes import InboxForm
from helpdesk.workspace_settings.forms.sla import CalendarForm, CannedResponseForm, SlaPolicyForm

__all__ = [
    "AgentEditForm",
    "AgentFormBase",
    "AgentInviteForm",
    "CalendarForm",
    "CannedResponseForm",
    "InboxForm",
    "SlaPolicyForm",
    "TeamForm",
]
